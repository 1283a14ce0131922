// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Metrics benchmark, side by side in one run:
 *  - metrics_scrape_10k_series_ms: one rendering of a rule with 10,000 series
 *    plus the runtime's own families (the median of 50), and the same scrape
 *    end to end over HTTP; metrics_rule_event_ns, the rule's cost per event;
 *  - metrics_event_path_ratio: events/s through the runtime (the evgen test
 *    plugin, a producer thread calling getpgid() flat out) with that rule
 *    counting every event, its 10,000 series and the server scraped every
 *    second, over the same with no metrics at all; rounds alternate, and the ratio printed is the median of
 *    the rounds' ratios (the sums' ratio too), as other load on the machine
 *    moves both sides of one round alike.
 * Prints "BENCH <name> <value> <unit>" lines. Needs root.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/magic.h>
#include <netinet/in.h>

#include <emf/errno.h>
#include <emf/fmt.h>
#include <emf/log.h>
#include <emf/metrics.h>
#include <emf/runtime.h>

#include "evgen.emf.h"
#include "evgen.h"

#define ROUNDS 5
#define SERIES 10000
#define LOCK_FILE "/tmp/emf-kernel-tests.lock"

static struct emf_metrics *metrics; /* NULL: metrics off */
static long delivered;
static volatile int stop_producer, stop_scraper;
static int port;
static long scrapes, scrape_bytes;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static __attribute__((format(printf, 2, 0))) int
quiet_print(enum emf_print_level level, const char *fmt, va_list ap)
{
	return level == EMF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

static int on_event(void *ctx, const struct emf_event *ev)
{
	const struct evgen__event *e = evgen__event__from(ev->data, ev->size);

	if (metrics)
		emf_metrics__event(metrics, ev);
	if (e && e->pid == (unsigned int)getpid())
		delivered++;
	return 0;
}

static void *produce(void *arg)
{
	unsigned long hi = (unsigned long)EVGEN_RING_EMF << 32;
	unsigned long n = 0;

	(void)arg;
	while (!stop_producer)
		for (int i = 0; i < 1024; i++, n++)
			syscall(SYS_getpgid, hi | (unsigned int)n);
	return NULL;
}

/* One GET /metrics; returns the bytes of the reply, or -1. */
static long scrape(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	static const char req[] = "GET /metrics HTTP/1.0\r\n\r\n";
	char buf[65536];
	long total = 0;
	ssize_t n;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    write(fd, req, sizeof(req) - 1) != sizeof(req) - 1) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		total += n;
	close(fd);
	return total;
}

static void *scraper(void *arg)
{
	(void)arg;
	while (!stop_scraper) {
		long n = scrape();

		if (n > 0) {
			scrapes++;
			scrape_bytes += n;
		}
		for (int i = 0; i < 100 && !stop_scraper; i++)
			usleep(10000);
	}
	return NULL;
}

/*
 * Give rule bench_total (count by pid) its 10,000 series, as the event path
 * would: pids that are not ours, so the events of the run all go to one more.
 */
static void fill_series(struct emf_metrics *m, struct emf_plugin *p)
{
	struct evgen__event e = {};
	struct emf_event ev = { .plugin = p, .type = emf_plugin__desc(p)->events[0],
				.data = &e, .size = sizeof(e) };

	for (unsigned int i = 0; i < SERIES - 1; i++) {
		e.pid = 0x40000000 + i;
		emf_metrics__event(m, &ev);
	}
}

