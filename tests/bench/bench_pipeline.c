// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Event pipeline benchmark: exec events of the execsnoop plugin under an exec
 * loop, delivered (a) through the emf runtime and (b) through a plain libbpf
 * ring_buffer__poll() loop on the same skeleton, side by side in one run.
 * Prints "BENCH <name> <value> <unit>" lines.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include <emf/errno.h>
#include <emf/log.h>
#include <emf/runtime.h>

#include "execsnoop.emf.h"
#include "execsnoop.skel.h"

static pid_t gen_pid;
static long seen;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A child that execs /bin/true @n times, one after the other. */
static pid_t start_exec_loop(int n)
{
	pid_t pid = fork();

	if (pid)
		return pid;
	for (int i = 0; i < n; i++) {
		pid_t c = fork();

		if (!c) {
			execl("/bin/true", "true", (char *)NULL);
			_exit(127);
		}
		waitpid(c, NULL, 0);
	}
	_exit(0);
}

static void count(const void *data, size_t size)
{
	const struct execsnoop__event *e = execsnoop__event__from(data, size);

	if (e && e->ppid == gen_pid)
		seen++;
}

static int on_emf_event(void *ctx, const struct emf_event *ev)
{
	(void)ctx;
	count(ev->data, ev->size);
	return 0;
}

static int on_libbpf_event(void *ctx, void *data, size_t size)
{
	(void)ctx;
	count(data, size);
	return 0;
}

/* Run the exec loop while @poll drains; returns events/s, or -1 on error. */
static double run(int n, int (*poll)(void *), void *arg)
{
	double t0, t1;
	int status;

	seen = 0;
	t0 = now();
	gen_pid = start_exec_loop(n);
	while (seen < n) {
		if (poll(arg) < 0 && errno != EINTR)
			return -1;
		if (waitpid(gen_pid, &status, WNOHANG) == gen_pid) {
			/* Generator done: drain what is left, then stop. */
			for (int i = 0; i < 20 && seen < n; i++)
				poll(arg);
			break;
		}
	}
	t1 = now();
	waitpid(gen_pid, NULL, 0);
	if (seen != n)
		fprintf(stderr, "bench: %ld of %d exec events delivered\n", seen, n);
	return seen / (t1 - t0);
}

static int poll_emf(void *rt)
{
	return emf_runtime__poll(rt, 100);
}

static int poll_libbpf(void *rb)
{
	return ring_buffer__poll(rb, 100);
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 2000;
	struct emf_runtime *rt;
	struct execsnoop_bpf *skel;
	struct ring_buffer *rb;
	double emf_rate, raw_rate;

	if (geteuid()) {
		fprintf(stderr, "bench_pipeline: needs root to load BPF programs\n");
		return 77;
	}
	/* Alternate the two, twice, and keep each one's best: the machine is shared. */
	emf_rate = raw_rate = 0;
	for (int round = 0; round < 2; round++) {
		double r;

		rt = emf_runtime__new(&(struct emf_runtime_opts){
			.sz = sizeof(struct emf_runtime_opts), .event_cb = on_emf_event });
		if (!rt || !emf_runtime__add(rt, &execsnoop__plugin) || emf_runtime__start(rt)) {
			fprintf(stderr, "bench_pipeline: failed to start execsnoop through emf: %s\n",
				rt ? emf_runtime__last_error(rt) : emf_strerror(errno));
			return 1;
		}
		r = run(n, poll_emf, rt);
		emf_runtime__destroy(rt);
		if (r > emf_rate)
			emf_rate = r;

		skel = execsnoop_bpf__open_and_load();
		if (!skel || execsnoop_bpf__attach(skel)) {
			fprintf(stderr, "bench_pipeline: failed to load execsnoop with libbpf\n");
			return 1;
		}
		rb = ring_buffer__new(bpf_map__fd(skel->maps.events), on_libbpf_event, NULL, NULL);
		if (!rb) {
			fprintf(stderr, "bench_pipeline: failed to create the ring buffer reader\n");
			return 1;
		}
		r = run(n, poll_libbpf, rb);
		ring_buffer__free(rb);
		execsnoop_bpf__destroy(skel);
		if (r > raw_rate)
			raw_rate = r;
	}

	printf("BENCH exec_events_emf %.0f events/s\n", emf_rate);
	printf("BENCH exec_events_libbpf %.0f events/s\n", raw_rate);
	printf("BENCH exec_events_emf_vs_libbpf_ratio %.3f x\n", emf_rate / raw_rate);
	return 0;
}
