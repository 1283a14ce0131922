// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Ring buffer delivery benchmark, side by side in one process: a thread calls
 * getpgid() in a tight loop, the evgen tracepoint program sends one 16-byte
 * event per call, and the main thread consumes them through
 *
 *   libbpf_default   plain libbpf ring_buffer__poll(), default submit flags
 *                    (the kernel wakes the consumer whenever it caught up)
 *   libbpf_nowakeup  plain libbpf, BPF_RB_NO_WAKEUP, ring_buffer__consume()
 *                    every 1 ms: the hand-tuned loop
 *   emf              the emf runtime with its default settings, the plugin
 *                    sending with emf_reserve()/emf_submit()
 *   bpftrace         a bpftrace printf() of the same tracepoint, when
 *                    bpftrace is installed
 *
 * All use evgen's 4 MiB ring, which absorbs a consumer stall of about 100 ms
 * at the highest rate seen here (a shared VM does stall threads that long).
 * Each mode runs ROUNDS times, interleaved, and reports its median round:
 * events/s delivered (delivered / time from the first call to the last
 * delivery), events lost, and the syscall's extra cost per event over the
 * same loop with no program attached. Then the ratios (median over rounds of
 * the ratio within a round), the targets, and the delivery latency of emf at
 * a low rate (one event per ms: each should wake the host). Prints
 * "BENCH <name> <value> <unit>" lines.
 *
 * Usage: bench_ringbuf [SECONDS_PER_ROUND]   (default 1)
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/magic.h>
#include <bpf/libbpf.h>

#include <emf/errno.h>
#include <emf/log.h>
#include <emf/runtime.h>

#include "evgen.emf.h"
#include "evgen.h"
#include "evgen.skel.h"

#define ROUNDS 5
#define LOCK_FILE "/tmp/emf-kernel-tests.lock"
#define LAT_EVENTS 400
#define BPFTRACE_SECONDS "30" /* the most one bpftrace round may take */

enum mode { M_LIBBPF_DEFAULT, M_LIBBPF_NOWAKEUP, M_EMF, M_BPFTRACE, M_CNT };

static const char *const mode_names[M_CNT] = { "libbpf_default", "libbpf_nowakeup_1ms", "emf",
					       "bpftrace_printf" };

struct result {
	double rate; /* events/s delivered */
	long lost; /* generated - delivered */
	double overhead_ns; /* per event, over the loop without a program */
	long counted_lost; /* what the consumer itself reports lost */
};

/* The producer thread. */
static struct {
	unsigned int magic;
	double seconds;
	volatile int stop;
	volatile int done;
	long generated;
	double t_start, t_end;
	unsigned int lat_interval_us; /* > 0: a paced loop of LAT_EVENTS calls */
} prod;

