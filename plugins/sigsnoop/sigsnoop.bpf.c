// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Every signal generated: by kill(), tgkill(), the kernel (SIGCHLD, SIGSEGV, SIGPIPE
 * ...), with sender, target, signal number and what became of it.
 *
 * signal_generate fires in the sender's context for every signal, whatever sent it,
 * which one syscall pair (kill enter/exit) would not see. As a tp_btf program it gets
 * the tracepoint's typed arguments and a link that detaches at once.
 *
 * @info may be one of the stand-ins SEND_SIG_NOINFO (0) or SEND_SIG_PRIV (1) rather
 * than a pointer: recent verifiers (6.18's, not 6.1's) type it as a plain number for
 * that reason and refuse a direct dereference, which older ones accepted. A CO-RE
 * read (bpf_probe_read_kernel() under BPF_CORE_READ()) is accepted by both.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include <emf/emf.bpf.h>
#include "sigsnoop.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

EMF_PLUGIN_INFO("Trace signals sent: sender pid/comm, target pid/comm, signal, result", 30);

/* Options: the defaults trace every signal. */
const volatile pid_t sender_pid = 0; /* only signals this process sends */
const volatile pid_t target_pid = 0; /* only signals sent to this process */
const volatile int target_signal = 0; /* only this signal number */
const volatile bool failed_only = false; /* only signals not delivered */

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

/* The kernel's stand-ins for a siginfo (include/linux/sched/signal.h). */
#define SEND_SIG_NOINFO ((struct kernel_siginfo *)0)
#define SEND_SIG_PRIV ((struct kernel_siginfo *)1)
#define SI_USER 0
#define SI_KERNEL 0x80

SEC("tp_btf/signal_generate")
int BPF_PROG(handle_signal_generate, int sig, struct kernel_siginfo *info, struct task_struct *task,
	     int group, int result)
{
	int pid = bpf_get_current_pid_tgid() >> 32, tpid = task->tgid;
	struct event *e;

	if (sender_pid && pid != sender_pid)
		return 0;
	if (target_pid && tpid != target_pid)
		return 0;
	if (target_signal && sig != target_signal)
		return 0;
	if (failed_only && result == SIGNAL_DELIVERED)
		return 0;

	e = emf_reserve(&events, sizeof(*e));
	if (!e)
		return 0;
	e->ts = bpf_ktime_get_ns();
	e->pid = pid;
	e->target_pid = tpid;
	e->sig = sig;
	/* As the tracepoint itself decodes it (include/trace/events/signal.h). */
	if (info == SEND_SIG_NOINFO)
		e->code = SI_USER;
	else if (info == SEND_SIG_PRIV)
		e->code = SI_KERNEL;
	else
		e->code = BPF_CORE_READ(info, si_code);
	e->group = group;
	e->result = result;
	bpf_get_current_comm(&e->comm, sizeof(e->comm));
	__builtin_memcpy(e->target_comm, task->comm, sizeof(e->target_comm));
	emf_submit(&events, e);
	return 0;
}
