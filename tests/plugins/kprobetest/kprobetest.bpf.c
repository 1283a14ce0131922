// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Test plugin of kind kprobe/kretprobe: hrtimer_nanosleep(ktime_t rqtp, enum
 * hrtimer_mode mode, clockid_t clockid), behind nanosleep() and
 * clock_nanosleep(), seen at entry (the sleep asked for, in nanoseconds) and
 * at return (its result). Kernels without kprobes refuse it.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <emf/emf.bpf.h>
#include "kprobetest.h"
#include "../sleepev/sleepev.bpf.h"

char LICENSE[] SEC("license") = "GPL";

EMF_PLUGIN_INFO("test: kprobe and kretprobe on hrtimer_nanosleep", 50);

SEC("kprobe/hrtimer_nanosleep")
int BPF_KPROBE(on_sleep, ktime_t rqtp)
{
	return report(SLEEP_ENTRY, rqtp);
}

SEC("kretprobe/hrtimer_nanosleep")
int BPF_KRETPROBE(on_sleep_return, long ret)
{
	return report(SLEEP_RETURN, ret);
}
