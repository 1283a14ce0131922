// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Test plugin: hooks a tool's user space would have decided. on_missing is on
 * a tracepoint no kernel has (as a syscall only some arches have): it is left
 * out, the others run. on_exit_placeholder and on_libc are placeholders whose
 * targets are set by option (emf-agent --attach-to): a tracepoint and a uprobe
 * BINARY:SYMBOL. Written as libbpf-tools write theirs, nothing emf-specific.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "hookskip.h"
#include "../hookev/hookev.bpf.h"

char LICENSE[] SEC("license") = "GPL";

static long long ns(const struct __kernel_timespec *user_ts)
{
	struct __kernel_timespec ts;

	if (bpf_probe_read_user(&ts, sizeof(ts), user_ts))
		return -1;
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

SEC("tp/syscalls/sys_enter_nonexistent_emf")
int on_missing(void *ctx)
{
	return report(HOOK_MISSING, 0);
}

SEC("tp/syscalls/sys_enter_clock_nanosleep")
int on_enter(struct trace_event_raw_sys_enter *ctx)
{
	return report(HOOK_TP_ENTER, ns((const void *)ctx->args[2]));
}

SEC("tp/syscalls/dummy_syscall_exit")
int on_exit_placeholder(struct trace_event_raw_sys_exit *ctx)
{
	return report(HOOK_TP_EXIT, ctx->ret);
}

SEC("uprobe")
int BPF_KPROBE(on_libc, const struct __kernel_timespec *req)
{
	return report(HOOK_UPROBE, ns(req));
}
