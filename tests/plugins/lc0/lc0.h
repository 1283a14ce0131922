/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef __LC0_H
#define __LC0_H

struct event {
	int pid;
	char comm[16];
};

#endif /* __LC0_H */
