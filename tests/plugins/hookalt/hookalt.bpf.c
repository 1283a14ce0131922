// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Test plugin: kernel functions a tool's user space would have chosen.
 * on_sleep and on_sleep_renamed probe the return of one function under two
 * names, as tools do for a function kernels renamed (biosnoop's
 * blk_account_io_start and __blk_account_io_start): only the one this kernel
 * has attaches. on_placeholder (fentry) and on_ret_placeholder (kretprobe) are
 * placeholders (fsslower's dummy_file_read) whose targets are set by option.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "hookalt.h"
#include "../hookev/hookev.bpf.h"

char LICENSE[] SEC("license") = "GPL";

SEC("kretprobe/hrtimer_nanosleep")
int BPF_KRETPROBE(on_sleep, long ret)
{
	return report(HOOK_KRETPROBE, ret);
}

SEC("kretprobe/hrtimer_nanosleep_emf_renamed")
int BPF_KRETPROBE(on_sleep_renamed, long ret)
{
	return report(HOOK_KRETPROBE_RENAMED, ret);
}

SEC("fentry/dummy_file_read")
int BPF_PROG(on_placeholder, ktime_t rqtp)
{
	return report(HOOK_FENTRY, rqtp);
}

SEC("kretprobe/dummy_kretprobe")
int BPF_KRETPROBE(on_ret_placeholder, long ret)
{
	return report(HOOK_KRETPROBE_PLACEHOLDER, ret);
}
