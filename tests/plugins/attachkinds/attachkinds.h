/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef __ATTACHKINDS_H
#define __ATTACHKINDS_H

enum hit_kind {
	HIT_TC_INGRESS = 0,
	HIT_TC_EGRESS = 1,
	HIT_CGROUP_SKB = 2,
	HIT_SK_LOOKUP = 3,
	HIT_PERF = 4,
	HIT_UPROBE = 5,
	HIT_USDT = 6,
	HIT_SOCKET = 7,
	HIT_SK_MSG = 8,
	HIT_SK_SKB = 9,
	HIT_ITER = 10,
	HIT_CONNECT4 = 11,
	HIT_CONNECT6 = 12,
	HIT_BIND4 = 13,
	HIT_SENDMSG4 = 14,
	HIT_SK_PARSER = 15,
	HIT_SK_VERDICT = 16,
	HIT_ITER_CALL = 17,
};

struct hit {
	enum hit_kind kind;
	int pid;
	unsigned int
		len; /* packet or message length; the port for sk_lookup and sock_addr; ns for the uprobe */
	unsigned int proto;
};

/*
 * A line the text iterator printed, in the first char[] member. A struct of
 * one char[] alone is all trailing string: its decoder takes any size.
 */
struct line {
	char text[64];
};

#endif /* __ATTACHKINDS_H */
