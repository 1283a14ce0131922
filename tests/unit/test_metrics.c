// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Metrics without the kernel: rules against execsnoop's generated field table
 * (refusals, counts, sums, escaping, the series bound), the exposition in both
 * formats, and the HTTP server under 100 concurrent scrapes, a stalled client
 * and requests for what it does not serve. Nothing here loads a BPF program.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <CUnit/Basic.h>

#include <emf/errno.h>
#include <emf/fmt.h>
#include <emf/log.h>
#include <emf/metrics.h>
#include <emf/runtime.h>

#include "execsnoop.emf.h"

static struct emf_runtime *rt;
static struct emf_plugin *plugin;

static int quiet(enum emf_print_level level, const char *fmt, va_list ap)
{
	return 0;
}

static void send_event(struct emf_metrics *m, int pid, unsigned int uid, const char *comm)
{
	struct execsnoop__event e;
	struct emf_event ev = { .plugin = plugin, .type = &execsnoop__event__type, .data = &e,
				.size = sizeof(e) };

	memset(&e, 0, sizeof(e));
	e.pid = pid;
	e.uid = uid;
	memcpy(e.comm, comm, strnlen(comm, sizeof(e.comm)));
	emf_metrics__event(m, &ev);
}

static char *render(struct emf_metrics *m, enum emf_metrics_format fmt)
{
	static struct emf_buf b;

	emf_buf__reset(&b);
	CU_ASSERT_FATAL(emf_metrics__render(m, &b, fmt) == 0);
	return b.data;
}

static void test_bad_rules(void)
{
	static const struct {
		const char *spec;
		int err;
	} bad[] = {
		{ "nonsense", -EINVAL },
		{ "a=execsnoop.event", -EINVAL },
		{ "a=execsnoop.event:avg pid", -EINVAL },
		{ "a=execsnoop.event:count by", -EINVAL },
		{ "a=execsnoop.event:count by comm,,pid", -EINVAL },
		{ "a=execsnoop.event:count by comm pid", -EINVAL },
		{ "a=execsnoop.event:sum", -EINVAL },
		{ "a=execsnoop.event:sum comm", -EINVAL },
		{ "a=execsnoop.event:count by nosuch", -EINVAL },
		{ "1a=execsnoop.event:count", -EINVAL },
		{ "emf_mine=execsnoop.event:count", -EINVAL },
		{ "a=nosuch.event:count", -ENOENT },
		{ "a=execsnoop.nosuch:count", -ENOENT },
	};
	struct emf_metrics *m = emf_metrics__new(rt, NULL);
	size_t i;

	CU_ASSERT_FATAL(m != NULL);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int err = emf_metrics__add_rule(m, bad[i].spec);

		if (err != bad[i].err)
			fprintf(stderr, "rule '%s': %d, want %d\n", bad[i].spec, err, bad[i].err);
		CU_ASSERT_EQUAL(err, bad[i].err);
	}
	CU_ASSERT_EQUAL(emf_metrics__add_rule(m, "a=execsnoop.event:count"), 0);
	CU_ASSERT_EQUAL(emf_metrics__add_rule(m, "a_total=execsnoop.event:count by pid"), -EEXIST);
	CU_ASSERT_EQUAL(emf_metrics__add_rule(NULL, "a=execsnoop.event:count"), -EINVAL);
	emf_metrics__destroy(m);
}

