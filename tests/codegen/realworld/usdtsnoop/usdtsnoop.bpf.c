// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * In the style of libbpf-bootstrap's usdt example: <bpf/usdt.bpf.h> (which includes
 * <linux/errno.h>, so the host's multiarch include directory) and a uprobe whose
 * binary and function the tool's user space would give.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/usdt.bpf.h>
#include "usdtsnoop.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} rb SEC(".maps");

static __always_inline int report(int kind, long arg)
{
	struct call *e = bpf_ringbuf_reserve(&rb, sizeof(*e), 0);

	if (!e)
		return 0;
	e->pid = bpf_get_current_pid_tgid() >> 32;
	e->kind = kind;
	e->arg = arg;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(on_call, long arg)
{
	return report(0, arg);
}

SEC("usdt")
int BPF_USDT(on_usdt, long arg)
{
	return report(1, arg);
}
