// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Test plugin: an event with several anonymous members (see anon.h). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <emf/emf.bpf.h>
#include "anon.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

EMF_PLUGIN_INFO("codegen test: anonymous members", 70);

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps") EMF_EVENT(event);

SEC("tp/syscalls/sys_enter_getppid")
int send(void *ctx)
{
	struct event *e = emf_reserve(&events, sizeof(*e));

	if (!e)
		return 0;
	__builtin_memset(e, 0, sizeof(*e));
	e->pid = bpf_get_current_pid_tgid() >> 32;
	e->uid = bpf_get_current_uid_gid();
	e->ok = 1;
	emf_submit(&events, e);
	return 0;
}
