/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef __LC2_H
#define __LC2_H

struct event {
	int pid;
	char comm[16];
};

#endif /* __LC2_H */
