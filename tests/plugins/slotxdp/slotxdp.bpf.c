// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Test plugin filling slot "slot_test" with an XDP program: incompatible with
 * the raw_tracepoint callers of slota, so always refused next to them.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <emf/emf.bpf.h>
#include "slotxdp.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

EMF_PLUGIN_INFO("Test plugin filling slot slot_test with an XDP program", 62);

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct slotxdp_counts);
} counts SEC(".maps");

EMF_SLOT(slot_test)
SEC("xdp")
int slotxdp_handle(struct xdp_md *ctx)
{
	__u32 zero = 0;
	struct slotxdp_counts *c = bpf_map_lookup_elem(&counts, &zero);

	if (c) {
		__sync_fetch_and_add(&c->calls, 1);
		c->last_len = ctx->data_end - ctx->data;
	}
	return XDP_PASS;
}