static void test_count_sum_escape(void)
{
	struct emf_metrics *m = emf_metrics__new(rt, NULL);
	char *out;

	CU_ASSERT_FATAL(m != NULL);
	CU_ASSERT_EQUAL(emf_metrics__add_rule(m, "execs_total=execsnoop.event:count by comm"), 0);
	CU_ASSERT_EQUAL(emf_metrics__add_rule(m, "uids=execsnoop.event:sum uid by comm"), 0);
	CU_ASSERT_EQUAL(emf_metrics__add_rule(m, "all=execsnoop.event:count"), 0);
	CU_ASSERT_EQUAL(emf_metrics__add_rule(m, " pids = execsnoop.event : sum pid "), 0);
	send_event(m, 1, 10, "a\"b\\c");
	send_event(m, 2, 20, "a\"b\\c");
	send_event(m, 3, 5, "x\ny");
	send_event(m, -7, 1, "sh");
	out = render(m, EMF_METRICS_TEXT);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "# TYPE execs_total counter\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "execs_total{comm=\"a\\\"b\\\\c\"} 2\n"));
	/* Control characters become '?', as in every emf rendering of a string. */
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "execs_total{comm=\"x?y\"} 1\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "# TYPE uids_total counter\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "uids_total{comm=\"a\\\"b\\\\c\"} 30\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "all_total 4\n"));
	/* A sum of a signed field may go down: a gauge, keeping its name. */
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "# TYPE pids gauge\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "pids -1\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "emf_plugin_state{plugin=\"execsnoop\",state=\"new\"} 1\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "# HELP emf_output_events_total "));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "emf_metrics_overflow_total{metric=\"execs_total\"} 0\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "emf_bus_published_messages_total 0\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "emf_bus_dropped_messages_total{policy=\"block\"} 0\n"));
	CU_ASSERT_PTR_NULL(strstr(out, "# EOF"));

	out = render(m, EMF_METRICS_OPENMETRICS);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "# TYPE execs counter\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "\nexecs_total{comm=\"sh\"} 1\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "# TYPE pids gauge\n"));
	CU_ASSERT(strlen(out) > 6 && !strcmp(out + strlen(out) - 6, "# EOF\n"));
	emf_metrics__destroy(m);
}

