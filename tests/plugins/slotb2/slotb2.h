/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef __SLOTB2_H
#define __SLOTB2_H

struct slotb2_counts {
	unsigned long long calls;
	unsigned long long last_cpu; /* CPU of the last call */
};

#endif /* __SLOTB2_H */
