// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Every execve() on the machine, as libbpf-tools' execsnoop shows it: pid,
 * parent pid, uid, the command, the file, its arguments and the result, so a
 * failed exec shows too. The entry reads the file name and argv while they are
 * the caller's, into a per-thread map entry (an event is larger than the BPF
 * stack); the exit adds the result and the new command name and sends the
 * event cut to the arguments it holds.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include <emf/emf.bpf.h>
#include "execsnoop.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

EMF_PLUGIN_INFO("Trace execve() of every process: pid, ppid, uid, result, comm, file, argv", 10);

/* Options: the defaults trace every exec. */
const volatile bool failed_only = false; /* only execs that failed */
const volatile uid_t target_uid = (uid_t)-1; /* only this user's; -1 for all */

EMF_HOST_FILTER;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps") EMF_EVENT(event);

/* An exec between its entry and its exit. */
struct exec {
	struct event e;
	unsigned int args_size; /* bytes of e.args filled */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32); /* thread id */
	__type(value, struct exec);
} execs SEC(".maps");

/* A zeroed entry to start each exec from. */
static const struct exec empty;

SEC("tp/syscalls/sys_enter_execve")
int handle_execve_enter(struct trace_event_raw_sys_enter *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id, uid = (__u32)bpf_get_current_uid_gid();
	const char *const *argv = (const char *const *)ctx->args[1];
	struct task_struct *task;
	unsigned int size = 0;
	struct event *e;
	struct exec *x;
	const char *arg;
	int i, n;

	if ((target_uid != (uid_t)-1 && uid != target_uid) || emf_from_host())
		return 0;
	if (bpf_map_update_elem(&execs, &tid, &empty, BPF_ANY))
		return 0;
	x = bpf_map_lookup_elem(&execs, &tid);
	if (!x)
		return 0;
	e = &x->e;
	task = (struct task_struct *)bpf_get_current_task();
	e->ts = bpf_ktime_get_ns();
	e->pid = id >> 32;
	e->ppid = BPF_CORE_READ(task, real_parent, tgid);
	e->uid = uid;
	bpf_get_current_comm(&e->comm, sizeof(e->comm));
	bpf_probe_read_user_str(&e->filename, sizeof(e->filename), (const char *)ctx->args[0]);
	for (i = 0; i < EXECSNOOP_MAX_ARGS; i++) {
		if (bpf_probe_read_user(&arg, sizeof(arg), &argv[i]) || !arg)
			break;
		if (size > EXECSNOOP_ARGS_LEN - EXECSNOOP_ARGSIZE)
			break;
		n = bpf_probe_read_user_str(&e->args[size], EXECSNOOP_ARGSIZE, arg);
		if (n <= 0 || n > EXECSNOOP_ARGSIZE)
			break;
		size += n;
	}
	x->args_size = size;
	return 0;
}

SEC("tp/syscalls/sys_exit_execve")
int handle_execve_exit(struct trace_event_raw_sys_exit *ctx)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct exec *x = bpf_map_lookup_elem(&execs, &tid);
	struct event *e;
	__u64 n;

	if (!x)
		return 0;
	e = &x->e;
	e->ret = ctx->ret;
	if (failed_only && !e->ret)
		goto out;
	if (!e->ret)
		bpf_get_current_comm(&e->comm, sizeof(e->comm));
	/*
	 * Only the arguments read: the renderers take the event's size as their
	 * end. Bounded in a 64-bit register the compiler may not fold away, or
	 * older verifiers (6.1) see an unbounded size.
	 */
	n = x->args_size;
	if (n > EXECSNOOP_ARGS_LEN)
		n = EXECSNOOP_ARGS_LEN;
	barrier_var(n);
	emf_output(&events, e, __builtin_offsetof(struct event, args) + n);
out:
	bpf_map_delete_elem(&execs, &tid);
	return 0;
}
