/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef __EXECSNOOP_H
#define __EXECSNOOP_H

#include <emf/types.h>

#define TASK_COMM_LEN 16
#define MAX_FILENAME_LEN 127
#define EXECSNOOP_ARGSIZE 128 /* longest argument kept; longer ones are cut */
#define EXECSNOOP_MAX_ARGS 20 /* arguments kept, the file name first */
#define EXECSNOOP_ARGS_LEN (EXECSNOOP_ARGSIZE * EXECSNOOP_MAX_ARGS)

struct event {
	emf_ktime_t ts; /* bpf_ktime_get_ns() when execve() was entered */
	int pid;
	int ppid;
	emf_uid_t uid;
	emf_ret_t ret; /* 0, or -errno of a failed execve() */
	char comm[TASK_COMM_LEN]; /* the new command; the caller's when it failed */
	char filename[MAX_FILENAME_LEN];
	char args[EXECSNOOP_ARGS_LEN] EMF_ARGV; /* argv[0..], sent only as long as used */
};

#endif /* __EXECSNOOP_H */
