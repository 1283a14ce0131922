/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef __SLOTLOOP_H
#define __SLOTLOOP_H

struct slotloop_counts {
	unsigned long long runs; /* of the slot's program, all runs */
	unsigned long long entries; /* of the entry program */
};

#endif /* __SLOTLOOP_H */