static long delivered;
static double last_delivery;
static double last_read, max_gap; /* longest time the consumer did not read, s */
static double lat[LAT_EVENTS];
static int n_lat;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *produce(void *arg)
{
	unsigned long hi = (unsigned long)prod.magic << 32;
	long n = 0;

	(void)arg;
	prod.t_start = now();
	if (prod.lat_interval_us) {
		for (; n < LAT_EVENTS; n++) {
			syscall(SYS_getpgid, hi | (unsigned int)n);
			usleep(prod.lat_interval_us);
		}
	} else {
		double end = prod.t_start + prod.seconds;

		/* Look at the clock only every 1024 calls: it is not free in a VM. */
		while (!prod.stop) {
			for (int i = 0; i < 1024; i++, n++)
				syscall(SYS_getpgid, hi | (unsigned int)n);
			if (now() >= end)
				break;
		}
	}
	prod.t_end = now();
	prod.generated = n;
	__atomic_store_n(&prod.done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static int start_producer(pthread_t *th, unsigned int magic, double seconds)
{
	prod.magic = magic;
	prod.seconds = seconds;
	prod.stop = 0;
	prod.done = 0;
	prod.generated = 0;
	delivered = 0;
	n_lat = 0;
	last_read = max_gap = 0;
	return pthread_create(th, NULL, produce, NULL);
}

static bool producer_done(void);

/* Note a read of the consumer: a long gap between reads explains loss. */
static void note_read(void)
{
	double t = now();

	if (last_read && !producer_done() && t - last_read > max_gap)
		max_gap = t - last_read;
	last_read = t;
}

static bool producer_done(void)
{
	return __atomic_load_n(&prod.done, __ATOMIC_ACQUIRE);
}

static void count(const struct evgen__event *e)
{
	if (!e || e->pid != (unsigned int)getpid())
		return;
	delivered++;
	if (prod.lat_interval_us && n_lat < LAT_EVENTS) {
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		lat[n_lat++] = (ts.tv_sec * 1e9 + ts.tv_nsec - (double)e->ts) / 1e3;
	}
	last_delivery = now();
}

static int on_libbpf_event(void *ctx, void *data, size_t size)
{
	(void)ctx;
	count(evgen__event__from(data, size));
	return 0;
}

static int on_emf_event(void *ctx, const struct emf_event *ev)
{
	(void)ctx;
	count(evgen__event__from(ev->data, ev->size));
	return 0;
}

/* The loop's cost per call with nothing attached, in ns. */
static double baseline_ns(double seconds)
{
	pthread_t th;

	if (start_producer(&th, 0, seconds))
		return -1;
	pthread_join(th, NULL);
	return (prod.t_end - prod.t_start) * 1e9 / prod.generated;
}

static void finish(struct result *r, double base_ns)
{
	double t_end = last_delivery > prod.t_end ? last_delivery : prod.t_end;

	r->rate = delivered / (t_end - prod.t_start);
	r->lost = prod.generated - delivered;
	r->overhead_ns = (prod.t_end - prod.t_start) * 1e9 / prod.generated - base_ns;
}

static int run_libbpf(bool nowakeup, double seconds, double base_ns, struct result *r)
{
	struct evgen_bpf *skel;
	struct ring_buffer *rb;
	struct timespec ms = { .tv_nsec = 1000000 };
	pthread_t th;

	skel = evgen_bpf__open_and_load();
	if (!skel || evgen_bpf__attach(skel)) {
		fprintf(stderr, "bench_ringbuf: failed to load and attach evgen with libbpf: %s\n",
			strerror(errno));
		evgen_bpf__destroy(skel);
		return -1;
	}
	rb = ring_buffer__new(bpf_map__fd(skel->maps.events), on_libbpf_event, NULL, NULL);
	if (!rb) {
		fprintf(stderr, "bench_ringbuf: failed to create a libbpf ring_buffer: %s\n",
			strerror(errno));
		evgen_bpf__destroy(skel);
		return -1;
	}
	if (start_producer(&th, nowakeup ? EVGEN_RING_NOWAKEUP : EVGEN_RING_DEFAULT, seconds))
		return -1;
	while (!producer_done()) {
		if (nowakeup) {
			ring_buffer__consume(rb);
			nanosleep(&ms, NULL);
		} else {
			ring_buffer__poll(rb, 100);
		}
		note_read();
	}
	pthread_join(th, NULL);
	ring_buffer__consume(rb);
	finish(r, base_ns);
	r->counted_lost = -1;
	ring_buffer__free(rb);
	evgen_bpf__destroy(skel);
	return 0;
}

static struct emf_runtime *start_emf(struct emf_plugin **p)
{
	struct emf_runtime *rt;

	rt = emf_runtime__new(&(struct emf_runtime_opts){
		.sz = sizeof(struct emf_runtime_opts), .event_cb = on_emf_event });
	if (!rt)
		return NULL;
	*p = emf_runtime__add(rt, &evgen__plugin);
	if (!*p || emf_runtime__start(rt)) {
		fprintf(stderr, "bench_ringbuf: failed to start evgen through emf: %s\n",
			emf_runtime__last_error(rt));
		emf_runtime__destroy(rt);
		return NULL;
	}
	return rt;
}

static int run_emf(double seconds, double base_ns, struct result *r)
{
	struct emf_plugin_stats st;
	struct emf_plugin *p;
	struct emf_runtime *rt = start_emf(&p);
	pthread_t th;

	if (!rt || start_producer(&th, EVGEN_RING_EMF, seconds))
		return -1;
	while (!producer_done()) {
		emf_runtime__poll(rt, 100);
		note_read();
	}
	pthread_join(th, NULL);
	emf_runtime__drain(rt);
	finish(r, base_ns);
	emf_plugin__stats(p, &st);
	r->counted_lost = (long)st.lost;
	emf_runtime__destroy(rt);
	return 0;
}

/* Delivery latency of emf at a low rate (one event per ms): each should wake the host. */
static int run_emf_latency(double *p50, double *p99, double *max)
{
	struct emf_plugin *p;
	struct emf_runtime *rt = start_emf(&p);
	pthread_t th;
	int i, j;

	prod.lat_interval_us = 1000;
	if (!rt || start_producer(&th, EVGEN_RING_EMF, 0))
		return -1;
	while (!producer_done())
		emf_runtime__poll(rt, 100);
	pthread_join(th, NULL);
	emf_runtime__drain(rt);
	prod.lat_interval_us = 0;
	emf_runtime__destroy(rt);
	if (!n_lat)
		return -1;
	for (i = 1; i < n_lat; i++) {
		double v = lat[i];

		for (j = i; j > 0 && lat[j - 1] > v; j--)
			lat[j] = lat[j - 1];
		lat[j] = v;
	}
	*p50 = lat[n_lat / 2];
	*p99 = lat[n_lat * 99 / 100];
	*max = lat[n_lat - 1];
	return 0;
}

static bool have_bpftrace(void)
{
	return !system("command -v bpftrace > /dev/null 2>&1");
}

/* bpftrace prints one line per call of this process; count them from its stdout. */
static int run_bpftrace(double seconds, double base_ns, struct result *r, const char **why)
{
	char prog[256], line[256];
	int pfd[2], status;
	double quiet_until;
	pthread_t th;
	FILE *f;
	pid_t pid;

	snprintf(prog, sizeof(prog),
		 "tracepoint:syscalls:sys_enter_getpgid /pid == %d/ { printf(\"%%d\\n\", args->pid); }",
		 getpid());
	if (pipe(pfd))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		dup2(pfd[1], 1);
		close(pfd[0]);
		close(pfd[1]);
		/* Bounded: a bpftrace that hangs is killed, and its round skipped. */
		execlp("timeout", "timeout", "-k", "2", BPFTRACE_SECONDS, "bpftrace", "-e", prog,
		       (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	f = fdopen(pfd[0], "r");
	r->counted_lost = 0;
	/*
	 * "Attaching 1 probe..." comes before the probe is in: call getpgid(-1)
	 * until bpftrace prints it, so that the loop is traced from its first call.
	 */
	fcntl(pfd[0], F_SETFL, O_NONBLOCK);
	for (int i = 0; i < 1000; i++) {
		syscall(SYS_getpgid, -1L);
		usleep(10000);
		while (fgets(line, sizeof(line), f))
			if (!strcmp(line, "-1\n"))
				goto attached;
		clearerr(f);
	}
	*why = "bpftrace did not attach within 10 s";
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	fclose(f);
	return -1;
attached:
	/* Sentinels still in flight are not counted. */
	usleep(50000);
	while (fgets(line, sizeof(line), f))
		;
	clearerr(f);
	if (start_producer(&th, 0, seconds))
		return -1;
	quiet_until = 0;
	for (;;) {
		if (fgets(line, sizeof(line), f)) {
			if (!strncmp(line, "Lost ", 5))
				r->counted_lost += atol(line + 5);
			else if (line[0] >= '0' && line[0] <= '9')
				delivered++, last_delivery = now();
			continue;
		}
		clearerr(f);
		if (producer_done() && !quiet_until)
			quiet_until = now() + 0.5;
		/* Stop once bpftrace has had nothing to say for half a second after the loop. */
		if (quiet_until && now() > quiet_until &&
		    (last_delivery < quiet_until - 0.5 || now() - last_delivery > 0.5))
			break;
		usleep(1000);
	}
	pthread_join(th, NULL);
	kill(pid, SIGINT);
	fcntl(pfd[0], F_SETFL, 0);
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "Lost ", 5))
			r->counted_lost += atol(line + 5);
		else if (line[0] >= '0' && line[0] <= '9')
			delivered++, last_delivery = now();
	}
	waitpid(pid, &status, 0);
	fclose(f);
	finish(r, base_ns);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 124) {
		*why = "bpftrace ran over its time limit";
		return -1;
	}
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The round with the median rate. */
static struct result median(struct result *rs, int n)
{
	double rates[ROUNDS];
	int i;

	for (i = 0; i < n; i++)
		rates[i] = rs[i].rate;
	qsort(rates, n, sizeof(double), cmp_double);
	for (i = 0; i < n; i++)
		if (rs[i].rate == rates[n / 2])
			return rs[i];
	return rs[0];
}

/*
 * Median over rounds of a's rate / b's rate in the same round: the rounds of
 * a shared VM differ more from each other than two modes of one round do.
 */
static double ratio(const struct result *a, const struct result *b)
{
	double rs[ROUNDS];
	int i;

	for (i = 0; i < ROUNDS; i++)
		rs[i] = b[i].rate > 0 ? a[i].rate / b[i].rate : 0;
	qsort(rs, ROUNDS, sizeof(double), cmp_double);
	return rs[ROUNDS / 2];
}

static __attribute__((format(printf, 2, 0))) int
quiet_print(enum emf_print_level level, const char *fmt, va_list args)
{
	return level == EMF_WARN ? vfprintf(stderr, fmt, args) : 0;
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 1.0, base[ROUNDS], base_ns;
	struct result res[M_CNT][ROUNDS] = {}, med[M_CNT];
	double p50, p99, max;
	bool bpftrace = have_bpftrace();
	struct statfs st;
	int round, m, lock;
	double r_default, r_nowakeup;
	const char *why = NULL;
	bool have_lat;
	long lost_all;

	if (geteuid()) {
		fprintf(stderr, "bench_ringbuf: needs root to load BPF programs\n");
		return 77;
	}
	if (seconds <= 0) {
		fprintf(stderr, "usage: bench_ringbuf [SECONDS_PER_ROUND]\n");
		return 2;
	}
	if (statfs("/sys/kernel/tracing", &st) || st.f_type != TRACEFS_MAGIC)
		mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, NULL);
	/*
	 * The kernel tests trace getpgid() too: do not run at the same time
	 * (make bench holds the lock for every benchmark it runs).
	 */
	lock = getenv("EMF_BENCH_LOCKED") ? 0 : open(LOCK_FILE, O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
	if (lock < 0 || (lock > 0 && flock(lock, LOCK_EX)))
		fprintf(stderr, "bench_ringbuf: warning: cannot take %s; kernel tests may disturb the run\n",
			LOCK_FILE);
	emf_set_print(quiet_print);
	if (!bpftrace)
		printf("BENCH bpftrace_printf skipped bpftrace not installed (apt-get install bpftrace)\n");

	for (round = 0; round < ROUNDS; round++) {
		base[round] = baseline_ns(seconds / 2);
		base_ns = base[round];
		for (m = 0; m < M_CNT; m++) {
			struct result *r = &res[m][round];
			int err = 0;

			switch (m) {
			case M_LIBBPF_DEFAULT:
			case M_LIBBPF_NOWAKEUP:
				err = run_libbpf(m == M_LIBBPF_NOWAKEUP, seconds, base_ns, r);
				break;
			case M_EMF:
				err = run_emf(seconds, base_ns, r);
				break;
			case M_BPFTRACE:
				if (!bpftrace)
					continue;
				if (run_bpftrace(seconds, base_ns, r, &why)) {
					/* Not a reason to stop the run: the others go on. */
					printf("BENCH bpftrace_printf skipped %s (round %d)\n", why,
					       round);
					bpftrace = false;
					continue;
				}
				break;
			}
			if (err)
				return 1;
			fprintf(stderr, "round %d %-20s %10.0f events/s, lost %ld, +%.0f ns/event",
				round, mode_names[m], r->rate, r->lost, r->overhead_ns);
			if (m != M_BPFTRACE)
				fprintf(stderr, ", longest gap between reads %.1f ms", max_gap * 1e3);
			fputc('\n', stderr);
		}
	}
	qsort(base, ROUNDS, sizeof(double), cmp_double);
	printf("BENCH syscall_no_program_ns %.0f ns\n", base[ROUNDS / 2]);
	for (m = 0; m < M_CNT; m++) {
		if (m == M_BPFTRACE && !bpftrace)
			continue;
		med[m] = median(res[m], ROUNDS);
		printf("BENCH %s_events_per_sec %.0f events/s\n", mode_names[m], med[m].rate);
		printf("BENCH %s_lost %ld events\n", mode_names[m], med[m].lost);
		for (round = 0, lost_all = 0; round < ROUNDS; round++)
			lost_all += res[m][round].lost;
		printf("BENCH %s_lost_all_rounds %ld events\n", mode_names[m], lost_all);
		printf("BENCH %s_overhead_ns_per_event %.0f ns\n", mode_names[m], med[m].overhead_ns);
		if (med[m].counted_lost >= 0)
			printf("BENCH %s_lost_reported %ld events\n", mode_names[m],
			       med[m].counted_lost);
	}
	r_default = ratio(res[M_EMF], res[M_LIBBPF_DEFAULT]);
	r_nowakeup = ratio(res[M_EMF], res[M_LIBBPF_NOWAKEUP]);
	printf("BENCH events_emf_vs_libbpf_default_ratio %.2f x\n", r_default);
	printf("BENCH events_emf_vs_libbpf_nowakeup_ratio %.2f x\n", r_nowakeup);
	if (bpftrace)
		printf("BENCH events_emf_vs_bpftrace_ratio %.2f x\n",
		       ratio(res[M_EMF], res[M_BPFTRACE]));
	have_lat = !run_emf_latency(&p50, &p99, &max);
	if (have_lat) {
		printf("BENCH emf_low_rate_latency_p50 %.0f us\n", p50);
		printf("BENCH emf_low_rate_latency_p99 %.0f us\n", p99);
		printf("BENCH emf_low_rate_latency_max %.0f us\n", max);
	}
	/* The targets of this VM; the numbers above are what counts. */
	printf("BENCH target_emf_ge_4x_libbpf_default %d bool\n", r_default >= 4);
	printf("BENCH target_emf_ge_0.95x_nowakeup %d bool\n", r_nowakeup >= 0.95);
	printf("BENCH target_emf_low_rate_p99_le_1ms %d bool\n", have_lat && p99 <= 1000);
	for (round = 0, lost_all = 0; round < ROUNDS; round++)
		lost_all += res[M_EMF][round].lost;
	printf("BENCH target_emf_lossless %d bool\n", lost_all == 0);
	return 0;
}
