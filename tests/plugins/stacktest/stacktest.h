/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef __STACKTEST_H
#define __STACKTEST_H

#include <emf/types.h>

#define STACKTEST_DEPTH 32

struct event {
	__u32 pid; /* the forking process (tgid) */
	__u32 child; /* the new task's pid */
	char comm[16];
	__u64 kstack[STACKTEST_DEPTH] EMF_KSTACK;
	__u64 ustack[STACKTEST_DEPTH] EMF_USTACK(pid);
};

#endif /* __STACKTEST_H */
