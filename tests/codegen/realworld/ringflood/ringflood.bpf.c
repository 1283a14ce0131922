// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Written in the style of libbpf-bootstrap, with no emf-specific code: one
 * event per getpgid() of the target process, sent with the kernel's ring
 * buffer helpers as they are (reserve + submit, or output) or through a perf
 * event array, as the call's argument says.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "ringflood.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

const volatile pid_t targ_pid = 0;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} rb SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} rb_out SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(u32));
	__uint(value_size, sizeof(u32));
} perf_events SEC(".maps");

SEC("tp/syscalls/sys_enter_getpgid")
int handle_getpgid(struct trace_event_raw_sys_enter *ctx)
{
	u64 arg = ctx->args[0];
	struct event *e, ev = {};
	pid_t pid;

	pid = bpf_get_current_pid_tgid() >> 32;
	if (targ_pid && pid != targ_pid)
		return 0;
	switch (arg >> 32) {
	case RINGFLOOD_RESERVE:
		e = bpf_ringbuf_reserve(&rb, sizeof(*e), 0);
		if (!e)
			return 0;
		e->pid = pid;
		e->seq = (u32)arg;
		e->ts = bpf_ktime_get_ns();
		__builtin_memset(e->pad, 0, sizeof(e->pad));
		bpf_ringbuf_submit(e, 0);
		break;
	case RINGFLOOD_OUTPUT:
	case RINGFLOOD_PERF:
		ev.pid = pid;
		ev.seq = (u32)arg;
		ev.ts = bpf_ktime_get_ns();
		if (arg >> 32 == RINGFLOOD_OUTPUT)
			bpf_ringbuf_output(&rb_out, &ev, sizeof(ev), 0);
		else
			bpf_perf_event_output(ctx, &perf_events, BPF_F_CURRENT_CPU, &ev, sizeof(ev));
		break;
	}
	return 0;
}
