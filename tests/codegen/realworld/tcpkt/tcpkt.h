/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef __TCPKT_H
#define __TCPKT_H

struct pkt {
	__u32 saddr;
	__u32 daddr;
	__u32 len;
	__u32 mark; /* EHOSTUNREACH, from <asm/errno.h> */
	__u8 proto;
	__u8 dir; /* 0 ingress, 1 egress */
};

#endif /* __TCPKT_H */
