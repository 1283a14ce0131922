// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * A TC classifier written as tc tools are: UAPI headers, no vmlinux.h, no emf-specific
 * code. <linux/types.h> and <asm/errno.h> need the host's multiarch include directory.
 */
#include <linux/bpf.h>
#include <linux/types.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/pkt_cls.h>
#include <asm/errno.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "tcpkt.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} rb SEC(".maps");

static __always_inline int report(struct __sk_buff *skb, __u8 dir)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = data + sizeof(*eth);
	struct pkt *e;

	if ((void *)(ip + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP))
		return TC_ACT_OK;
	e = bpf_ringbuf_reserve(&rb, sizeof(*e), 0);
	if (!e)
		return TC_ACT_OK;
	e->saddr = ip->saddr;
	e->daddr = ip->daddr;
	e->proto = ip->protocol;
	e->dir = dir;
	e->len = skb->len;
	/* Something only <asm/errno.h> names, so that the test sees it arrive. */
	e->mark = EHOSTUNREACH;
	bpf_ringbuf_submit(e, 0);
	return TC_ACT_OK;
}

SEC("tc")
int tc_ingress(struct __sk_buff *skb)
{
	return report(skb, 0);
}

SEC("tc")
int tc_egress(struct __sk_buff *skb)
{
	return report(skb, 1);
}
