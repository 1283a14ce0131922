// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Every process exit: pid, parent pid, exit status or killing signal, how long the
 * process lived and its command name.
 *
 * tp_btf hands the program the exiting task_struct itself, with BTF-typed access to
 * its fields, and its link detaches at once (a tp/ perf-event link takes ~80 ms).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include <emf/emf.bpf.h>
#include "exitsnoop.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

EMF_PLUGIN_INFO("Trace process exits: pid, ppid, exit code or signal, lifetime, comm", 10);

/* Options: the defaults trace every process. */
const volatile pid_t target_pid = 0; /* only this process (tgid) */
const volatile bool failed_only = false; /* only non-zero exit codes and deaths by signal */
const volatile bool trace_threads = false; /* every thread's exit, not only the process's */

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

SEC("tp_btf/sched_process_exit")
int BPF_PROG(handle_exit, struct task_struct *task)
{
	int pid = task->tgid, code = task->exit_code;
	struct event *e;

	if (target_pid && pid != target_pid)
		return 0;
	/*
	 * do_exit() has already taken this thread off signal->live: zero means it is
	 * the last thread, so the process itself is gone.
	 */
	if (!trace_threads && BPF_CORE_READ(task, signal, live.counter) != 0)
		return 0;
	if (failed_only && code == 0)
		return 0;

	e = emf_reserve(&events, sizeof(*e));
	if (!e)
		return 0;
	e->ts = bpf_ktime_get_ns();
	e->duration_ns = bpf_ktime_get_ns() - task->start_time;
	e->pid = pid;
	e->tid = task->pid;
	e->ppid = BPF_CORE_READ(task, real_parent, tgid);
	/* The wait(2) status layout: exit status in bits 8-15, signal in 0-6, core dump in 7. */
	e->exit_code = (code >> 8) & 0xff;
	e->sig = code & 0x7f;
	e->core_dumped = code & 0x80;
	bpf_get_current_comm(&e->comm, sizeof(e->comm));
	emf_submit(&events, e);
	return 0;
}
