/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef __SMP_H
#define __SMP_H

/* Per-process counters of the test plugin's sampled hash map. */
struct smp_counts {
	__u64 calls;
	__u64 arg_sum;
};

#endif /* __SMP_H */
