// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Test plugin for metrics of a huge sampled map: a hash map of up to 131072
 * keys, read and cleared every 200 ms. The test fills it from user space; the
 * program only counts getpgid() calls of one process, so the plugin attaches.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <emf/emf.bpf.h>
#include "bigmap.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

const volatile u32 target_tgid = 0;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 131072);
	__type(key, struct big_key);
	__type(value, struct big_val);
} big SEC(".maps") EMF_SAMPLE_COUNTERS_CLEAR(200);

SEC("tp/syscalls/sys_enter_getpgid")
int bigmap_getpgid(void *ctx)
{
	struct big_key k = { .id = 0xffffffff };
	struct big_val one = { .hits = 1 }, *v;

	if (bpf_get_current_pid_tgid() >> 32 != target_tgid)
		return 0;
	v = bpf_map_lookup_elem(&big, &k);
	if (v)
		__sync_fetch_and_add(&v->hits, 1);
	else
		bpf_map_update_elem(&big, &k, &one, BPF_NOEXIST);
	return 0;
}
