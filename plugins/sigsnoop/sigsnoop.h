/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef __SIGSNOOP_H
#define __SIGSNOOP_H

#include <emf/types.h>

#define TASK_COMM_LEN 16

/* What became of a generated signal (the kernel's TRACE_SIGNAL_* values). */
enum sigsnoop_result {
	SIGNAL_DELIVERED = 0,
	SIGNAL_IGNORED = 1,
	SIGNAL_ALREADY_PENDING = 2,
	SIGNAL_OVERFLOW_FAIL = 3,
	SIGNAL_LOSE_INFO = 4,
};

struct event {
	emf_ktime_t ts; /* bpf_ktime_get_ns() at the event: its time */
	int pid; /* the sender: the task running when the signal was generated */
	int target_pid;
	emf_signal_t sig;
	int code; /* si_code: SI_USER (0) for kill(), SI_TKILL (-6), SI_KERNEL (128), CLD_* ... */
	bool group; /* sent to the whole process, not to one thread */
	enum sigsnoop_result result;
	char comm[TASK_COMM_LEN];
	char target_comm[TASK_COMM_LEN];
};

#endif /* __SIGSNOOP_H */
