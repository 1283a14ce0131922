/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef __ICMPSNOOP_H
#define __ICMPSNOOP_H

#include <emf/types.h>

struct event {
	emf_ktime_t ts; /* bpf_ktime_get_ns() at the event: its time */
	unsigned int ifindex; /* interface the packet came in on */
	unsigned int len; /* packet length */
	emf_ipaddr_t saddr; /* IPv4 in the first 4 bytes, or IPv6 */
	emf_ipaddr_t daddr;
	unsigned char family; /* 4 or 6 */
	unsigned char type; /* ICMP or ICMPv6 type: 8/128 echo request, 0/129 reply */
	unsigned char code;
	unsigned char pad;
	unsigned short id; /* echo identifier, host order */
	unsigned short seq; /* echo sequence number, host order */
};

#endif /* __ICMPSNOOP_H */
