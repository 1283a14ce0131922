/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef __HOOKSKIP_H
#define __HOOKSKIP_H

enum hook_point {
	HOOK_TP_ENTER = 0, /* sys_enter_clock_nanosleep: the sleep asked for, in ns */
	HOOK_TP_EXIT = 1, /* the placeholder set to sys_exit_clock_nanosleep: its result */
	HOOK_UPROBE = 2, /* the bare uprobe set to libc's nanosleep: the sleep asked for */
	HOOK_MISSING = 3, /* a tracepoint no kernel has: never sent */
};

struct event {
	int pid;
	int tid;
	enum hook_point point;
	long long value;
	char comm[16];
};

#endif /* __HOOKSKIP_H */
