// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Test plugin for emf.maps (the maps of a running plugin read and written by
 * name): a hash of rules with a struct value of every kind of field, an
 * array and a per-CPU array of counters, and a ring buffer, which has no key.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <emf/emf.bpf.h>
#include "mapctl.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

EMF_PLUGIN_INFO("Test plugin whose maps emf.maps reads and writes", 50);

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, struct mapctl_rule);
} rules SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} limits SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} calls SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps") EMF_EVENT(mapctl_event);

SEC("tp/syscalls/sys_enter_getpgid")
int on_getpgid(void *ctx)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32, zero = 0;
	struct mapctl_rule *r = bpf_map_lookup_elem(&rules, &tgid);
	struct mapctl_event *e;
	__u64 *n = bpf_map_lookup_elem(&calls, &zero), *max = bpf_map_lookup_elem(&limits, &zero);

	if (n)
		(*n)++;
	if (!r || r->mode == MAPCTL_OFF || (max && r->hits >= *max))
		return 0;
	r->hits++;
	if (r->mode != MAPCTL_LOG)
		return 0;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return 0;
	e->pid = tgid;
	bpf_ringbuf_submit(e, 0);
	return 0;
}
