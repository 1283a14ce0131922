/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#include <emf/types.h>

struct event {
	int pid;
	unsigned int frames[8] EMF_KSTACK;
};
