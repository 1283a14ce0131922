/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef __LSMTEST_H
#define __LSMTEST_H

struct event {
	int pid;
	_Bool denied; /* the open was refused with EPERM */
	char comm[16];
	char name[32]; /* the file's name (its last path component) */
};

#endif /* __LSMTEST_H */
