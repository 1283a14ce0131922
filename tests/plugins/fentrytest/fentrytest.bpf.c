// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Test plugin using fentry, which some kernels (this CI's among them) refuse to load. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <emf/emf.bpf.h>
#include "fentrytest.h"

char LICENSE[] SEC("license") = "GPL";

EMF_PLUGIN_INFO("test: an fentry program", 50);

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

SEC("fentry/do_nanosleep")
int BPF_PROG(on_nanosleep)
{
	struct event *e = emf_reserve(&events, sizeof(*e));

	if (!e)
		return 0;
	e->pid = bpf_get_current_pid_tgid() >> 32;
	emf_submit(&events, e);
	return 0;
}
