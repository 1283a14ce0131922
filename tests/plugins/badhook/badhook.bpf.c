// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Test plugin whose user attach hook (badhook_hooks.c) fails. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <emf/emf.bpf.h>
#include "badhook.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

SEC("raw_tp/sys_enter")
int handle(void *ctx)
{
	return 0;
}
