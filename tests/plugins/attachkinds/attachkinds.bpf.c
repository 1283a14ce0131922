// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Test plugin: one program of every kind libbpf cannot attach from its section alone,
 * each declaring its target with <emf/attach.bpf.h>, no C code. Each reports a hit.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_tracing.h>
#include <bpf/usdt.bpf.h>
#include <emf/emf.bpf.h>
#include "attachkinds.h"

char LICENSE[] SEC("license") = "GPL";

EMF_PLUGIN_INFO("test: declared attach targets of every kind", 50);

const volatile char ifname[16] = "";
const volatile char cgroup[128] = "";
const volatile char netns[128] = "";
const volatile char binary[128] = "";
const volatile char function[64] = "";
const volatile int pid = 0;
const volatile unsigned int port = 0;
const volatile char usdt_binary[128] = "";
const volatile char usdt_provider[32] = "emftest";
const volatile char usdt_name[32] = "tick";
const volatile int usdt_pid = 0;
const volatile char sockif[16] = "";
const volatile unsigned int tcp_port = 0;
const volatile unsigned int tcp_port2 = 0; /* its sockets go to socks2 */
const volatile int iter_pid = 0;
const volatile bool iter_bad = false; /* write a stray byte after the record */
const volatile unsigned int call_ms = 0; /* the on-call iterator's interval: 0, only when called */

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} hits SEC(".maps") EMF_EVENT(hit);

/* The output of the text iterator's lines; nothing in BPF writes to it. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} lines SEC(".maps") EMF_EVENT(line);

/* The TCP sockets of port tcp_port, both ends, put there by the sockops program. */
struct {
	__uint(type, BPF_MAP_TYPE_SOCKMAP);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u32);
} socks SEC(".maps");

/* The same for tcp_port2, for the sk_skb/verdict program (a map has one kind of verdict). */
struct {
	__uint(type, BPF_MAP_TYPE_SOCKMAP);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u32);
} socks2 SEC(".maps");

static __always_inline void hit(enum hit_kind kind, int who, unsigned int len, unsigned int proto)
{
	struct hit *h = bpf_ringbuf_reserve(&hits, sizeof(*h), 0);

	if (!h)
		return;
	h->kind = kind;
	h->pid = who;
	h->len = len;
	h->proto = proto;
	bpf_ringbuf_submit(h, 0);
}

SEC("tc") EMF_ATTACH_TC_INGRESS(ifname)
int tc_in(struct __sk_buff *skb)
{
	hit(HIT_TC_INGRESS, 0, skb->len, skb->protocol);
	return 0; /* TC_ACT_OK */
}

SEC("tc") EMF_ATTACH_TC_EGRESS(ifname)
int tc_out(struct __sk_buff *skb)
{
	hit(HIT_TC_EGRESS, 0, skb->len, skb->protocol);
	return 0;
}

SEC("cgroup_skb/egress") EMF_ATTACH_CGROUP(cgroup)
int cg_out(struct __sk_buff *skb)
{
	/* Only the test's cgroup sends through it (6.1 offers no pid helper here). */
	hit(HIT_CGROUP_SKB, 0, skb->len, skb->protocol);
	return 1;
}

SEC("sk_lookup") EMF_ATTACH_NETNS(netns)
int lookup(struct bpf_sk_lookup *ctx)
{
	if (port && ctx->local_port == port)
		hit(HIT_SK_LOOKUP, 0, ctx->local_port, ctx->protocol);
	return SK_PASS;
}

SEC("perf_event") EMF_ATTACH_PERF_EVENT(PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_CLOCK, 49)
int sample(struct bpf_perf_event_data *ctx)
{
	int who = bpf_get_current_pid_tgid() >> 32;

	/* Samples of a running task; the idle task is pid 0. */
	if (who)
		hit(HIT_PERF, who, 0, 0);
	return 0;
}

SEC("uprobe") EMF_ATTACH_UPROBE(binary, function, pid)
int BPF_KPROBE(on_call, const struct __kernel_timespec *req)
{
	long long ns = 0;

	/* nanosleep(req, rem): the nanoseconds asked for. */
	bpf_probe_read_user(&ns, sizeof(ns), &req->tv_nsec);
	hit(HIT_UPROBE, bpf_get_current_pid_tgid() >> 32, (unsigned int)ns, 0);
	return 0;
}

SEC("usdt") EMF_ATTACH_USDT(usdt_binary, usdt_provider, usdt_name, usdt_pid)
int BPF_USDT(on_tick, long n)
{
	hit(HIT_USDT, bpf_get_current_pid_tgid() >> 32, (unsigned int)n, 0);
	return 0;
}

