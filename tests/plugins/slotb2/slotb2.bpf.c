// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Test plugin that claims slot "slot_test" too: always refused next to slotb. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <emf/emf.bpf.h>
#include "slotb2.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

EMF_PLUGIN_INFO("Test plugin claiming slot slot_test as well", 61);

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct slotb2_counts);
} counts SEC(".maps");

EMF_SLOT(slot_test)
SEC("raw_tp")
int slotb2_handle(struct bpf_raw_tracepoint_args *ctx)
{
	__u32 zero = 0;
	struct slotb2_counts *c = bpf_map_lookup_elem(&counts, &zero);

	if (c) {
		__sync_fetch_and_add(&c->calls, 1);
		c->last_cpu = bpf_get_smp_processor_id();
	}
	return 0;
}
