// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Test plugin loaded as a shared object: every mkdir with its path. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <emf/emf.bpf.h>
#include "dyntest.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Priority 1: it still starts after every static plugin. */
EMF_PLUGIN_INFO("test: mkdir paths, built as a dynamic plugin", 1);

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} events SEC(".maps");

/* A filter user space changes while the plugin runs (emf-ctl map): pid -> muted when not 0. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u8);
} muted SEC(".maps");

SEC("tp/syscalls/sys_enter_mkdir")
int handle_mkdir(struct trace_event_raw_sys_enter *ctx)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32;
	__u8 *m = bpf_map_lookup_elem(&muted, &pid);
	struct event *e;

	if (m && *m)
		return 0;
	e = emf_reserve(&events, sizeof(*e));
	if (!e)
		return 0;
	e->pid = pid;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_probe_read_user_str(e->path, sizeof(e->path), (const char *)ctx->args[0]);
	emf_submit(&events, e);
	return 0;
}
