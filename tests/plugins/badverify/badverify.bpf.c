// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Test plugin the verifier rejects: a map lookup used without its NULL check. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <emf/emf.bpf.h>
#include "badverify.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, u32);
	__type(value, u64);
} counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

SEC("tp/syscalls/sys_enter_getppid")
int count(void *ctx)
{
	u32 key = 0;
	u64 *n = bpf_map_lookup_elem(&counts, &key);

	*n += 1; /* no NULL check: rejected */
	return 0;
}
