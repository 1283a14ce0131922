// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Every file open: who opened which path with which flags, and the result (the new
 * fd or -errno).
 *
 * The syscall's arguments are seen on entry and its result on exit, so the entry
 * handler parks the arguments in a hash map keyed by thread id and the exit handler
 * joins them with the result. The path is read on exit: by then the kernel has read
 * it too, so its pages are present and the read cannot fault.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <emf/emf.bpf.h>
#include "opensnoop.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

EMF_PLUGIN_INFO("Trace openat() of files: pid, comm, path, flags, fd or -errno", 20);

/* Options: the defaults trace every open. */
const volatile pid_t target_pid = 0; /* only this process (tgid) */
const volatile pid_t target_tid = 0; /* only this thread */
const volatile uid_t target_uid = (uid_t)-1; /* only this user's opens; -1 for all */
const volatile bool failed_only = false; /* only opens that failed */
const volatile char target_comm[16] = ""; /* only processes whose name contains this */

EMF_HOST_FILTER;

/* Whether the current task's name contains target_comm (libbpf-tools' -n). */
static __always_inline bool comm_matches(void)
{
	char comm[16];
	int i, j;

	if (!target_comm[0])
		return true;
	bpf_get_current_comm(comm, sizeof(comm));
	for (i = 0; i < 16 && comm[i]; i++) {
		for (j = 0; i + j < 16 && target_comm[j] && comm[i + j] == target_comm[j]; j++)
			;
		if (!target_comm[j & 15] || j == 16)
			return true;
	}
	return false;
}

struct args {
	const char *path;
	int flags;
	unsigned int mode;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32); /* thread id */
	__type(value, struct args);
} start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

SEC("tp/syscalls/sys_enter_openat")
int handle_openat_enter(struct trace_event_raw_sys_enter *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	struct args args;

	if ((target_pid && (pid_t)(id >> 32) != target_pid) || (target_tid && (pid_t)tid != target_tid))
		return 0;
	if (target_uid != (uid_t)-1 && (uid_t)bpf_get_current_uid_gid() != target_uid)
		return 0;
	if (emf_from_host() || !comm_matches())
		return 0;
	/* openat(int dfd, const char *path, int flags, umode_t mode) */
	args.path = (const char *)ctx->args[1];
	args.flags = (int)ctx->args[2];
	args.mode = (unsigned int)ctx->args[3];
	bpf_map_update_elem(&start, &tid, &args, BPF_ANY);
	return 0;
}

SEC("tp/syscalls/sys_exit_openat")
int handle_openat_exit(struct trace_event_raw_sys_exit *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	struct args *args;
	struct event *e;
	int ret = ctx->ret;

	args = bpf_map_lookup_elem(&start, &tid);
	if (!args)
		return 0; /* entered before we attached, or filtered out on entry */
	if (failed_only && ret >= 0)
		goto cleanup;

	e = emf_reserve(&events, sizeof(*e));
	if (!e)
		goto cleanup;
	e->ts = bpf_ktime_get_ns();
	e->pid = id >> 32;
	e->tid = tid;
	e->uid = (__u32)bpf_get_current_uid_gid();
	e->ret = ret;
	e->flags = args->flags;
	e->mode = args->mode;
	bpf_get_current_comm(&e->comm, sizeof(e->comm));
	bpf_probe_read_user_str(&e->path, sizeof(e->path), args->path);
	emf_submit(&events, e);
cleanup:
	bpf_map_delete_elem(&start, &tid);
	return 0;
}
