// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Test plugin for the kernel's limit of 33 chained tail calls: the program of
 * slot "slot_loop" calls slot "slot_loop" again, so each run of the entry
 * program runs it 33 times and then misses once. Run with BPF_PROG_TEST_RUN.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <emf/emf.bpf.h>
#include "slotloop.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

EMF_PLUGIN_INFO("Test plugin looping through its own slot until the tail-call limit", 64);

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct slotloop_counts);
} counts SEC(".maps");

SEC("xdp")
int slotloop_entry(struct xdp_md *ctx)
{
	__u32 zero = 0;
	struct slotloop_counts *c = bpf_map_lookup_elem(&counts, &zero);

	if (c)
		__sync_fetch_and_add(&c->entries, 1);
	emf_tail_call(ctx, slot_loop);
	return XDP_ABORTED;
}

EMF_SLOT(slot_loop)
SEC("xdp")
int slotloop_again(struct xdp_md *ctx)
{
	__u32 zero = 0;
	struct slotloop_counts *c = bpf_map_lookup_elem(&counts, &zero);

	if (c)
		__sync_fetch_and_add(&c->runs, 1);
	emf_tail_call(ctx, slot_loop);
	return XDP_PASS; /* the limit: the last call missed */
}
