// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Bad input: two event structs and an output map that does not say which it carries. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "twoevents.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");
