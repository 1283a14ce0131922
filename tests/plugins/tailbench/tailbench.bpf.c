// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Tail-call benchmark programs, run with BPF_PROG_TEST_RUN: three chains of
 * TAILBENCH_CHAIN tail calls that differ only in how they call. The emf chain
 * calls slots tb1..tb32 with emf_tail_call(); the raw chain calls a private
 * prog array with constant indices, as hand-written code does; the var chain
 * calls one with an index the verifier cannot know (read from .bss), which
 * the JIT cannot turn into a direct jump. tb_base returns at once, for the
 * cost of a run without tail calls. The raw arrays are filled by the host.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <emf/emf.bpf.h>
#include "tailbench.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

EMF_PLUGIN_INFO("Tail-call chains through emf slots and raw prog arrays (benchmark)", 50);

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, TAILBENCH_CHAIN + 1);
	__type(key, __u32);
	__type(value, __u32);
} raw_const SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, TAILBENCH_CHAIN + 1);
	__type(key, __u32);
	__type(value, __u32);
} raw_var SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tailbench_counts);
} counts SEC(".maps");

/* Writable, so the verifier cannot treat it as a constant. */
__u32 var_base = 0;

static __always_inline int end(void)
{
	__u32 zero = 0;
	struct tailbench_counts *c = bpf_map_lookup_elem(&counts, &zero);

	if (c)
		c->ends++;
	return XDP_PASS;
}

static __always_inline int missed(void)
{
	__u32 zero = 0;
	struct tailbench_counts *c = bpf_map_lookup_elem(&counts, &zero);

	if (c)
		c->misses++;
	return XDP_ABORTED;
}

SEC("xdp")
int tb_base(struct xdp_md *ctx)
{
	return end();
}

/* Link I of a chain calls link I + 1; the last link ends the chain. */
#define EMF_LINK(i, next)                               \
	EMF_SLOT(tb##i)                                 \
	SEC("xdp") int tb_emf_##i(struct xdp_md *ctx)   \
	{                                               \
		emf_tail_call(ctx, tb##next);           \
		return missed();                        \
	}
#define RAW_LINK(i, next)                               \
	SEC("xdp") int tb_raw_##i(struct xdp_md *ctx)   \
	{                                               \
		bpf_tail_call(ctx, &raw_const, next);   \
		return missed();                        \
	}
#define VAR_LINK(i, next)                                       \
	SEC("xdp") int tb_var_##i(struct xdp_md *ctx)           \
	{                                                       \
		bpf_tail_call(ctx, &raw_var, var_base + next);  \
		return missed();                                \
	}

SEC("xdp")
int tb_emf_entry(struct xdp_md *ctx)
{
	emf_tail_call(ctx, tb1);
	return missed();
}

SEC("xdp")
int tb_raw_entry(struct xdp_md *ctx)
{
	bpf_tail_call(ctx, &raw_const, 1);
	return missed();
}

SEC("xdp")
int tb_var_entry(struct xdp_md *ctx)
{
	bpf_tail_call(ctx, &raw_var, var_base + 1);
	return missed();
}
EMF_LINK(1, 2)
EMF_LINK(2, 3)
EMF_LINK(3, 4)
EMF_LINK(4, 5)
EMF_LINK(5, 6)
EMF_LINK(6, 7)
EMF_LINK(7, 8)
EMF_LINK(8, 9)
EMF_LINK(9, 10)
EMF_LINK(10, 11)
EMF_LINK(11, 12)
EMF_LINK(12, 13)
EMF_LINK(13, 14)
EMF_LINK(14, 15)
EMF_LINK(15, 16)
EMF_LINK(16, 17)
EMF_LINK(17, 18)
EMF_LINK(18, 19)
EMF_LINK(19, 20)
EMF_LINK(20, 21)
EMF_LINK(21, 22)
EMF_LINK(22, 23)
EMF_LINK(23, 24)
EMF_LINK(24, 25)
EMF_LINK(25, 26)
EMF_LINK(26, 27)
EMF_LINK(27, 28)
EMF_LINK(28, 29)
EMF_LINK(29, 30)
EMF_LINK(30, 31)
EMF_LINK(31, 32)

RAW_LINK(1, 2)
RAW_LINK(2, 3)
RAW_LINK(3, 4)
RAW_LINK(4, 5)
RAW_LINK(5, 6)
RAW_LINK(6, 7)
RAW_LINK(7, 8)
RAW_LINK(8, 9)
RAW_LINK(9, 10)
RAW_LINK(10, 11)
RAW_LINK(11, 12)
RAW_LINK(12, 13)
RAW_LINK(13, 14)
RAW_LINK(14, 15)
RAW_LINK(15, 16)
RAW_LINK(16, 17)
RAW_LINK(17, 18)
RAW_LINK(18, 19)
RAW_LINK(19, 20)
RAW_LINK(20, 21)
RAW_LINK(21, 22)
RAW_LINK(22, 23)
RAW_LINK(23, 24)
RAW_LINK(24, 25)
RAW_LINK(25, 26)
RAW_LINK(26, 27)
RAW_LINK(27, 28)
RAW_LINK(28, 29)
RAW_LINK(29, 30)
RAW_LINK(30, 31)
RAW_LINK(31, 32)

VAR_LINK(1, 2)
VAR_LINK(2, 3)
VAR_LINK(3, 4)
VAR_LINK(4, 5)
VAR_LINK(5, 6)
VAR_LINK(6, 7)
VAR_LINK(7, 8)
VAR_LINK(8, 9)
VAR_LINK(9, 10)
VAR_LINK(10, 11)
VAR_LINK(11, 12)
VAR_LINK(12, 13)
VAR_LINK(13, 14)
VAR_LINK(14, 15)
VAR_LINK(15, 16)
VAR_LINK(16, 17)
VAR_LINK(17, 18)
VAR_LINK(18, 19)
VAR_LINK(19, 20)
VAR_LINK(20, 21)
VAR_LINK(21, 22)
VAR_LINK(22, 23)
VAR_LINK(23, 24)
VAR_LINK(24, 25)
VAR_LINK(25, 26)
VAR_LINK(26, 27)
VAR_LINK(27, 28)
VAR_LINK(28, 29)
VAR_LINK(29, 30)
VAR_LINK(30, 31)
VAR_LINK(31, 32)

EMF_SLOT(tb32)
SEC("xdp")
int tb_emf_32(struct xdp_md *ctx)
{
	return end();
}

SEC("xdp")
int tb_raw_32(struct xdp_md *ctx)
{
	return end();
}

SEC("xdp")
int tb_var_32(struct xdp_md *ctx)
{
	return end();
}
