/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef __NOTP_H
#define __NOTP_H

struct event {
	int pid;
};

#endif
