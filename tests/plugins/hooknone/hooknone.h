/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef __HOOKNONE_H
#define __HOOKNONE_H

struct event {
	int pid;
};

#endif /* __HOOKNONE_H */
