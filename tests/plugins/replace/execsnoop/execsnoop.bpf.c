// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Test plugin: a dynamic plugin named like a bundled one (execsnoop), which a user
 * runs instead of it. It reports getpgid() calls with a marker no execsnoop event has.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <emf/emf.bpf.h>
#include "execsnoop.h"

char LICENSE[] SEC("license") = "GPL";

EMF_PLUGIN_INFO("test: a replacement for the bundled execsnoop", 50);

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

SEC("tp/syscalls/sys_enter_getpgid")
int on_getpgid(void *ctx)
{
	struct mine *e = emf_reserve(&events, sizeof(*e));

	if (!e)
		return 0;
	e->pid = bpf_get_current_pid_tgid() >> 32;
	e->marker = 0x4242;
	emf_submit(&events, e);
	return 0;
}
