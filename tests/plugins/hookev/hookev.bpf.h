/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The BPF side the attach-target test plugins (hookskip, hookalt) share, in
 * plain libbpf: their ring buffer and the function that reports one event.
 * Included by the plugin's .bpf.c after its header, which defines enum
 * hook_point and struct event (each plugin's own header must: emf-codegen
 * reads it).
 */
#ifndef __HOOKEV_BPF_H
#define __HOOKEV_BPF_H

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} events SEC(".maps");

static int report(enum hook_point point, long long value)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e)
		return 0;
	e->pid = id >> 32;
	e->tid = (__u32)id;
	e->point = point;
	e->value = value;
	bpf_get_current_comm(&e->comm, sizeof(e->comm));
	bpf_ringbuf_submit(e, 0);
	return 0;
}

#endif /* __HOOKEV_BPF_H */
