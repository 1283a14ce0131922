// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Every TCP state change (SYN_SENT, ESTABLISHED, FIN_WAIT1 ...): the connection's
 * addresses and ports, the old and new state and how long the socket stayed in the
 * old one.
 *
 * inet_sock_set_state fires on every change of every socket, so it is attached as
 * tp_btf: the typed struct sock argument is read directly, and the link detaches at
 * once.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_endian.h>
#include <emf/emf.bpf.h>
#include "tcpstates.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

EMF_PLUGIN_INFO("Trace TCP state changes: addresses, ports, old and new state, time in state", 40);

#define AF_INET 2
#define AF_INET6 10

/* Options: the defaults trace every TCP socket. */
const volatile __u16 target_family = 0; /* AF_INET (2) or AF_INET6 (10) only */
const volatile __u16 target_sport = 0; /* only this local port */
const volatile __u16 target_dport = 0; /* only this remote port */

/* When each socket entered its current state (ns), to time the next change. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u64);
	__type(value, __u64);
} timestamps SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(handle_set_state, const struct sock *sk, const int oldstate, const int newstate)
{
	const struct sock_common *skc = &sk->__sk_common;
	__u16 family = skc->skc_family, dport = bpf_ntohs(skc->skc_dport), sport;
	__u64 key = (__u64)sk, now = bpf_ktime_get_ns(), *start;
	struct event *e;

	if (sk->sk_protocol != IPPROTO_TCP)
		return 0;
	/*
	 * inet_sport, as the tracepoint itself reports it: skc_num is already 0 when
	 * the socket reaches CLOSE, since the port is released first.
	 */
	sport = bpf_ntohs(BPF_CORE_READ((struct inet_sock *)sk, inet_sport));
	if ((target_family && family != target_family) || (target_sport && sport != target_sport) ||
	    (target_dport && dport != target_dport))
		return 0;

	e = emf_reserve(&events, sizeof(*e));
	if (!e)
		goto out;
	e->ts = bpf_ktime_get_ns();
	start = bpf_map_lookup_elem(&timestamps, &key);
	e->skaddr = (void *)sk;
	e->delta_us = start ? (now - *start) / 1000 : 0;
	e->pid = bpf_get_current_pid_tgid() >> 32;
	e->family = family;
	e->laddr.port = sport;
	e->raddr.port = dport;
	__builtin_memset(e->laddr.addr, 0, sizeof(e->laddr.addr));
	__builtin_memset(e->raddr.addr, 0, sizeof(e->raddr.addr));
	if (family == AF_INET) {
		__builtin_memcpy(e->laddr.addr, &skc->skc_rcv_saddr, 4);
		__builtin_memcpy(e->raddr.addr, &skc->skc_daddr, 4);
	} else if (family == AF_INET6 && bpf_core_field_exists(skc->skc_v6_rcv_saddr)) {
		/* Kernels built without IPv6 have no such fields: CO-RE drops this branch. */
		__builtin_memcpy(e->laddr.addr, skc->skc_v6_rcv_saddr.in6_u.u6_addr8, 16);
		__builtin_memcpy(e->raddr.addr, skc->skc_v6_daddr.in6_u.u6_addr8, 16);
	}
	e->oldstate = oldstate;
	e->newstate = newstate;
	bpf_get_current_comm(&e->comm, sizeof(e->comm));
	emf_submit(&events, e);
out:
	/* A closed socket may be freed and its address reused: forget it. */
	if (newstate == TCP_CLOSE)
		bpf_map_delete_elem(&timestamps, &key);
	else
		bpf_map_update_elem(&timestamps, &key, &now, BPF_ANY);
	return 0;
}
