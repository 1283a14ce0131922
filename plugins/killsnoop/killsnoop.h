/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef __KILLSNOOP_H
#define __KILLSNOOP_H

#include <emf/types.h>

#define KILLSNOOP_COMM_LEN 16
#define KILLSNOOP_SYSCALL_LEN 8

struct event {
	emf_ktime_t ts; /* bpf_ktime_get_ns() at the event: its time */
	unsigned int pid; /* sender's process */
	unsigned int tid; /* sender's thread */
	int target; /* kill(): a pid (or group); tkill(), tgkill(): a thread id */
	emf_signal_t sig; /* 0 only checks that the target exists */
	emf_ret_t ret; /* 0, or -errno */
	unsigned long long latency_ns; /* time spent in the syscall */
	char comm[KILLSNOOP_COMM_LEN]; /* sender's command */
	char syscall[KILLSNOOP_SYSCALL_LEN]; /* kill, tkill or tgkill */
};

#endif /* __KILLSNOOP_H */
