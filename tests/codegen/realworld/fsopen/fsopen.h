/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* In the style of libbpf-tools' opensnoop.h: an argument struct kept in a map, and the event. */
#ifndef __FSOPEN_H
#define __FSOPEN_H

#define TASK_COMM_LEN 16
#define NAME_MAX 255

struct args {
	const char *fname;
	int flags;
};

struct event {
	/* user terminology for pid: */
	__u64 ts;
	pid_t pid;
	uid_t uid;
	int ret;
	int flags;
	__u64 callers[2];
	char comm[TASK_COMM_LEN];
	char fname[NAME_MAX];
};

#endif /* __FSOPEN_H */
