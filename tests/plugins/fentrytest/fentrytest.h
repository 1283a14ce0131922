/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef __FENTRYTEST_H
#define __FENTRYTEST_H

struct event {
	int pid;
};

#endif /* __FENTRYTEST_H */