/* ns per event of the rule alone, on a synthetic event. */
static double rule_ns(struct emf_metrics *m, struct emf_plugin *p)
{
	struct evgen__event e = { .pid = (unsigned int)getpid() };
	struct emf_event ev = { .plugin = p, .type = emf_plugin__desc(p)->events[0],
				.data = &e, .size = sizeof(e) };
	double t0 = now();

	for (unsigned int i = 0; i < 10000000; i++) {
		e.seq = i;
		emf_metrics__event(m, &ev);
	}
	return (now() - t0) * 1e9 / 10000000;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* One round: @seconds of events, with metrics (and scrapes) or without. */
static double run_round(struct emf_runtime *rt, struct emf_plugin *p, bool with, double seconds)
{
	struct emf_metrics_server *srv = NULL;
	pthread_t prod, scr;
	double t0, t1;

	metrics = NULL;
	if (with) {
		metrics = emf_metrics__new(rt, NULL);
		if (!metrics || emf_metrics__add_rule(metrics, "bench_total=evgen.event:count by pid"))
			return -1;
		fill_series(metrics, p);
		srv = emf_metrics_server__new(metrics, "127.0.0.1:0", NULL);
		if (!srv)
			return -1;
		port = emf_metrics_server__port(srv);
	}
	emf_runtime__drain(rt);
	delivered = 0;
	stop_producer = stop_scraper = 0;
	pthread_create(&prod, NULL, produce, NULL);
	if (with)
		pthread_create(&scr, NULL, scraper, NULL);
	t0 = now();
	while ((t1 = now()) - t0 < seconds) {
		emf_runtime__poll(rt, 100);
		if (metrics)
			emf_metrics__publish(metrics);
	}
	stop_producer = 1;
	pthread_join(prod, NULL);
	if (with) {
		stop_scraper = 1;
		/* The scraper may wait for a rendering: keep publishing until it is done. */
		while (pthread_tryjoin_np(scr, NULL)) {
			emf_runtime__poll(rt, 10);
			emf_metrics__publish(metrics);
		}
	}
	emf_metrics_server__destroy(srv);
	emf_metrics__destroy(metrics);
	metrics = NULL;
	return delivered / (t1 - t0);
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 3.0, ms[50], on = 0, off = 0, http_ms;
	double ratio[ROUNDS];
	struct emf_buf b = {};
	struct emf_runtime *rt;
	struct emf_plugin *p;
	struct statfs st;
	int lock, i;

	if (geteuid()) {
		fprintf(stderr, "bench_metrics: needs root to load BPF programs\n");
		return 77;
	}
	if (!emf_metrics_server__supported()) {
		fprintf(stderr, "bench_metrics: built without libmicrohttpd: nothing to measure\n");
		return 77;
	}
	if (statfs("/sys/kernel/tracing", &st) || st.f_type != TRACEFS_MAGIC)
		mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, NULL);
	/*
	 * The kernel tests trace getpgid() too: do not run at the same time
	 * (make bench holds the lock for every benchmark it runs).
	 */
	lock = getenv("EMF_BENCH_LOCKED") ? 0 : open(LOCK_FILE, O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
	if (lock < 0 || (lock > 0 && flock(lock, LOCK_EX)))
		fprintf(stderr, "bench_metrics: warning: cannot take %s\n", LOCK_FILE);
	emf_set_print(quiet_print);

	rt = emf_runtime__new(&(struct emf_runtime_opts){ .sz = sizeof(struct emf_runtime_opts),
							  .event_cb = on_event });
	p = rt ? emf_runtime__add(rt, &evgen__plugin) : NULL;
	if (!p || emf_runtime__start(rt)) {
		fprintf(stderr, "bench_metrics: failed to start evgen: %s\n",
			rt ? emf_runtime__last_error(rt) : emf_strerror(errno));
		emf_runtime__destroy(rt);
		return 1;
	}

	/* The rendering alone, then over HTTP. */
	metrics = emf_metrics__new(rt, NULL);
	if (!metrics || emf_metrics__add_rule(metrics, "bench_total=evgen.event:count by pid"))
		return 1;
	fill_series(metrics, p);
	printf("BENCH metrics_rule_event_ns %.1f ns (one rule counting by a field, 10,000 series)\n",
	       rule_ns(metrics, p));
	for (i = 0; i < 50; i++) {
		double t0 = now();

		emf_buf__reset(&b);
		if (emf_metrics__render(metrics, &b, EMF_METRICS_TEXT))
			return 1;
		ms[i] = (now() - t0) * 1e3;
	}
	qsort(ms, 50, sizeof(ms[0]), cmp_double);
	printf("BENCH metrics_scrape_10k_series_ms %.2f ms (median of 50; best %.2f, worst %.2f; %zu bytes)\n",
	       ms[25], ms[0], ms[49], b.len);
	{
		struct emf_metrics_server *srv = emf_metrics_server__new(metrics, "127.0.0.1:0", NULL);
		pthread_t th;
		double t0;

		if (!srv)
			return 1;
		port = emf_metrics_server__port(srv);
		stop_scraper = 0;
		scrapes = 0;
		t0 = now();
		pthread_create(&th, NULL, scraper, NULL);
		while (!scrapes) {
			emf_metrics__publish(metrics);
			usleep(100);
		}
		http_ms = (now() - t0) * 1e3;
		stop_scraper = 1;
		while (pthread_tryjoin_np(th, NULL)) {
			emf_metrics__publish(metrics);
			usleep(1000);
		}
		emf_metrics_server__destroy(srv);
		printf("BENCH metrics_scrape_10k_series_http_ms %.2f ms (connect, render, %ld bytes)\n",
		       http_ms, scrape_bytes);
	}
	emf_metrics__destroy(metrics);
	metrics = NULL;
	emf_buf__free(&b);

	for (i = 0; i < ROUNDS; i++) {
		double r_off = run_round(rt, p, false, seconds);
		double r_on = run_round(rt, p, true, seconds);

		if (r_off < 0 || r_on < 0) {
			fprintf(stderr, "bench_metrics: failed to set up the metrics round\n");
			return 1;
		}
		printf("round %d: %.0f events/s without metrics, %.0f with a rule and a scrape every second\n",
		       i + 1, r_off, r_on);
		off += r_off;
		on += r_on;
		ratio[i] = r_on / r_off;
	}
	qsort(ratio, ROUNDS, sizeof(ratio[0]), cmp_double);
	printf("BENCH metrics_event_path_ratio %.3f x (median of %d rounds; of the sums %.3f: %.0f events/s with metrics scraped every second, %.0f without)\n",
	       ratio[ROUNDS / 2], ROUNDS, on / off, on / ROUNDS, off / ROUNDS);
	emf_runtime__destroy(rt);
	return 0;
}
