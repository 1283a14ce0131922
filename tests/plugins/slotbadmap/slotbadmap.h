/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef __SLOTBADMAP_H
#define __SLOTBADMAP_H

struct slotbadmap_counts {
	unsigned long long reads;
	unsigned long long last_cpu; /* CPU of the last read */
};

#endif /* __SLOTBADMAP_H */
