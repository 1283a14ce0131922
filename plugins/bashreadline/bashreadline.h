/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef __BASHREADLINE_H
#define __BASHREADLINE_H

#include <emf/types.h>

#define TASK_COMM_LEN 16
#define MAX_LINE_LEN 256

struct event {
	emf_ktime_t ts; /* bpf_ktime_get_ns() at the event: its time */
	int pid;
	emf_uid_t uid;
	char comm[TASK_COMM_LEN];
	char line[MAX_LINE_LEN];
};

#endif /* __BASHREADLINE_H */
