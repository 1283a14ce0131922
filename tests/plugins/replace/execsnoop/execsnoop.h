/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef __REPLACE_EXECSNOOP_H
#define __REPLACE_EXECSNOOP_H

struct mine {
	int pid;
	unsigned int marker;
};

#endif /* __REPLACE_EXECSNOOP_H */
