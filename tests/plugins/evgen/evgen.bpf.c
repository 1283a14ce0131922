// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Test event generator for the event pipeline: every getpgid() whose argument
 * carries one of the EVGEN_* magics sends one event through the path the
 * magic names, so a test or benchmark decides exactly how many events are
 * sent and how.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <emf/emf.bpf.h>
#include "evgen.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

EMF_PLUGIN_INFO("Test event generator driven by getpgid() calls", 50);

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 * 1024 * 1024);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(int));
	__uint(value_size, sizeof(int));
} perf_events SEC(".maps");

SEC("tp/syscalls/sys_enter_getpgid")
int on_getpgid(struct trace_event_raw_sys_enter *ctx)
{
	__u64 arg = ctx->args[0];
	__u32 magic = arg >> 32;
	struct event ev, *e;

	switch (magic) {
	case EVGEN_RING_EMF:
		e = emf_reserve(&events, sizeof(*e));
		if (!e)
			return 0;
		e->pid = bpf_get_current_pid_tgid() >> 32;
		e->seq = (__u32)arg;
		e->ts = bpf_ktime_get_ns();
		emf_submit(&events, e);
		return 0;
	case EVGEN_RING_DEFAULT:
	case EVGEN_RING_NOWAKEUP:
		/* The kernel's helpers as they are: the parentheses keep <emf/shim.bpf.h> out. */
		e = (bpf_ringbuf_reserve)(&events, sizeof(*e), 0);
		if (!e)
			return 0;
		e->pid = bpf_get_current_pid_tgid() >> 32;
		e->seq = (__u32)arg;
		e->ts = bpf_ktime_get_ns();
		(bpf_ringbuf_submit)(e, magic == EVGEN_RING_NOWAKEUP ? BPF_RB_NO_WAKEUP : 0);
		return 0;
	case EVGEN_RING_OUTPUT:
	case EVGEN_PERF:
		ev.pid = bpf_get_current_pid_tgid() >> 32;
		ev.seq = (__u32)arg;
		ev.ts = bpf_ktime_get_ns();
		if (magic == EVGEN_PERF)
			bpf_perf_event_output(ctx, &perf_events, BPF_F_CURRENT_CPU, &ev, sizeof(ev));
		else
			emf_output(&events, &ev, sizeof(ev));
		return 0;
	}
	return 0;
}
