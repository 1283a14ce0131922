/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef __HOOKALT_H
#define __HOOKALT_H

enum hook_point {
	HOOK_KRETPROBE = 0, /* kretprobe/hrtimer_nanosleep: its result */
	HOOK_KRETPROBE_RENAMED = 1, /* the same under a name this kernel lacks: never sent */
	HOOK_FENTRY = 2, /* the fentry placeholder set to hrtimer_nanosleep: the sleep asked for */
	HOOK_KRETPROBE_PLACEHOLDER = 3, /* the kretprobe placeholder set to hrtimer_nanosleep */
};

struct event {
	int pid;
	int tid;
	enum hook_point point;
	long long value;
	char comm[16];
};

#endif /* __HOOKALT_H */
