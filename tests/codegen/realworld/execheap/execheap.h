/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* In the style of libbpf-tools' execsnoop.h: the event, also the value of a map. */
#ifndef __EXECHEAP_H
#define __EXECHEAP_H

#define TASK_COMM_LEN 16
#define ARGSIZE 128

struct event {
	pid_t pid;
	pid_t ppid;
	uid_t uid;
	int retval;
	char comm[TASK_COMM_LEN];
	char arg0[ARGSIZE];
};

#endif /* __EXECHEAP_H */
