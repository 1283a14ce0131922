/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef __DYNTEST_H
#define __DYNTEST_H

struct event {
	int pid;
	char comm[16];
	char path[64];
};

#endif /* __DYNTEST_H */
