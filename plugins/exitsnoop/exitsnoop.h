/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef __EXITSNOOP_H
#define __EXITSNOOP_H

#include <emf/types.h>

#define TASK_COMM_LEN 16

struct event {
	emf_ktime_t ts; /* bpf_ktime_get_ns() at the event: its time */
	__u64 duration_ns; /* from the task's start to its exit */
	int pid;
	int tid;
	int ppid;
	int exit_code; /* the status passed to exit(), 0 when killed by a signal */
	emf_signal_t sig; /* the signal that killed it, 0 on a normal exit */
	bool core_dumped;
	char comm[TASK_COMM_LEN];
};

#endif /* __EXITSNOOP_H */
