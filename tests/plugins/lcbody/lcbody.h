/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Body shared by the lifecycle benchmark's plugins lc0..lc7: eight separate
 * objects, each a small tracepoint program with a ring buffer, like a typical
 * tool. Included by tests/plugins/lcN/lcN.bpf.c after its event header.
 */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, u32);
	__type(value, u64);
} counts SEC(".maps");

const volatile u32 target_pid = 0;

SEC("tp/syscalls/sys_enter_getppid")
int on_getppid(struct trace_event_raw_sys_enter *ctx)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	u32 pid = bpf_get_current_pid_tgid() >> 32;
	u64 one = 1, *n;
	struct event *e;

	if (target_pid && pid != target_pid)
		return 0;
	n = bpf_map_lookup_elem(&counts, &pid);
	if (n)
		__sync_fetch_and_add(n, 1);
	else
		bpf_map_update_elem(&counts, &pid, &one, BPF_ANY);
	e = emf_reserve(&events, sizeof(*e));
	if (!e)
		return 0;
	/* A CO-RE read, as most tools have: the load relocates against vmlinux BTF. */
	e->pid = BPF_CORE_READ(task, real_parent, tgid);
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	emf_submit(&events, e);
	return 0;
}
