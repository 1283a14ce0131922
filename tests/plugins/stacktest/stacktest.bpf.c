// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Test plugin for stacks carried in events: at each fork of one process
 * (target_pid), the forking task's kernel stack (through kernel_clone) and
 * user stack (from the C library's fork), filled by bpf_get_stack().
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <emf/emf.bpf.h>
#include "stacktest.h"

char LICENSE[] SEC("license") = "GPL";

EMF_PLUGIN_INFO("test: kernel and user stacks at fork", 50);

const volatile __u32 target_pid = 0; /* only forks of this process */

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} events SEC(".maps") EMF_EVENT(event);

SEC("tp_btf/sched_process_fork")
int BPF_PROG(on_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32;
	struct event *e;

	if (target_pid && pid != target_pid)
		return 0;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return 0;
	e->pid = pid;
	e->child = child->pid;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_get_stack(ctx, e->kstack, sizeof(e->kstack), 0);
	bpf_get_stack(ctx, e->ustack, sizeof(e->ustack), BPF_F_USER_STACK);
	bpf_ringbuf_submit(e, 0);
	return 0;
}
