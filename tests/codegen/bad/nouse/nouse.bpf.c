// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Bad input: sends events, but never includes its header, so struct nouse_event is unknown to the object. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");