static void test_series_bound(void)
{
	struct emf_metrics_opts opts = { .sz = sizeof(opts), .max_series = 2 };
	struct emf_metrics *m = emf_metrics__new(rt, &opts);
	char *out;
	int i;

	CU_ASSERT_FATAL(m != NULL);
	CU_ASSERT_EQUAL(emf_metrics__add_rule(m, "by_pid=execsnoop.event:count by pid,comm"), 0);
	for (i = 1; i <= 5; i++)
		send_event(m, i, 0, "p");
	send_event(m, 1, 0, "p");
	out = render(m, EMF_METRICS_TEXT);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "by_pid_total{pid=\"1\",comm=\"p\"} 2\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "by_pid_total{pid=\"2\",comm=\"p\"} 1\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "by_pid_total{pid=\"other\",comm=\"other\"} 3\n"));
	CU_ASSERT_PTR_NULL(strstr(out, "pid=\"3\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "emf_metrics_overflow_total{metric=\"by_pid_total\"} 3\n"));
	emf_metrics__destroy(m);
}

/* ---- the server ------------------------------------------------------------------ */

static int port;
static int publishing; /* atomic: the publisher thread reads it */

/* The runtime's thread, as a host loop would run it. */
static void *publisher(void *arg)
{
	struct emf_metrics *m = arg;

	while (__atomic_load_n(&publishing, __ATOMIC_RELAXED)) {
		emf_metrics__publish(m);
		usleep(500);
	}
	return NULL;
}

static int connect_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The whole reply to @req, or NULL. */
static char *http(const char *req)
{
	struct emf_buf b = {};
	char tmp[16384];
	ssize_t n;
	int fd = connect_port();

	if (fd < 0)
		return NULL;
	if (write(fd, req, strlen(req)) != (ssize_t)strlen(req)) {
		close(fd);
		return NULL;
	}
	while ((n = read(fd, tmp, sizeof(tmp))) > 0)
		emf_buf__append(&b, tmp, (size_t)n);
	close(fd);
	return b.data;
}

static int ok_replies;

static void *scrape_thread(void *arg)
{
	char *r = http("GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");

	if (r && !strncmp(r, "HTTP/1.1 200", 12) && strstr(r, "execs_total{comm=\"sh\"} 1\n") &&
	    strstr(r, "text/plain; version=0.0.4"))
		__atomic_add_fetch(&ok_replies, 1, __ATOMIC_RELAXED);
	free(r);
	return NULL;
}

static void test_server(void)
{
	struct emf_metrics *m = emf_metrics__new(rt, NULL);
	struct emf_metrics_server *srv, *again;
	pthread_t pub, th[100];
	struct timespec t0, t1;
	char *r, addr[32];
	int stalled, i;

	CU_ASSERT_FATAL(m != NULL);
	if (!emf_metrics_server__supported()) {
		CU_ASSERT_PTR_NULL(emf_metrics_server__new(m, "0", NULL));
		CU_ASSERT_EQUAL(errno, EOPNOTSUPP);
		emf_metrics__destroy(m);
		return;
	}
	CU_ASSERT_EQUAL(emf_metrics__add_rule(m, "execs=execsnoop.event:count by comm"), 0);
	send_event(m, 1, 0, "sh");
	CU_ASSERT_PTR_NULL(emf_metrics_server__new(m, "127.0.0.1:99999", NULL));
	CU_ASSERT_EQUAL(errno, EINVAL);
	CU_ASSERT_PTR_NULL(emf_metrics_server__new(m, "localhost:80", NULL));
	CU_ASSERT_EQUAL(errno, EINVAL);
	srv = emf_metrics_server__new(m, "127.0.0.1:0", NULL);
	CU_ASSERT_FATAL(srv != NULL);
	port = emf_metrics_server__port(srv);
	CU_ASSERT(port > 0);
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
	again = emf_metrics_server__new(m, addr, NULL);
	CU_ASSERT_PTR_NULL(again);
	CU_ASSERT_EQUAL(errno, EADDRINUSE);

	__atomic_store_n(&publishing, 1, __ATOMIC_RELAXED);
	pthread_create(&pub, NULL, publisher, m);
	/* A client that sends half a request and stalls holds up only itself. */
	stalled = connect_port();
	CU_ASSERT(stalled >= 0 && write(stalled, "GET /metr", 9) == 9);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < 100; i++)
		pthread_create(&th[i], NULL, scrape_thread, NULL);
	for (i = 0; i < 100; i++)
		pthread_join(th[i], NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	CU_ASSERT_EQUAL(ok_replies, 100);
	/* Well under the 10 s a stalled connection is given. */
	CU_ASSERT(t1.tv_sec - t0.tv_sec < 5);

	r = http("GET /metrics HTTP/1.1\r\nAccept: application/openmetrics-text; version=1.0.0\r\n"
		 "Connection: close\r\n\r\n");
	CU_ASSERT(r && strstr(r, "application/openmetrics-text") && strstr(r, "# EOF\n"));
	free(r);
	r = http("GET /other HTTP/1.0\r\n\r\n");
	CU_ASSERT(r && !strncmp(r + 8, " 404", 4));
	free(r);
	r = http("POST /metrics HTTP/1.0\r\nContent-Length: 0\r\n\r\n");
	CU_ASSERT(r && !strncmp(r + 8, " 405", 4));
	free(r);
	close(stalled);

	/* Nobody publishing: a scrape waits at most wait_ms, then gets the last rendering. */
	__atomic_store_n(&publishing, 0, __ATOMIC_RELAXED);
	pthread_join(pub, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = http("GET /metrics HTTP/1.0\r\n\r\n");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	CU_ASSERT(r && !strncmp(r + 8, " 200", 4) && strstr(r, "execs_total"));
	CU_ASSERT(t1.tv_sec - t0.tv_sec <= 3);
	free(r);
	emf_metrics_server__destroy(srv);
	emf_metrics__destroy(m);
}

int main(void)
{
	CU_pSuite s;
	int failed;

	emf_set_print(quiet);
	rt = emf_runtime__new(NULL);
	plugin = rt ? emf_runtime__add(rt, &execsnoop__plugin) : NULL;
	if (!plugin) {
		fprintf(stderr, "cannot add execsnoop to a runtime: %s\n", emf_strerror(errno));
		return 1;
	}
	if (CU_initialize_registry() != CUE_SUCCESS)
		return CU_get_error();
	s = CU_add_suite("metrics", NULL, NULL);
	CU_add_test(s, "malformed and unknown rules are refused", test_bad_rules);
	CU_add_test(s, "counts, sums, label escaping, both formats", test_count_sum_escape);
	CU_add_test(s, "series past the bound fold into other", test_series_bound);
	CU_add_test(s, "server: 100 concurrent scrapes, stalled client, 404/405",
		    test_server);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_tests_failed() + CU_get_number_of_failures();
	CU_cleanup_registry();
	emf_runtime__destroy(rt);
	return failed ? 1 : 0;
}
