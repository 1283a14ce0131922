/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef __SLOTA_H
#define __SLOTA_H

/*
 * getpgid(ARG) by the target process with the upper 32 bits of ARG equal to
 * SLOTA_MAGIC is a hit of slota: it counts it, writes the lower 32 bits (a
 * sequence number) into the shared map and tail-calls slot "slot_test".
 */
#define SLOTA_MAGIC 0x534c4f54

/* Entries of the map slota exports as "slot_shared" (__u64 each). */
enum slot_shared_idx {
	SHARED_SEQ, /* last sequence number slota saw */
	SHARED_CALLS, /* calls that reached a slot_test program */
	SHARED_SEEN, /* last sequence number slot_test read */
	SHARED_MAX,
};

struct slota_counts {
	unsigned long long hits; /* calls of slot_test made */
	unsigned long long fell; /* of them, those that came back (missed) */
};

#endif /* __SLOTA_H */
