/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef __TAILBENCH_H
#define __TAILBENCH_H

/* Tail calls in each chain: the kernel allows at most 33 in a row. */
#define TAILBENCH_CHAIN 32

struct tailbench_counts {
	unsigned long long ends; /* chains that reached their last program */
	unsigned long long misses; /* chains that came back from a tail call */
};

#endif /* __TAILBENCH_H */
