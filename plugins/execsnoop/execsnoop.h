/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef __EXECSNOOP_H
#define __EXECSNOOP_H

#include <emf/types.h>

#define TASK_COMM_LEN 16
#define MAX_FILENAME_LEN 127

struct event {
	emf_ktime_t ts; /* bpf_ktime_get_ns() at the event: its time */
	int pid;
	int ppid;
	unsigned int uid;
	char comm[TASK_COMM_LEN];
	char filename[MAX_FILENAME_LEN];
};

#endif /* __EXECSNOOP_H */
