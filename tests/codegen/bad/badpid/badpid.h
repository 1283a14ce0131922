/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#include <emf/types.h>

struct event {
	unsigned long long tgid; /* not 32 bits */
	unsigned long long ustack[8] EMF_USTACK(tgid);
};
