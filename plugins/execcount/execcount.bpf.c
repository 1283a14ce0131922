// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * execcount: an example of the emf bus. The BPF side counts execs per user id
 * in a map; the C side (execcount.hooks.c) subscribes to execsnoop's events on
 * the bus to count execs per command name, and offers both as a service:
 * "emf-agent --call execcount.by_comm" prints them.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <emf/emf.bpf.h>
#include "execcount.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

EMF_PLUGIN_INFO("Count execs per command (from execsnoop's events on the bus) and per uid; service execcount", 20);

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, u32);
	__type(value, struct exec_stat);
} by_uid SEC(".maps");

SEC("tp_btf/sched_process_exec")
int count_exec(void *ctx)
{
	u32 uid = (u32)bpf_get_current_uid_gid();
	struct exec_stat one = { .execs = 1 }, *s;

	s = bpf_map_lookup_elem(&by_uid, &uid);
	if (s)
		__sync_fetch_and_add(&s->execs, 1);
	else
		bpf_map_update_elem(&by_uid, &uid, &one, BPF_NOEXIST);
	return 0;
}
