// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Test plugin importing "slot_shared" with more entries than slota exports:
 * always refused before load.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <emf/emf.bpf.h>
#include "slotbadmap.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

EMF_PLUGIN_INFO("Test plugin importing slot_shared with the wrong size", 63);

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct slotbadmap_counts);
} counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u64);
} shared SEC(".maps") EMF_MAP_IMPORT(slot_shared);

SEC("raw_tp/sys_enter")
int slotbadmap_read(struct bpf_raw_tracepoint_args *ctx)
{
	__u32 zero = 0;
	struct slotbadmap_counts *c = bpf_map_lookup_elem(&counts, &zero);

	if (c && bpf_map_lookup_elem(&shared, &zero)) {
		__sync_fetch_and_add(&c->reads, 1);
		c->last_cpu = bpf_get_smp_processor_id();
	}
	return 0;
}
