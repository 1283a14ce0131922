// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * In the style of libbpf-tools' execsnoop: the event is built at execve()'s
 * entry in a hash map keyed by pid, completed with the result at its exit and
 * sent through a perf buffer. No emf-specific code at all.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "execheap.h"

static const struct event empty_event = {};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, pid_t);
	__type(value, struct event);
} execs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(u32));
	__uint(value_size, sizeof(u32));
} events SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_execve")
int tracepoint__syscalls__sys_enter_execve(struct trace_event_raw_sys_enter *ctx)
{
	struct task_struct *task;
	const char *argp = NULL;
	struct event *event;
	pid_t pid;

	pid = bpf_get_current_pid_tgid() >> 32;
	if (bpf_map_update_elem(&execs, &pid, &empty_event, BPF_NOEXIST))
		return 0;
	event = bpf_map_lookup_elem(&execs, &pid);
	if (!event)
		return 0;
	event->pid = pid;
	task = (struct task_struct *)bpf_get_current_task();
	event->ppid = BPF_CORE_READ(task, real_parent, tgid);
	event->uid = (u32)bpf_get_current_uid_gid();
	bpf_probe_read_user(&argp, sizeof(argp), (const char *const *)ctx->args[1]);
	if (argp)
		bpf_probe_read_user_str(event->arg0, sizeof(event->arg0), argp);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_execve")
int tracepoint__syscalls__sys_exit_execve(struct trace_event_raw_sys_exit *ctx)
{
	pid_t pid = bpf_get_current_pid_tgid() >> 32;
	struct event *event;

	event = bpf_map_lookup_elem(&execs, &pid);
	if (!event)
		return 0;
	event->retval = ctx->ret;
	bpf_get_current_comm(&event->comm, sizeof(event->comm));
	bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, event, sizeof(*event));
	bpf_map_delete_elem(&execs, &pid);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
