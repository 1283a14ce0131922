// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Test plugin: a TCP congestion control, "emf_cc", as a struct_ops map and no C code:
 * the SDK registers it when the plugin attaches and unregisters it after. Reno's
 * arithmetic, and an event when a connection takes it up or lets it go.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_endian.h>
#include <emf/emf.bpf.h>
#include "structops.h"

char LICENSE[] SEC("license") = "GPL";

EMF_PLUGIN_INFO("test: a TCP congestion control registered from its struct_ops map", 50);

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} events SEC(".maps");

static __always_inline void report(enum cc_what what, struct sock *sk)
{
	struct tcp_sock *tp = (struct tcp_sock *)sk;
	struct cc_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e)
		return;
	e->what = what;
	e->lport = sk->__sk_common.skc_num;
	e->dport = bpf_ntohs(sk->__sk_common.skc_dport);
	e->cwnd = tp->snd_cwnd;
	bpf_ringbuf_submit(e, 0);
}

SEC("struct_ops/emf_cc_init")
void BPF_PROG(emf_cc_init, struct sock *sk)
{
	report(CC_INIT, sk);
}

SEC("struct_ops/emf_cc_release")
void BPF_PROG(emf_cc_release, struct sock *sk)
{
	report(CC_RELEASE, sk);
}

SEC("struct_ops/emf_cc_ssthresh")
__u32 BPF_PROG(emf_cc_ssthresh, struct sock *sk)
{
	const struct tcp_sock *tp = (struct tcp_sock *)sk;

	return tp->snd_cwnd >> 1 > 2 ? tp->snd_cwnd >> 1 : 2;
}

SEC("struct_ops/emf_cc_cong_avoid")
void BPF_PROG(emf_cc_cong_avoid, struct sock *sk, __u32 ack, __u32 acked)
{
	struct tcp_sock *tp = (struct tcp_sock *)sk;

	/* Slow start below ssthresh, then one segment per window. */
	if (tp->snd_cwnd < tp->snd_ssthresh)
		tp->snd_cwnd += acked;
	else if (++tp->snd_cwnd_cnt >= tp->snd_cwnd) {
		tp->snd_cwnd_cnt = 0;
		tp->snd_cwnd++;
	}
}

SEC("struct_ops/emf_cc_undo_cwnd")
__u32 BPF_PROG(emf_cc_undo_cwnd, struct sock *sk)
{
	const struct tcp_sock *tp = (struct tcp_sock *)sk;

	return tp->snd_cwnd > tp->prior_cwnd ? tp->snd_cwnd : tp->prior_cwnd;
}

SEC(".struct_ops")
struct tcp_congestion_ops emf_cc = {
	.init = (void *)emf_cc_init,
	.release = (void *)emf_cc_release,
	.ssthresh = (void *)emf_cc_ssthresh,
	.cong_avoid = (void *)emf_cc_cong_avoid,
	.undo_cwnd = (void *)emf_cc_undo_cwnd,
	.name = "emf_cc",
};
