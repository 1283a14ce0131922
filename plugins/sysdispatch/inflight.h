/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The map sysdispatch exports as "sys_inflight", shared with its handler
 * plugins (killsnoop): a dispatched syscall in progress, by thread id.
 */
#ifndef __SYSDISPATCH_INFLIGHT_H
#define __SYSDISPATCH_INFLIGHT_H

/* Syscalls sysdispatch hands to slot sys_signal (x86_64 numbers). */
#define SYSDISPATCH_NR_KILL 62
#define SYSDISPATCH_NR_TKILL 200
#define SYSDISPATCH_NR_TGKILL 234

/* Threads in a dispatched syscall at once; the oldest entries go first. */
#define SYSDISPATCH_MAX_INFLIGHT 10240

/*
 * A dispatched syscall in progress, by thread id, in the map sysdispatch
 * exports as "sys_inflight": written at sys_enter, read by the handler at
 * sys_exit.
 */
struct sys_inflight {
	unsigned long long ts; /* bpf_ktime_get_ns() at entry */
	unsigned long long args[3]; /* the first three arguments */
	unsigned int nr; /* syscall number */
	unsigned int pad;
};

#endif /* __SYSDISPATCH_INFLIGHT_H */
