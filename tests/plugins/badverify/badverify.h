/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef __BADVERIFY_H
#define __BADVERIFY_H

struct event {
	int pid;
};

#endif
