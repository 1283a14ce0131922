/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef __BADHOOK_H
#define __BADHOOK_H

struct event {
	int pid;
};

#endif
