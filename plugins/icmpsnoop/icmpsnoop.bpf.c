// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * ICMP and ICMPv6 packets received where xdpdispatch is attached: a handler
 * behind xdpdispatch. Its one program fills slot xdp_icmp and finds the
 * headers through the per-CPU map xdpdispatch exports as "xdp_parsed". It
 * sends one event per packet and lets every packet pass. Needs xdpdispatch
 * running (here or in another process sharing the pins).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <emf/emf.bpf.h>
#include "../xdpdispatch/parsed.h"
#include "icmpsnoop.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

EMF_PLUGIN_INFO("ICMP/ICMPv6 packets where xdpdispatch is attached: addresses, type, code, echo id and sequence (slot xdp_icmp)",
		30);

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xdp_parsed);
} parsed SEC(".maps") EMF_MAP_IMPORT(xdp_parsed);

/* Type, code, checksum, then the echo identifier and sequence number. */
struct icmp_echo {
	__u8 type;
	__u8 code;
	__u16 csum;
	__u16 id;
	__u16 seq;
};

EMF_SLOT(xdp_icmp)
SEC("xdp")
int icmpsnoop_rx(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct xdp_parsed *p;
	struct icmp_echo *icmp;
	struct event *e;
	__u32 zero = 0, off;

	p = bpf_map_lookup_elem(&parsed, &zero);
	if (!p)
		return XDP_PASS;
	off = p->l4_off;
	if (off > XDPDISPATCH_MAX_L4_OFF)
		return XDP_PASS;
	icmp = data + off;
	if ((void *)(icmp + 1) > end)
		return XDP_PASS;
	e = emf_reserve(&events, sizeof(*e));
	if (!e)
		return XDP_PASS;
	__builtin_memset(e, 0, sizeof(*e));
	e->ts = bpf_ktime_get_ns();
	e->ifindex = ctx->ingress_ifindex;
	e->len = end - data;
	e->family = p->family;
	e->type = icmp->type;
	e->code = icmp->code;
	e->id = bpf_ntohs(icmp->id);
	e->seq = bpf_ntohs(icmp->seq);
	if (p->family == 4) {
		struct iphdr *ip = data + XDPDISPATCH_ETH_HLEN;

		if ((void *)(ip + 1) <= end) {
			__builtin_memcpy(e->saddr, &ip->saddr, 4);
			__builtin_memcpy(e->daddr, &ip->daddr, 4);
		}
	} else {
		struct ipv6hdr *ip6 = data + XDPDISPATCH_ETH_HLEN;

		if ((void *)(ip6 + 1) <= end) {
			__builtin_memcpy(e->saddr, &ip6->saddr, 16);
			__builtin_memcpy(e->daddr, &ip6->daddr, 16);
		}
	}
	emf_submit(&events, e);
	return XDP_PASS;
}
