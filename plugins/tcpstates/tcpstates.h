/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef __TCPSTATES_H
#define __TCPSTATES_H

#include <emf/types.h>

#define TASK_COMM_LEN 16

/* The kernel's TCP states (include/net/tcp_states.h), named apart from vmlinux.h's. */
enum tcpstates_state {
	TCPS_ESTABLISHED = 1,
	TCPS_SYN_SENT = 2,
	TCPS_SYN_RECV = 3,
	TCPS_FIN_WAIT1 = 4,
	TCPS_FIN_WAIT2 = 5,
	TCPS_TIME_WAIT = 6,
	TCPS_CLOSE = 7,
	TCPS_CLOSE_WAIT = 8,
	TCPS_LAST_ACK = 9,
	TCPS_LISTEN = 10,
	TCPS_CLOSING = 11,
	TCPS_NEW_SYN_RECV = 12,
	TCPS_BOUND_INACTIVE = 13,
};

struct event {
	emf_ktime_t ts; /* bpf_ktime_get_ns() at the event: its time */
	void *skaddr; /* the socket, to follow one connection through its states */
	__u64 delta_us; /* time spent in oldstate (0 when first seen) */
	int pid; /* the task running at the change: often not the owner (softirq) */
	__u16 family; /* AF_INET or AF_INET6 */
	/* Local and remote: "127.0.0.1:80", "[::1]:22"; the local port is 0 before bound. */
	struct emf_endpoint laddr;
	struct emf_endpoint raddr;
	enum tcpstates_state oldstate;
	enum tcpstates_state newstate;
	char comm[TASK_COMM_LEN];
};

#endif /* __TCPSTATES_H */
