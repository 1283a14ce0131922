// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Test plugin of kind BPF LSM, on the file_open hook: every open of a file
 * whose name starts with "emf-lsm-" is reported, and those whose name starts
 * with "emf-lsm-deny" are refused with EPERM. Kernels without BPF LSM (or
 * without "bpf" among the active LSMs) refuse it.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include <emf/emf.bpf.h>
#include "lsmtest.h"

#define EPERM 1

char LICENSE[] SEC("license") = "GPL";

EMF_PLUGIN_INFO("test: BPF LSM file_open, refusing emf-lsm-deny* files", 50);

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} events SEC(".maps");

/* Name prefixes as little-endian words: no strings in .rodata to compare with. */
#define LE4(a, b, c, d) ((__u32)(a) | (__u32)(b) << 8 | (__u32)(c) << 16 | (__u32)(d) << 24)
#define WATCHED ((__u64)LE4('l', 's', 'm', '-') << 32 | LE4('e', 'm', 'f', '-')) /* "emf-lsm-" */
#define REFUSED LE4('d', 'e', 'n', 'y') /* "emf-lsm-" then "deny" */

SEC("lsm/file_open")
int BPF_PROG(check_open, struct file *file, int ret)
{
	char name[sizeof(((struct event *)0)->name)];
	struct event *e;
	__u64 head;
	__u32 tail;
	bool deny;

	if (ret)
		return ret; /* an earlier program refused it already */
	/* CO-RE reads: the verifier's view of file differs between kernels. */
	if (bpf_probe_read_kernel_str(name, sizeof(name), BPF_CORE_READ(file, f_path.dentry, d_name.name)) < 0)
		return 0;
	__builtin_memcpy(&head, name, sizeof(head));
	__builtin_memcpy(&tail, name + sizeof(head), sizeof(tail));
	if (head != WATCHED)
		return 0;
	deny = tail == REFUSED;
	e = emf_reserve(&events, sizeof(*e));
	if (e) {
		e->pid = bpf_get_current_pid_tgid() >> 32;
		e->denied = deny;
		bpf_get_current_comm(&e->comm, sizeof(e->comm));
		__builtin_memcpy(e->name, name, sizeof(e->name));
		emf_submit(&events, e);
	}
	return deny ? -EPERM : 0;
}
