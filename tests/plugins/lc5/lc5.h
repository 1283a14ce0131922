/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef __LC5_H
#define __LC5_H

struct event {
	int pid;
	char comm[16];
};

#endif /* __LC5_H */
