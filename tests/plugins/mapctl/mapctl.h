/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef __MAPCTL_H
#define __MAPCTL_H

/* What a rule does with the calls of one process. */
enum mapctl_mode {
	MAPCTL_OFF,
	MAPCTL_LOG,
	MAPCTL_DROP,
};

/* A rule of the rules map, by tgid: every kind of field emf.maps converts. */
struct mapctl_rule {
	unsigned long long hits;
	char comm[16];
	enum mapctl_mode mode;
	unsigned short port;
	unsigned char level : 3;
	unsigned char on : 1;
	int delta;
	unsigned int ports[2];
};

struct mapctl_event {
	unsigned int pid;
};

#endif /* __MAPCTL_H */
