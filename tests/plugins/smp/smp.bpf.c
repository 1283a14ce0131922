// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Test plugin for sampled maps: getpgid(arg) calls of one process counted in
 * a per-CPU hash (struct value, cleared after each read), a per-CPU array
 * and a log2 histogram of arg; and, without an annotation, a per-CPU hash of
 * parity -> struct smp_hist, counts of arg & 7 per parity in its slots,
 * which the host reads when it asks.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <emf/emf.bpf.h>
#include "smp.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

const volatile u32 target_tgid = 0;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 64);
	__type(key, u32);
	__type(value, struct smp_counts);
} by_tgid SEC(".maps") EMF_SAMPLE_COUNTERS_CLEAR(100);

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 4);
	__type(key, u32);
	__type(value, u64);
} by_parity SEC(".maps") EMF_SAMPLE_COUNTERS(100);

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 64);
	__type(key, u32);
	__type(value, u64);
} arg_hist SEC(".maps") EMF_SAMPLE_LOG2_HIST(100);

struct smp_hist {
	u32 slots[8];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 4);
	__type(key, u32);
	__type(value, struct smp_hist);
} parity_hist SEC(".maps");

SEC("tp/syscalls/sys_enter_getpgid")
int on_getpgid(struct trace_event_raw_sys_enter *ctx)
{
	u32 tgid = bpf_get_current_pid_tgid() >> 32, parity, slot;
	u64 arg = ctx->args[0], *n;
	struct smp_counts zero = {}, *c;
	struct smp_hist none = {}, *h;

	if (tgid != target_tgid)
		return 0;
	c = bpf_map_lookup_elem(&by_tgid, &tgid);
	if (!c) {
		bpf_map_update_elem(&by_tgid, &tgid, &zero, BPF_NOEXIST);
		c = bpf_map_lookup_elem(&by_tgid, &tgid);
		if (!c)
			return 0;
	}
	c->calls++;
	c->arg_sum += arg;
	parity = arg & 1;
	n = bpf_map_lookup_elem(&by_parity, &parity);
	if (n)
		(*n)++;
	h = bpf_map_lookup_elem(&parity_hist, &parity);
	if (!h) {
		bpf_map_update_elem(&parity_hist, &parity, &none, BPF_NOEXIST);
		h = bpf_map_lookup_elem(&parity_hist, &parity);
	}
	/* Slot arg & 7: a bound 6.1's verifier keeps (it loses emf_log2l()'s). */
	if (h)
		h->slots[arg & 7]++;
	slot = emf_log2l(arg);
	if (slot < 64) {
		n = bpf_map_lookup_elem(&arg_hist, &slot);
		if (n)
			__sync_fetch_and_add(n, 1);
	}
	return 0;
}
