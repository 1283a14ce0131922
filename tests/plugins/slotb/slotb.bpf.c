// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Test filler of slot "slot_test": counts the calls that reach it, in its own
 * map and in the map slota exports as "slot_shared", whose sequence number it
 * copies.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <emf/emf.bpf.h>
#include "../slota/slota.h"
#include "slotb.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

EMF_PLUGIN_INFO("Test filler of slot slot_test, reading the slot_shared map", 60);

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct slotb_counts);
} counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SHARED_MAX);
	__type(key, __u32);
	__type(value, __u64);
} shared SEC(".maps") EMF_MAP_IMPORT(slot_shared);

EMF_SLOT(slot_test)
SEC("raw_tp")
int slotb_handle(struct bpf_raw_tracepoint_args *ctx)
{
	__u32 zero = 0, k_seq = SHARED_SEQ, k_calls = SHARED_CALLS, k_seen = SHARED_SEEN;
	__u64 *seq = bpf_map_lookup_elem(&shared, &k_seq);
	__u64 *calls = bpf_map_lookup_elem(&shared, &k_calls);
	__u64 *seen = bpf_map_lookup_elem(&shared, &k_seen);
	struct slotb_counts *c = bpf_map_lookup_elem(&counts, &zero);

	if (!seq || !calls || !seen || !c)
		return 0;
	__sync_fetch_and_add(&c->calls, 1);
	__sync_fetch_and_add(calls, 1);
	*seen = *seq;
	c->last_seq = *seq;
	return 0;
}
