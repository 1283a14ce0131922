// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Lifecycle benchmark, one run, side by side: start (open, load, attach) and
 * stop (detach, destroy) of eight tracepoint plugins through the SDK, versus
 * the same objects through plain bpftool skeleton calls in a loop. Rounds
 * alternate; each figure is the median of its rounds. Prints BENCH lines.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <linux/types.h>

#include <emf/errno.h>
#include <emf/log.h>
#include <emf/runtime.h>

/* The skeletons declare target_pid as the BPF code does: u32. */
typedef __u32 u32;

#include "lc0.emf.h"
#include "lc0.skel.h"
#include "lc1.emf.h"
#include "lc1.skel.h"
#include "lc2.emf.h"
#include "lc2.skel.h"
#include "lc3.emf.h"
#include "lc3.skel.h"
#include "lc4.emf.h"
#include "lc4.skel.h"
#include "lc5.emf.h"
#include "lc5.skel.h"
#include "lc6.emf.h"
#include "lc6.skel.h"
#include "lc7.emf.h"
#include "lc7.skel.h"

#define N_PLUGINS 8
#define ROUNDS 5

static const struct emf_plugin_desc *const descs[N_PLUGINS] = {
	&lc0__plugin, &lc1__plugin, &lc2__plugin, &lc3__plugin,
	&lc4__plugin, &lc5__plugin, &lc6__plugin, &lc7__plugin,
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

#define SKEL_START(n)                                                                      \
	do {                                                                               \
		s##n = lc##n##_bpf__open_and_load();                                       \
		if (!s##n || lc##n##_bpf__attach(s##n))                                    \
			goto fail;                                                         \
	} while (0)

static int skeleton_round(double *start, double *stop)
{
	struct lc0_bpf *s0 = NULL;
	struct lc1_bpf *s1 = NULL;
	struct lc2_bpf *s2 = NULL;
	struct lc3_bpf *s3 = NULL;
	struct lc4_bpf *s4 = NULL;
	struct lc5_bpf *s5 = NULL;
	struct lc6_bpf *s6 = NULL;
	struct lc7_bpf *s7 = NULL;
	double t0 = now(), t1;

	SKEL_START(0);
	SKEL_START(1);
	SKEL_START(2);
	SKEL_START(3);
	SKEL_START(4);
	SKEL_START(5);
	SKEL_START(6);
	SKEL_START(7);
	t1 = now();
	*start = t1 - t0;
fail:
	t1 = now();
	lc7_bpf__destroy(s7);
	lc6_bpf__destroy(s6);
	lc5_bpf__destroy(s5);
	lc4_bpf__destroy(s4);
	lc3_bpf__destroy(s3);
	lc2_bpf__destroy(s2);
	lc1_bpf__destroy(s1);
	lc0_bpf__destroy(s0);
	*stop = now() - t1;
	return s7 ? 0 : -1;
}

static int emf_round(double *start, double *stop)
{
	struct emf_runtime *rt = emf_runtime__new(NULL);
	double t0, t1;
	int i, err;

	for (i = 0; rt && i < N_PLUGINS; i++)
		if (!emf_runtime__add(rt, descs[i]))
			return -1;
	t0 = now();
	err = emf_runtime__start(rt);
	t1 = now();
	*start = t1 - t0;
	emf_runtime__stop(rt);
	*stop = now() - t1;
	emf_runtime__destroy(rt);
	return err;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v)
{
	qsort(v, ROUNDS, sizeof(*v), cmp);
	return v[ROUNDS / 2];
}

int main(void)
{
	double es[ROUNDS], ep[ROUNDS], ks[ROUNDS], kp[ROUNDS], e_start, e_stop, k_start, k_stop;
	int r;

	if (geteuid()) {
		fprintf(stderr, "bench_lifecycle: needs root to load BPF programs\n");
		return 77;
	}
	for (r = 0; r < ROUNDS; r++) {
		if (skeleton_round(&ks[r], &kp[r]) || emf_round(&es[r], &ep[r])) {
			fprintf(stderr, "bench_lifecycle: a plugin failed to start\n");
			return 1;
		}
	}
	e_start = median(es);
	e_stop = median(ep);
	k_start = median(ks);
	k_stop = median(kp);
	printf("BENCH lifecycle_start_skeleton_8 %.1f ms\n", k_start * 1e3);
	printf("BENCH lifecycle_start_emf_8 %.1f ms\n", e_start * 1e3);
	printf("BENCH lifecycle_stop_skeleton_8 %.1f ms\n", k_stop * 1e3);
	printf("BENCH lifecycle_stop_emf_8 %.1f ms\n", e_stop * 1e3);
	printf("BENCH lifecycle_start_emf_vs_skeleton_ratio %.3f x\n", e_start / k_start);
	printf("BENCH lifecycle_stop_emf_vs_skeleton_ratio %.3f x\n", e_stop / k_stop);
	return 0;
}
