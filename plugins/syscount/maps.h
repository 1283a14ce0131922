/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Keys and values of syscount's sampled maps. emf-codegen reads their layout
 * from the object's BTF, so emf prints the maps' readings field by field.
 */
#ifndef __SYSCOUNT_MAPS_H
#define __SYSCOUNT_MAPS_H

#include <emf/types.h>

#define SYSCOUNT_COMM_LEN 16

/* Key of map syscalls. */
struct syscall_key {
	emf_syscall_t syscall; /* printed by name: the full table of this machine */
};

/* Value of maps syscalls and procs: one sampling interval's syscalls that returned. */
struct syscall_stat {
	__u64 count;
	__u64 errors; /* returned -errno */
	__u64 total_ns; /* time spent in them */
};

/* Key of map procs: a process, and the command of its thread that made the calls. */
struct proc_key {
	__u32 pid;
	char comm[SYSCOUNT_COMM_LEN];
};

#endif /* __SYSCOUNT_MAPS_H */
