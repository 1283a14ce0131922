/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef __EVGEN_H
#define __EVGEN_H

/*
 * getpgid(ARG) with the upper 32 bits of ARG equal to one of these makes evgen
 * send one event carrying the lower 32 bits (a sequence number) through the
 * chosen path. The kernel reads only the lower 32 bits, so the call itself is
 * harmless.
 */
#define EVGEN_RING_EMF 0x454d4601 /* emf_reserve() + emf_submit() */
#define EVGEN_RING_OUTPUT 0x454d4602 /* emf_output() */
#define EVGEN_RING_DEFAULT 0x454d4603 /* bpf_ringbuf_submit(e, 0) */
#define EVGEN_RING_NOWAKEUP 0x454d4604 /* bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP) */
#define EVGEN_PERF 0x454d4605 /* bpf_perf_event_output() */

struct event {
	unsigned int pid; /* thread group of the caller */
	unsigned int seq;
	unsigned long long ts; /* bpf_ktime_get_ns(), CLOCK_MONOTONIC */
};

#endif /* __EVGEN_H */