SEC("socket") EMF_ATTACH_SOCKET(sockif)
int sockf(struct __sk_buff *skb)
{
	hit(HIT_SOCKET, 0, skb->len, skb->protocol);
	return 0; /* keep nothing in the socket */
}

SEC("sockops") EMF_ATTACH_CGROUP(cgroup)
int on_sockops(struct bpf_sock_ops *skops)
{
	__u32 key, port;

	if (skops->op == BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB)
		port = bpf_ntohl(skops->remote_port), key = 0;
	else if (skops->op == BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB)
		port = skops->local_port, key = 1;
	else
		return 1;
	if (tcp_port && port == tcp_port)
		bpf_sock_map_update(skops, &socks, &key, BPF_ANY);
	else if (tcp_port2 && port == tcp_port2)
		bpf_sock_map_update(skops, &socks2, &key, BPF_ANY);
	return 1;
}

SEC("sk_msg") EMF_ATTACH_SOCKMAP(socks)
int on_msg(struct sk_msg_md *msg)
{
	hit(HIT_SK_MSG, 0, msg->size, msg->local_port);
	return SK_PASS;
}

SEC("sk_skb/stream_verdict") EMF_ATTACH_SOCKMAP(socks)
int on_skb(struct __sk_buff *skb)
{
	hit(HIT_SK_SKB, 0, skb->len, skb->local_port);
	return SK_PASS;
}

SEC("sk_skb/stream_parser") EMF_ATTACH_SOCKMAP(socks) int on_parse(struct __sk_buff *skb)
{
	hit(HIT_SK_PARSER, 0, skb->len, skb->local_port);
	return skb->len; /* each receive is one message */
}

SEC("sk_skb/verdict") EMF_ATTACH_SOCKMAP(socks2) int on_verdict(struct __sk_buff *skb)
{
	hit(HIT_SK_VERDICT, 0, skb->len, skb->local_port);
	return SK_PASS;
}

/* cgroup sock_addr: the port asked for (host order) and the protocol. */
SEC("cgroup/connect4") EMF_ATTACH_CGROUP(cgroup) int on_connect4(struct bpf_sock_addr *ctx)
{
	hit(HIT_CONNECT4, bpf_get_current_pid_tgid() >> 32, bpf_ntohs(ctx->user_port),
	    ctx->protocol);
	return 1;
}

SEC("cgroup/connect6") EMF_ATTACH_CGROUP(cgroup) int on_connect6(struct bpf_sock_addr *ctx)
{
	hit(HIT_CONNECT6, bpf_get_current_pid_tgid() >> 32, bpf_ntohs(ctx->user_port),
	    ctx->protocol);
	return 1;
}

SEC("cgroup/bind4") EMF_ATTACH_CGROUP(cgroup) int on_bind4(struct bpf_sock_addr *ctx)
{
	hit(HIT_BIND4, bpf_get_current_pid_tgid() >> 32, bpf_ntohs(ctx->user_port), ctx->protocol);
	return 1;
}

SEC("cgroup/sendmsg4") EMF_ATTACH_CGROUP(cgroup) int on_sendmsg4(struct bpf_sock_addr *ctx)
{
	hit(HIT_SENDMSG4, bpf_get_current_pid_tgid() >> 32, bpf_ntohs(ctx->user_port),
	    ctx->protocol);
	return 1;
}

SEC("iter/task") EMF_ATTACH_ITER_TO(100, hits)
int tasks(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	struct hit h = { .kind = HIT_ITER };
	char stray = 0;

	if (!task || !iter_pid || task->pid != iter_pid)
		return 0;
	h.pid = task->tgid;
	h.len = task->nr_cpus_allowed;
	bpf_seq_write(ctx->meta->seq, &h, sizeof(h));
	if (iter_bad)
		bpf_seq_write(ctx->meta->seq, &stray, 1);
	return 0;
}

SEC("iter/task") EMF_ATTACH_ITER_LINES_TO(100, lines)
int task_lines(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;

	if (!task || !iter_pid || task->pid != iter_pid)
		return 0;
	BPF_SEQ_PRINTF(ctx->meta->seq, "task %d %s\n", task->tgid, task->comm);
	return 0;
}

/* Run only when called (emf_plugin__iter_run(), emf-ctl plugin iter), unless call_ms is set. */
SEC("iter/task") EMF_ATTACH_ITER_TO(call_ms, hits) int tasks_on_call(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	struct hit h = { .kind = HIT_ITER_CALL };

	if (!task || !iter_pid || task->pid != iter_pid)
		return 0;
	h.pid = task->tgid;
	bpf_seq_write(ctx->meta->seq, &h, sizeof(h));
	return 0;
}
