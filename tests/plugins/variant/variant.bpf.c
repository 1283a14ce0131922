// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Test plugin with three variants of one hook point, the sys_enter
 * tracepoint, as tp_btf/, raw_tp/ and tp/ programs: the runtime loads only
 * the best one the kernel supports, so each getpgid() of the target process
 * is sent exactly once, tagged with the variant that saw it.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include <emf/emf.bpf.h>
#include "variant.h"

char LICENSE[] SEC("license") = "GPL";

#define NR_getpgid 121 /* x86_64 */

const volatile __u32 target_tgid = 0;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

static __always_inline int send(enum variant_kind kind, long id, unsigned long long arg)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct event *e;

	if (id != NR_getpgid || tgid != target_tgid)
		return 0;
	e = emf_reserve(&events, sizeof(*e));
	if (!e)
		return 0;
	e->kind = kind;
	e->pid = tgid;
	e->arg = arg;
	emf_submit(&events, e);
	return 0;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(on_btf, struct pt_regs *regs, long id)
{
	return send(VARIANT_TP_BTF, id, BPF_CORE_READ(regs, di));
}

SEC("raw_tp/sys_enter")
int BPF_PROG(on_raw, struct pt_regs *regs, long id)
{
	return send(VARIANT_RAW_TP, id, BPF_CORE_READ(regs, di));
}

SEC("tp/raw_syscalls/sys_enter")
int on_tp(struct trace_event_raw_sys_enter *ctx)
{
	return send(VARIANT_TP, ctx->id, ctx->args[0]);
}
