/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef __FEXITTEST_H
#define __FEXITTEST_H

enum sleep_point {
	SLEEP_ENTRY = 0, /* entry: the sleep asked for */
	SLEEP_RETURN = 1, /* return: hrtimer_nanosleep()'s result */
};

struct event {
	int pid;
	int tid;
	enum sleep_point point;
	long long value; /* nanoseconds asked for at entry, the result at return */
	char comm[16];
};

#endif /* __FEXITTEST_H */
