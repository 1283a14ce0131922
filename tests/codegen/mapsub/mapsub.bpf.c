// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A subprogram deletes from whichever map it is passed (pending, pending2):
 * emf-codegen cannot tell which, so it shows no counter table at all, not
 * even counts; the histogram still shows.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct sub_hist {
	u32 slots[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, u32);
	__type(value, u64);
} pending SEC(".maps"), pending2 SEC(".maps"), counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct sub_hist);
} hist SEC(".maps");

static __noinline int forget(void *map, u32 key)
{
	return bpf_map_delete_elem(map, &key);
}

SEC("tp/syscalls/sys_exit_getpgid")
int on_exit(void *ctx)
{
	u32 tid = (u32)bpf_get_current_pid_tgid(), zero = 0;
	struct sub_hist *h = bpf_map_lookup_elem(&hist, &zero);
	u64 one = 1;

	if (h)
		h->slots[tid & 15]++;
	bpf_map_update_elem(&counts, &tid, &one, BPF_ANY);
	bpf_map_update_elem(&pending, &tid, &one, BPF_ANY);
	bpf_map_update_elem(&pending2, &tid, &one, BPF_ANY);
	forget(&pending, tid);
	forget(&pending2, tid);
	return 0;
}
