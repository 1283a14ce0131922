// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * sleeplat: how long clock_nanosleep() really sleeps, as a log2 histogram
 * per process, written the way libbpf-tools' runqlat and biolatency are: a
 * start map of tid -> timestamp, a hash of struct hist, and a count of calls
 * per process. Its user space would print the histograms at Ctrl-C; there
 * is none here, and no emf annotation either.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "sleeplat.h"
#include "bits.bpf.h"
#include "maps.bpf.h"

#define MAX_ENTRIES	10240

const volatile bool targ_ms = false;
const volatile pid_t targ_tgid = 0;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_ENTRIES);
	__type(key, u32);
	__type(value, u64);
} start SEC(".maps");

static struct hist initial_hist;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_ENTRIES);
	__type(key, u32);
	__type(value, struct hist);
} hists SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_ENTRIES);
	__type(key, u32);
	__type(value, u64);
} calls SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_clock_nanosleep")
int handle_enter(struct trace_event_raw_sys_enter *ctx)
{
	u64 id = bpf_get_current_pid_tgid();
	u32 tgid = id >> 32, tid = (u32)id;
	u64 ts;

	if (targ_tgid && targ_tgid != tgid)
		return 0;
	ts = bpf_ktime_get_ns();
	bpf_map_update_elem(&start, &tid, &ts, BPF_ANY);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_clock_nanosleep")
int handle_exit(struct trace_event_raw_sys_exit *ctx)
{
	u64 id = bpf_get_current_pid_tgid(), *tsp, slot, delta;
	u32 tgid = id >> 32, tid = (u32)id;
	static const u64 zero;
	struct hist *histp;
	u64 *cnt;

	tsp = bpf_map_lookup_elem(&start, &tid);
	if (!tsp)
		return 0;
	delta = bpf_ktime_get_ns() - *tsp;
	histp = bpf_map_lookup_or_try_init(&hists, &tgid, &initial_hist);
	if (!histp)
		goto cleanup;
	if (!histp->comm[0])
		bpf_get_current_comm(&histp->comm, sizeof(histp->comm));
	if (targ_ms)
		delta /= 1000000U;
	else
		delta /= 1000U;
	slot = log2l(delta);
	if (slot >= MAX_SLOTS)
		slot = MAX_SLOTS - 1;
	__sync_fetch_and_add(&histp->slots[slot], 1);
	cnt = bpf_map_lookup_or_try_init(&calls, &tgid, &zero);
	if (cnt)
		__sync_fetch_and_add(cnt, 1);

cleanup:
	bpf_map_delete_elem(&start, &tid);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
