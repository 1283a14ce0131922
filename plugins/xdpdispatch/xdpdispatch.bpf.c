// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * An XDP dispatcher: parses Ethernet and IPv4/IPv6 once, leaves where the L4
 * header is in the per-CPU map exported as "xdp_parsed", and tail-calls the
 * slot of the L4 protocol (xdp_icmp, xdp_tcp, xdp_udp), whose handler plugin
 * (icmpsnoop for xdp_icmp) decides the packet's fate. Without a handler the
 * packet passes and the miss is counted (emf-agent --stats).
 *
 * XDP programs attach to an interface: xdpdispatch.hooks.c attaches this one
 * to the interface named by the ifname option, and to none when it is empty
 * (the default), so the plugin never gets in the way of the others.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <emf/emf.bpf.h>
#include "xdpdispatch.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

EMF_PLUGIN_INFO("XDP dispatcher: hands packets to slots xdp_icmp, xdp_tcp, xdp_udp by protocol (attach with --arg xdpdispatch.ifname=IF)",
		20);

#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
#define IPPROTO_ICMPV6 58

/* The interface to attach to; empty: stay loaded, attach nowhere. */
const volatile char ifname[16] = "";

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xdp_parsed);
} parsed SEC(".maps") EMF_MAP_EXPORT(xdp_parsed);

SEC("xdp")
int xdpdispatch_rx(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct xdp_parsed *p;
	__u32 zero = 0;

	if ((void *)(eth + 1) > end)
		return XDP_PASS;
	p = bpf_map_lookup_elem(&parsed, &zero);
	if (!p)
		return XDP_PASS;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);

		if ((void *)(ip + 1) > end || ip->ihl < 5)
			return XDP_PASS;
		p->family = 4;
		p->ipproto = ip->protocol;
		p->l4_off = XDPDISPATCH_ETH_HLEN + ip->ihl * 4;
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);

		if ((void *)(ip6 + 1) > end)
			return XDP_PASS;
		p->family = 6;
		p->ipproto = ip6->nexthdr; /* extension headers are left to the handlers */
		p->l4_off = XDPDISPATCH_ETH_HLEN + sizeof(*ip6);
	} else {
		return XDP_PASS;
	}
	switch (p->ipproto) {
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		emf_tail_call(ctx, xdp_icmp);
		break;
	case IPPROTO_TCP:
		emf_tail_call(ctx, xdp_tcp);
		break;
	case IPPROTO_UDP:
		emf_tail_call(ctx, xdp_udp);
		break;
	}
	return XDP_PASS;
}
