// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Bad input: EMF_USTACK naming a pid member that is not 32 bits. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "badpid.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");
