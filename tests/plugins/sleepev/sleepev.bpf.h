/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The BPF side the hrtimer_nanosleep test plugins (kprobetest, fexittest)
 * share: their ring buffer and the function that reports one event. Included
 * by the plugin's .bpf.c after its header, which defines enum sleep_point and
 * struct event (each plugin's own header must: emf-codegen reads it).
 */
#ifndef __SLEEPEV_BPF_H
#define __SLEEPEV_BPF_H

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} events SEC(".maps");

static int report(enum sleep_point point, long long value)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct event *e = emf_reserve(&events, sizeof(*e));

	if (!e)
		return 0;
	e->pid = id >> 32;
	e->tid = (__u32)id;
	e->point = point;
	e->value = value;
	bpf_get_current_comm(&e->comm, sizeof(e->comm));
	emf_submit(&events, e);
	return 0;
}

#endif /* __SLEEPEV_BPF_H */
