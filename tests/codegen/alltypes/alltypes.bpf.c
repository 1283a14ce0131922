// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Test plugin: sends every kind of field, and a packed struct through a perf event array. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <emf/emf.bpf.h>
#include "alltypes.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

EMF_PLUGIN_INFO("codegen test: every field kind", 70);

/* Option descriptions come from the comment beside or just above each. */
const volatile int level = -3; /* a "level", quoted, with a \ in it? */
// the largest value, told in
// two line comments
const volatile unsigned long long limit = 1000;
/*
 * A block comment above:
 * print more.
 */
const volatile bool verbose = true;
const volatile char label[8] = "abc"; // a label; limit = 1 here is no declaration
const volatile enum color shade = BLUE;
const volatile pid_t target_pid = 0; /* only this process; the long option is --pid */
const volatile __u16 port = 0;	 /*   blanks    squeezed	*/

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps") EMF_EVENT(event);

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(u32));
	__uint(value_size, sizeof(u32));
} packed_events SEC(".maps") EMF_EVENT(packed_event);

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} sem_events SEC(".maps") EMF_EVENT(sem_event);

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} stack_events SEC(".maps") EMF_EVENT(stack_event);

SEC("tp/syscalls/sys_enter_getppid")
int send(void *ctx)
{
	struct packed_event p = { .tag = 'p', .value = limit, .port = 80 };
	struct event *e;

	if (verbose)
		bpf_perf_event_output(ctx, &packed_events, BPF_F_CURRENT_CPU, &p, sizeof(p));
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return 0;
	__builtin_memset(e, 0, sizeof(*e));
	e->i32 = level;
	e->name[0] = label[0];
	e->color = shade;
	bpf_ringbuf_submit(e, 0);
	bpf_ringbuf_output(&sem_events, &(struct sem_event){ .when = bpf_ktime_get_boot_ns() },
			   sizeof(struct sem_event), 0);
	bpf_ringbuf_output(&stack_events, &(struct stack_event){ .pid = 1 },
			   sizeof(struct stack_event), 0);
	return 0;
}
