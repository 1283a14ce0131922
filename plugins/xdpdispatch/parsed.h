/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The map xdpdispatch exports as "xdp_parsed", shared with its handler
 * plugins (icmpsnoop): where the headers of the packet being dispatched
 * are, so that a handler does not parse them again. One entry per CPU: a
 * packet's XDP run, tail calls included, stays on one CPU.
 */
#ifndef __XDPDISPATCH_PARSED_H
#define __XDPDISPATCH_PARSED_H

#define XDPDISPATCH_ETH_HLEN 14
#define XDPDISPATCH_MAX_L4_OFF (XDPDISPATCH_ETH_HLEN + 60)

struct xdp_parsed {
	unsigned int l4_off; /* from the start of the packet */
	unsigned char family; /* 4 or 6; the IP header is at XDPDISPATCH_ETH_HLEN */
	unsigned char ipproto; /* IPPROTO_* of the L4 header */
	unsigned short pad;
};

#endif /* __XDPDISPATCH_PARSED_H */
