/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef __RINGFLOOD_H
#define __RINGFLOOD_H

/* getpgid(ARG << 32 | seq): which output the event goes to. */
#define RINGFLOOD_RESERVE 1 /* bpf_ringbuf_reserve() + bpf_ringbuf_submit() into rb */
#define RINGFLOOD_OUTPUT 2 /* bpf_ringbuf_output() into rb_out */
#define RINGFLOOD_PERF 3 /* bpf_perf_event_output() into perf_events */

struct event {
	int pid;
	unsigned int seq;
	unsigned long long ts;
	char pad[40];
};

#endif /* __RINGFLOOD_H */
