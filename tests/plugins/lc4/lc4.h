/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef __LC4_H
#define __LC4_H

struct event {
	int pid;
	char comm[16];
};

#endif /* __LC4_H */
