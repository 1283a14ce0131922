// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Test caller of slot "slot_test", at raw_tp/sys_enter: every marked
 * getpgid() of the target process is a hit, shared with the handler through
 * the map exported as "slot_shared".
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <emf/emf.bpf.h>
#include "slota.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

EMF_PLUGIN_INFO("Test caller of slot slot_test on marked getpgid() calls", 40);

#define NR_getpgid 121 /* x86_64 */

const volatile __u32 target_tgid = 0;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct slota_counts);
} counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SHARED_MAX);
	__type(key, __u32);
	__type(value, __u64);
} shared SEC(".maps") EMF_MAP_EXPORT(slot_shared);

SEC("raw_tp/sys_enter")
int slota_enter(struct bpf_raw_tracepoint_args *ctx)
{
	struct pt_regs *regs = (struct pt_regs *)ctx->args[0];
	__u32 zero = 0, key = SHARED_SEQ;
	struct slota_counts *c;
	__u64 arg, *seq;

	if (ctx->args[1] != NR_getpgid || bpf_get_current_pid_tgid() >> 32 != target_tgid)
		return 0;
	arg = BPF_CORE_READ(regs, di);
	if (arg >> 32 != SLOTA_MAGIC)
		return 0;
	c = bpf_map_lookup_elem(&counts, &zero);
	seq = bpf_map_lookup_elem(&shared, &key);
	if (!c || !seq)
		return 0;
	__sync_fetch_and_add(&c->hits, 1);
	*seq = (__u32)arg;
	emf_tail_call(ctx, slot_test);
	__sync_fetch_and_add(&c->fell, 1);
	return 0;
}
