/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef __OPENSNOOP_H
#define __OPENSNOOP_H

#include <emf/types.h>

#define TASK_COMM_LEN 16
#define PATH_LEN 256

struct event {
	emf_ktime_t ts; /* bpf_ktime_get_ns() at the event: its time */
	int pid;
	int tid;
	unsigned int uid;
	int ret; /* the new fd, or -errno */
	int flags; /* O_* flags as passed to openat() */
	unsigned int mode;
	char comm[TASK_COMM_LEN];
	char path[PATH_LEN];
};

#endif /* __OPENSNOOP_H */
