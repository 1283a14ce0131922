/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef __LC7_H
#define __LC7_H

struct event {
	int pid;
	char comm[16];
};

#endif /* __LC7_H */
