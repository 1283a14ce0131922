/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Key and value of netcount's sampled map. emf-codegen reads their layout
 * from the object's BTF, so emf prints the map's readings field by field.
 */
#ifndef __NETCOUNT_MAPS_H
#define __NETCOUNT_MAPS_H

/*
 * What the packets carry: the IP protocol number of IPv4 packets, the next
 * header of IPv6 ones, or NON_IP. emf prints the protocols named here by name
 * (IANA's keywords), others by number.
 */
enum netcount_proto {
	HOPOPT = 0, /* IPv6 hop-by-hop options (MLD reports carry them) */
	ICMP = 1,
	IGMP = 2,
	IPIP = 4,
	TCP = 6,
	UDP = 17,
	IPV6 = 41, /* IPv6 in IPv4 (or IPv6) */
	GRE = 47,
	ESP = 50,
	AH = 51,
	ICMPV6 = 58,
	SCTP = 132,
	UDPLITE = 136,
	NON_IP = 256, /* ARP, LLDP, ...: any frame that is not IPv4 or IPv6 */
};

/* Key of map counts. */
struct netcount_key {
	enum netcount_proto proto;
};

/* Value of map counts: everything received since the plugin attached. */
struct netcount_stat {
	__u64 packets;
	__u64 bytes; /* frame lengths, Ethernet header included */
};

#endif /* __NETCOUNT_MAPS_H */
