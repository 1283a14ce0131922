/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef __SLOTB_H
#define __SLOTB_H

struct slotb_counts {
	unsigned long long calls; /* calls that reached this instance */
	unsigned long long last_seq; /* sequence number of the last call */
};

#endif /* __SLOTB_H */
