// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Signals sent with kill(), tkill() and tgkill(), with their result: a
 * handler behind sysdispatch. Its one program fills slot sys_signal, which
 * sysdispatch calls at the exit of those syscalls; the arguments come from
 * the entry, through the map sysdispatch exports as "sys_inflight". Needs
 * sysdispatch running (in this agent or another process sharing the pins).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <emf/emf.bpf.h>
#include "../sysdispatch/inflight.h"
#include "killsnoop.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

EMF_PLUGIN_INFO("Signals sent with kill/tkill/tgkill: sender, target, signal, result (behind sysdispatch, slot sys_signal)",
		30);

/* Options: the defaults trace every signal sent. */
const volatile pid_t target_pid = 0; /* only signals this process (tgid) sends */
const volatile bool failed_only = false; /* only sends that failed */

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, SYSDISPATCH_MAX_INFLIGHT);
	__type(key, __u32);
	__type(value, struct sys_inflight);
} inflight SEC(".maps") EMF_MAP_IMPORT(sys_inflight);

EMF_SLOT(sys_signal)
SEC("raw_tp")
int killsnoop_exit(struct bpf_raw_tracepoint_args *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	struct sys_inflight *in = bpf_map_lookup_elem(&inflight, &tid);
	struct event *e;

	if (!in)
		return 0;
	if ((target_pid && (pid_t)(id >> 32) != target_pid) ||
	    (failed_only && (long)ctx->args[1] >= 0))
		goto out;
	e = emf_reserve(&events, sizeof(*e));
	if (e) {
		e->ts = in->ts; /* when the syscall was entered */
		e->pid = id >> 32;
		e->tid = tid;
		if (in->nr == SYSDISPATCH_NR_TGKILL) {
			e->target = in->args[1];
			e->sig = in->args[2];
			__builtin_memcpy(e->syscall, "tgkill", 7);
		} else {
			e->target = in->args[0];
			e->sig = in->args[1];
			if (in->nr == SYSDISPATCH_NR_TKILL)
				__builtin_memcpy(e->syscall, "tkill", 6);
			else
				__builtin_memcpy(e->syscall, "kill", 5);
		}
		e->ret = (long)ctx->args[1];
		e->latency_ns = bpf_ktime_get_ns() - in->ts;
		bpf_get_current_comm(e->comm, sizeof(e->comm));
		emf_submit(&events, e);
	}
out:
	bpf_map_delete_elem(&inflight, &tid);
	return 0;
}
