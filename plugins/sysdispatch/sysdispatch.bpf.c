// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A syscall dispatcher: one raw tracepoint at syscall entry and one at exit
 * for the whole machine, and per-purpose handler plugins behind tail-call
 * slots. At entry, a dispatched syscall's arguments go into the map exported
 * as "sys_inflight"; at exit, the dispatcher tail-calls the syscall's slot,
 * whose handler (another plugin, e.g. killsnoop for slot sys_signal) finds
 * the arguments there and has the result at hand. Without a handler the call
 * misses, is counted (emf-agent --stats) and the entry is dropped.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <emf/emf.bpf.h>
#include "sysdispatch.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

EMF_PLUGIN_INFO("Syscall dispatcher: hands kill/tkill/tgkill exits to slot sys_signal, with their arguments in the shared map sys_inflight",
		20);

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, SYSDISPATCH_MAX_INFLIGHT);
	__type(key, __u32);
	__type(value, struct sys_inflight);
} inflight SEC(".maps") EMF_MAP_EXPORT(sys_inflight);

static __always_inline bool is_signal(__u64 nr)
{
	return nr == SYSDISPATCH_NR_KILL || nr == SYSDISPATCH_NR_TKILL ||
	       nr == SYSDISPATCH_NR_TGKILL;
}

SEC("raw_tp/sys_enter")
int sysdispatch_enter(struct bpf_raw_tracepoint_args *ctx)
{
	struct pt_regs *regs = (struct pt_regs *)ctx->args[0];
	struct sys_inflight in = {};
	__u32 tid;

	if (!is_signal(ctx->args[1]))
		return 0;
	in.ts = bpf_ktime_get_ns();
	in.nr = ctx->args[1];
	in.args[0] = BPF_CORE_READ(regs, di);
	in.args[1] = BPF_CORE_READ(regs, si);
	in.args[2] = BPF_CORE_READ(regs, dx);
	tid = (__u32)bpf_get_current_pid_tgid();
	bpf_map_update_elem(&inflight, &tid, &in, BPF_ANY);
	return 0;
}

SEC("raw_tp/sys_exit")
int sysdispatch_exit(struct bpf_raw_tracepoint_args *ctx)
{
	struct pt_regs *regs = (struct pt_regs *)ctx->args[0];
	__u32 tid;

	if (!is_signal(BPF_CORE_READ(regs, orig_ax)))
		return 0;
	emf_tail_call(ctx, sys_signal);
	/* No handler in the slot: nobody else drops the entry. */
	tid = (__u32)bpf_get_current_pid_tgid();
	bpf_map_delete_elem(&inflight, &tid);
	return 0;
}
