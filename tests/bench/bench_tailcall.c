// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Tail calls through emf slots against raw prog arrays, side by side in one
 * run, with BPF_PROG_TEST_RUN on the tailbench test plugin: a chain of
 * TAILBENCH_CHAIN calls through slots (indices written by the SDK into
 * .rodata, so the JIT emits direct jumps), the same chain through a private
 * prog array with constant indices, and one with an index the verifier
 * cannot know. Rounds alternate the variants; each takes its fastest round.
 *
 * Prints BENCH lines: ns per run of each chain and of an empty run, ns per
 * tail call (run minus empty run, over the chain length), and
 * tailcall_emf_vs_raw_ratio, the emf cost per call over the raw one.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/magic.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <emf/errno.h>
#include <emf/runtime.h>
#include <emf/slots.h>

#include "tailbench.emf.h"
#include "tailbench.h"

#define REPEAT 200000
#define ROUNDS 15

enum { V_BASE, V_EMF, V_RAW, V_VAR, V_CNT };

static const char *const entries[V_CNT] = { "tb_base", "tb_emf_entry", "tb_raw_entry",
					    "tb_var_entry" };

static int prog_fd(struct bpf_object *obj, const char *name)
{
	struct bpf_program *p = bpf_object__find_program_by_name(obj, name);

	return p ? bpf_program__fd(p) : -ENOENT;
}

/* Fill a raw chain's prog array: index i holds link i. */
static int fill(struct bpf_object *obj, const char *map, const char *prefix)
{
	int mfd = bpf_map__fd(bpf_object__find_map_by_name(obj, map));
	char name[32];

	for (__u32 i = 1; i <= TAILBENCH_CHAIN; i++) {
		int fd;

		snprintf(name, sizeof(name), "%s%u", prefix, i);
		fd = prog_fd(obj, name);
		if (fd < 0 || bpf_map_update_elem(mfd, &i, &fd, BPF_ANY))
			return -errno ?: -ENOENT;
	}
	return 0;
}

/* Mean ns of one run of @fd over @repeat runs, or a negative errno. */
static double run(int fd, __u32 want)
{
	char pkt[64] = {};
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = pkt, .data_size_in = sizeof(pkt),
		    .repeat = REPEAT);

	if (bpf_prog_test_run_opts(fd, &opts))
		return -errno;
	if (opts.retval != want)
		return -EPROTO;
	return opts.duration;
}

int main(void)
{
	double best[V_CNT], call[V_CNT];
	struct emf_runtime *rt = NULL;
	struct bpf_object *obj;
	struct emf_plugin *p;
	struct statfs st;
	char root[64];
	int fds[V_CNT], err, v, r;

	if (geteuid()) {
		fprintf(stderr, "bench_tailcall: needs root\n");
		return 77;
	}
	if ((statfs("/sys/fs/bpf", &st) || st.f_type != BPF_FS_MAGIC) &&
	    mount("bpf", "/sys/fs/bpf", "bpf", 0, NULL)) {
		fprintf(stderr, "bench_tailcall: bpffs is not mounted on /sys/fs/bpf: %s\n",
			strerror(errno));
		return 1;
	}
	snprintf(root, sizeof(root), "/sys/fs/bpf/emf-bench-tailcall-%d", getpid());
	rt = emf_runtime__new(NULL);
	if (!rt || emf_runtime__set_pin_opts(rt, &(struct emf_pin_opts){
						 .sz = sizeof(struct emf_pin_opts), .root = root }))
		goto fail;
	p = emf_runtime__add(rt, &tailbench__plugin);
	if (!p)
		goto fail;
	err = emf_runtime__start(rt);
	if (err) {
		fprintf(stderr, "bench_tailcall: %s\n", emf_runtime__last_error(rt));
		emf_runtime__destroy(rt);
		return 1;
	}
	obj = emf_plugin__object(p);
	if (fill(obj, "raw_const", "tb_raw_") || fill(obj, "raw_var", "tb_var_"))
		goto fail;
	for (v = 0; v < V_CNT; v++) {
		fds[v] = prog_fd(obj, entries[v]);
		best[v] = 1e30;
	}
	for (r = 0; r < ROUNDS; r++) {
		for (v = 0; v < V_CNT; v++) {
			double ns = run(fds[v], 2 /* XDP_PASS: the chain reached its end */);

			if (ns < 0) {
				fprintf(stderr, "bench_tailcall: %s: %s\n", entries[v],
					ns == -EPROTO ? "the chain did not reach its end" :
							strerror((int)-ns));
				goto fail;
			}
			if (ns < best[v])
				best[v] = ns;
		}
	}
	for (v = 1; v < V_CNT; v++)
		call[v] = (best[v] - best[V_BASE]) / TAILBENCH_CHAIN;
	printf("BENCH tailcall_chain_length %d calls\n", TAILBENCH_CHAIN);
	printf("BENCH tailcall_empty_run_ns %.1f ns\n", best[V_BASE]);
	printf("BENCH tailcall_emf_chain_ns %.1f ns\n", best[V_EMF]);
	printf("BENCH tailcall_raw_const_chain_ns %.1f ns\n", best[V_RAW]);
	printf("BENCH tailcall_raw_runtime_index_chain_ns %.1f ns\n", best[V_VAR]);
	printf("BENCH tailcall_emf_per_call_ns %.2f ns\n", call[V_EMF]);
	printf("BENCH tailcall_raw_const_per_call_ns %.2f ns\n", call[V_RAW]);
	printf("BENCH tailcall_raw_runtime_index_per_call_ns %.2f ns\n", call[V_VAR]);
	printf("BENCH tailcall_emf_vs_raw_chain_ratio %.3f x\n", best[V_EMF] / best[V_RAW]);
	printf("BENCH tailcall_emf_vs_raw_ratio %.3f x\n", call[V_EMF] / call[V_RAW]);
	emf_runtime__destroy(rt);
	return 0;
fail:
	fprintf(stderr, "bench_tailcall: failed: %s\n", emf_strerror(errno));
	emf_runtime__destroy(rt);
	return 1;
}
