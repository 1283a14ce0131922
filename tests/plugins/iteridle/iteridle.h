/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef __ITERIDLE_H
#define __ITERIDLE_H

struct task_rec {
	int pid;
	int tgid;
};

#endif /* __ITERIDLE_H */
