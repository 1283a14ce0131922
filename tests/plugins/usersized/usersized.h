/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef __USERSIZED_H
#define __USERSIZED_H

struct sized {
	int pid;
	int in_seen; /* the pid went into map seen, which declares no max_entries */
	int has_slot_63; /* map counts has a slot 63: it was sized by option */
	int stack_id; /* from map stacks, which declares no value size */
};

#endif /* __USERSIZED_H */
