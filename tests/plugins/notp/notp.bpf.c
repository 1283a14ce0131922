// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Test plugin that loads but cannot attach: its tracepoint does not exist. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <emf/emf.bpf.h>
#include "notp.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

SEC("tp/syscalls/sys_enter_no_such_syscall")
int handle(void *ctx)
{
	return 0;
}
