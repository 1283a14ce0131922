// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Test plugin: maps whose size a tool's user space would set. seen declares no
 * max_entries, stacks no value_size (the tool sets it from the stack depth it wants),
 * counts is sized by option (emf-agent --map-size usersized.counts=N).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <emf/emf.bpf.h>
#include "usersized.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, u32);
	__type(value, u64);
} seen SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(key_size, sizeof(u32));
} stacks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, u64);
} counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} events SEC(".maps");

SEC("tp/sched/sched_process_exec")
int on_exec(void *ctx)
{
	u32 pid = bpf_get_current_pid_tgid() >> 32, last = 63;
	u64 one = 1, *n;
	struct sized *e;

	bpf_map_update_elem(&seen, &pid, &one, BPF_ANY);
	/* The last slot of a map sized to 64 entries. */
	n = bpf_map_lookup_elem(&counts, &last);
	if (n)
		__sync_fetch_and_add(n, 1);
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return 0;
	e->pid = pid;
	e->in_seen = bpf_map_lookup_elem(&seen, &pid) != NULL;
	e->has_slot_63 = n != NULL;
	e->stack_id = bpf_get_stackid(ctx, &stacks, 0);
	bpf_ringbuf_submit(e, 0);
	return 0;
}
