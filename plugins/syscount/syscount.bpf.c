// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Syscalls counted per syscall and per process, with the time spent in them
 * and a log2 histogram of their latency, as sampled maps: emf reads the maps
 * every second and prints each reading (a table, a histogram, or JSON lines),
 * then clears them, so each reading covers one second.
 *
 * Raw tracepoints at syscall entry and exit: one program each for every
 * syscall, and links that detach at once (a tp/ link takes tens of ms). The
 * entry notes the time and syscall number per thread; the exit, which has the
 * result, counts. exit() and exit_group() never return, so they are not
 * counted; nor are the syscalls of the process hosting the plugin.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <emf/emf.bpf.h>
#include "syscount.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

EMF_PLUGIN_INFO(
	"Count syscalls per syscall and per process, with a log2 histogram of their latency (ns)",
	50);

/* Options: the defaults count every syscall of every process. */
const volatile pid_t target_pid = 0; /* only this process (tgid) */
const volatile bool failed_only = false; /* only syscalls that returned -errno */
const volatile int target_errno = 0; /* only syscalls failing with this errno (2: ENOENT); 0: all */

/*
 * The process hosting the plugin, set by syscount.hooks.c before load: its
 * syscalls are not counted. They are mostly its reads of these very maps,
 * which would refill, while it reads them, the entries each read clears.
 */
__u32 host_tgid = 0;

/* A syscall in progress, by thread id. */
struct start {
	__u64 ts;
	__u32 nr;
};

/* Threads inside a syscall at once (sleepers included); more are not counted. */
#define MAX_INFLIGHT 16384

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_INFLIGHT);
	__type(key, __u32);
	__type(value, struct start);
} start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 1024);
	__type(key, struct syscall_key);
	__type(value, struct syscall_stat);
} syscalls SEC(".maps") EMF_SAMPLE_COUNTERS_CLEAR(1000);

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 10240);
	__type(key, struct proc_key);
	__type(value, struct syscall_stat);
} procs SEC(".maps") EMF_SAMPLE_COUNTERS_CLEAR(1000);

/* Slot i counts syscalls that took 2^i to 2^(i+1)-1 ns. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u64);
} latency_ns SEC(".maps") EMF_SAMPLE_LOG2_HIST_CLEAR(1000);

#define NR_EXIT 60
#define NR_EXIT_GROUP 231
#define MAX_ERRNO 4095

/* Add one syscall to the entry of @key, creating it on first use. */
static __always_inline void account(void *map, const void *key, __u64 ns, bool failed)
{
	struct syscall_stat zero = {}, *s;

	s = bpf_map_lookup_elem(map, key);
	if (!s) {
		bpf_map_update_elem(map, key, &zero, BPF_NOEXIST);
		s = bpf_map_lookup_elem(map, key);
		if (!s)
			return; /* the map is full */
	}
	/* Per-CPU values: no other CPU writes them. */
	s->count++;
	s->errors += failed;
	s->total_ns += ns;
}

SEC("raw_tp/sys_enter")
int syscount_enter(struct bpf_raw_tracepoint_args *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	long nr = (long)ctx->args[1];
	struct start s;

	if ((target_pid && (pid_t)(id >> 32) != target_pid) || (__u32)(id >> 32) == host_tgid)
		return 0;
	/* Nothing would ever take their entry out. */
	if (nr == NR_EXIT || nr == NR_EXIT_GROUP || nr < 0)
		return 0;
	s.ts = bpf_ktime_get_ns();
	s.nr = nr;
	bpf_map_update_elem(&start, &tid, &s, BPF_ANY);
	return 0;
}

SEC("raw_tp/sys_exit")
int syscount_exit(struct bpf_raw_tracepoint_args *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id, slot;
	long ret = (long)ctx->args[1];
	struct syscall_key key = {};
	struct proc_key pkey = {};
	struct start *s;
	bool failed;
	__u64 ns, *n;

	s = bpf_map_lookup_elem(&start, &tid);
	if (!s)
		return 0; /* entered before we attached, or filtered out at entry */
	ns = bpf_ktime_get_ns() - s->ts;
	key.syscall = s->nr;
	bpf_map_delete_elem(&start, &tid);

	/* As the kernel's IS_ERR_VALUE(): addresses (mmap) may look negative too. */
	failed = (unsigned long)ret >= (unsigned long)-MAX_ERRNO;
	if ((failed_only && !failed) || (target_errno && ret != -(long)target_errno))
		return 0;
	account(&syscalls, &key, ns, failed);
	pkey.pid = id >> 32;
	bpf_get_current_comm(pkey.comm, sizeof(pkey.comm));
	account(&procs, &pkey, ns, failed);
	slot = emf_log2l(ns);
	n = bpf_map_lookup_elem(&latency_ns, &slot);
	if (n)
		(*n)++;
	return 0;
}
