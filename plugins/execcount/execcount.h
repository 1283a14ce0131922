/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef __EXECCOUNT_H
#define __EXECCOUNT_H

/* Value of the by_uid map: execs seen for one user id. */
struct exec_stat {
	__u64 execs;
};

#endif /* __EXECCOUNT_H */
