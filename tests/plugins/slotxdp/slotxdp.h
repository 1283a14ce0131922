/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef __SLOTXDP_H
#define __SLOTXDP_H

struct slotxdp_counts {
	unsigned long long calls;
	unsigned long long last_len; /* packet length of the last call */
};

#endif /* __SLOTXDP_H */
