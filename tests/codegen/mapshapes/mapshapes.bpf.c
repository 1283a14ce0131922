// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Map shapes emf-codegen recognises without an annotation, and those it must
 * leave alone (tests/codegen/test_codegen.sh lists which is which).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <emf/emf.bpf.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct shape_disk {
	u32 major;
	u32 minor;
};

struct shape_hist {
	u64 slots[20];
	u64 total;
};

struct kind_stat {
	u64 calls;
	u32 errors;
};

/* Shown: a per-CPU histogram keyed by a struct. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 64);
	__type(key, struct shape_disk);
	__type(value, struct shape_hist);
} by_disk SEC(".maps");

/* Shown: an array that counts in place. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, u32);
	__type(value, struct kind_stat);
} by_kind SEC(".maps");

/* Left out: a start map, deleted from. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, u32);
	__type(value, u64);
} start SEC(".maps");

/* Left out: a filter user space fills (never added to here). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, u32);
	__type(value, u8);
} filter SEC(".maps");

/* Left out: a string is not a counter. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, u32);
	__type(value, char[16]);
} names SEC(".maps");

/* Shown: counts with a name beside them, as libbpf-tools' syscount keeps them. */
struct by_pid_stat {
	u64 count;
	char comm[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, u32);
	__type(value, struct by_pid_stat);
} by_pid SEC(".maps");

/* Left out: start times, overwritten rather than deleted (syscount's start). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, u32);
	__type(value, u64);
} last_enter SEC(".maps");

/* Annotated: read at its own interval, once. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, u32);
	__type(value, u64);
} marked SEC(".maps") EMF_SAMPLE_COUNTERS(500);

SEC("tp/syscalls/sys_enter_getpgid")
int on_enter(void *ctx)
{
	u64 ts = bpf_ktime_get_ns(), one = 1;
	u32 tid = (u32)bpf_get_current_pid_tgid();

	if (bpf_map_lookup_elem(&filter, &tid))
		return 0;
	bpf_map_update_elem(&start, &tid, &ts, BPF_ANY);
	bpf_map_update_elem(&marked, &tid, &one, BPF_ANY);
	bpf_map_update_elem(&names, &tid, "x", BPF_ANY);
	ts = bpf_ktime_get_ns();
	bpf_map_update_elem(&last_enter, &tid, &ts, BPF_ANY);
	return 0;
}

SEC("tp/syscalls/sys_exit_getpgid")
int on_exit(void *ctx)
{
	u32 tid = (u32)bpf_get_current_pid_tgid(), kind = tid & 3;
	struct shape_disk dk = { 8, 0 };
	struct shape_hist zero = {}, *h;
	struct kind_stat *s;
	u64 *tsp, one = 1;

	tsp = bpf_map_lookup_elem(&start, &tid);
	if (!tsp)
		return 0;
	bpf_map_update_elem(&by_disk, &dk, &zero, BPF_NOEXIST);
	h = bpf_map_lookup_elem(&by_disk, &dk);
	if (h) {
		h->slots[(bpf_ktime_get_ns() - *tsp) & 15]++;
		h->total++;
	}
	s = bpf_map_lookup_elem(&by_kind, &kind);
	if (s)
		__sync_fetch_and_add(&s->calls, 1);
	{
		struct by_pid_stat init = {}, *ps;

		bpf_map_update_elem(&by_pid, &tid, &init, BPF_NOEXIST);
		ps = bpf_map_lookup_elem(&by_pid, &tid);
		if (ps) {
			ps->count++;
			bpf_get_current_comm(ps->comm, sizeof(ps->comm));
		}
	}
	bpf_map_delete_elem(&start, &tid);
	return 0;
}
