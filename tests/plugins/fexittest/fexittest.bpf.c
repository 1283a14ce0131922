// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Test plugin of kind fentry/fexit: hrtimer_nanosleep(ktime_t rqtp, enum
 * hrtimer_mode mode, clockid_t clockid), behind nanosleep() and
 * clock_nanosleep(), seen at entry (the sleep asked for, in nanoseconds) and
 * at exit, where fexit also sees the arguments, with its result. Kernels that
 * refuse BPF trampolines refuse it.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <emf/emf.bpf.h>
#include "fexittest.h"
#include "../sleepev/sleepev.bpf.h"

char LICENSE[] SEC("license") = "GPL";

EMF_PLUGIN_INFO("test: fentry and fexit on hrtimer_nanosleep", 50);

SEC("fentry/hrtimer_nanosleep")
int BPF_PROG(on_sleep, ktime_t rqtp, enum hrtimer_mode mode, clockid_t clockid)
{
	return report(SLEEP_ENTRY, rqtp);
}

SEC("fexit/hrtimer_nanosleep")
int BPF_PROG(on_sleep_exit, ktime_t rqtp, enum hrtimer_mode mode, clockid_t clockid, long ret)
{
	return report(SLEEP_RETURN, ret);
}
