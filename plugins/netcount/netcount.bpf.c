// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Packets and bytes received on one network interface, per IP protocol, from
 * an XDP program that lets every packet through. The counts are a sampled
 * map: emf reads it every second and prints the totals so far.
 *
 * An XDP program attaches to an interface, which the skeleton cannot do by
 * itself: netcount.hooks.c attaches it to the interface named by option
 * ifname ("emf-agent --arg netcount.ifname=eth0") and detaches it first at
 * stop. Without an interface, nothing is attached.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <emf/emf.bpf.h>
#include "netcount.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

EMF_PLUGIN_INFO(
	"Count packets and bytes received on an interface per IP protocol (XDP; option ifname)",
	55);

/* The interface to count on: read by the attach hook, not by the program. */
const volatile char ifname[16] = "";

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 512); /* every IP protocol, and NON_IP */
	__type(key, struct netcount_key);
	__type(value, struct netcount_stat);
} counts SEC(".maps") EMF_SAMPLE_COUNTERS(1000);

#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
#define ETH_P_8021Q 0x8100
#define ETH_P_8021AD 0x88A8

SEC("xdp")
int netcount_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct netcount_key key = { .proto = NON_IP };
	struct netcount_stat zero = {}, *s;
	struct ethhdr *eth = data;
	void *l3 = eth + 1;
	__u16 type;

	if (l3 > end)
		goto count;
	type = eth->h_proto;
	/* One VLAN tag, as on a trunk port; deeper stacks count as NON_IP. */
	if (type == bpf_htons(ETH_P_8021Q) || type == bpf_htons(ETH_P_8021AD)) {
		struct vlan_hdr *vh = l3;

		if ((void *)(vh + 1) > end)
			goto count;
		type = vh->h_vlan_encapsulated_proto;
		l3 = vh + 1;
	}
	if (type == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = l3;

		if ((void *)(ip + 1) <= end)
			key.proto = ip->protocol;
	} else if (type == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = l3;

		if ((void *)(ip6 + 1) <= end)
			key.proto = ip6->nexthdr;
	}
count:
	s = bpf_map_lookup_elem(&counts, &key);
	if (!s) {
		bpf_map_update_elem(&counts, &key, &zero, BPF_NOEXIST);
		s = bpf_map_lookup_elem(&counts, &key);
		if (!s)
			return XDP_PASS;
	}
	/* Per-CPU values: no other CPU writes them. */
	s->packets++;
	s->bytes += end - data;
	return XDP_PASS;
}
