/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef __BIGMAP_H
#define __BIGMAP_H

/* Key and value of the test plugin's big sampled map. */
struct big_key {
	__u32 id;
	char tag[8];
};

struct big_val {
	__u64 hits;
	__u64 wait_ns;
};

#endif /* __BIGMAP_H */
