// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Test plugin whose only program is on a tracepoint no kernel has: it cannot start. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "hooknone.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

SEC("tp/syscalls/sys_enter_nonexistent_emf")
int on_missing(void *ctx)
{
	struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e)
		return 0;
	e->pid = bpf_get_current_pid_tgid() >> 32;
	bpf_ringbuf_submit(e, 0);
	return 0;
}
