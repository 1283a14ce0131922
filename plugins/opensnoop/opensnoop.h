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
	emf_uid_t uid;
	emf_ret_t ret; /* the new fd, or -errno */
	emf_open_flags_t flags; /* O_* flags as passed to openat() */
	emf_mode_t mode; /* of a file it creates */
	char comm[TASK_COMM_LEN];
	char path[PATH_LEN];
};

#endif /* __OPENSNOOP_H */
