// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Event pipeline on the real kernel: the evgen test plugin sends one event per
 * getpgid() call of this process, so every test knows exactly how many events
 * were generated and checks that each was either delivered once or counted
 * as lost — at a modest rate nothing is lost, with a tiny ring and a stalled
 * consumer lost == generated - delivered.
 *
 * Needs root, BTF and syscall tracepoints; exits 77 (SKIP) saying which is
 * missing. Holds the kernel tests' lock, as tests/kernel/lib.sh does.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/magic.h>
#include <CUnit/Basic.h>
#include <bpf/libbpf.h>

#include <emf/errno.h>
#include <emf/log.h>
#include <emf/runtime.h>

#include "ktest.h"

#include "evgen.emf.h"
#include "evgen.h"

#define TP_DIR "/sys/kernel/tracing/events/syscalls/sys_enter_getpgid"
#define MAX_EVENTS 50000

/* What the event callback saw of this process's events. */
struct collect {
	unsigned char seen[MAX_EVENTS];
	long delivered; /* of this process, each seq once */
	long dups; /* seq seen twice, or out of range */
	long foreign; /* other processes (none expected) */
	sem_t *block; /* when set, the first event waits on it */
};

static struct collect col;

static int on_event(void *ctx, const struct emf_event *ev)
{
	const struct evgen__event *e = evgen__event__from(ev->data, ev->size);

	(void)ctx;
	if (!e)
		return 0;
	if (e->pid != (unsigned int)getpid()) {
		col.foreign++;
		return 0;
	}
	if (e->seq >= MAX_EVENTS || col.seen[e->seq]) {
		col.dups++;
		return 0;
	}
	col.seen[e->seq] = 1;
	col.delivered++;
	if (col.block) {
		sem_t *s = col.block;

		__atomic_store_n(&col.block, NULL, __ATOMIC_RELEASE);
		sem_wait(s);
	}
	return 0;
}

/* One event through the path @magic names, with sequence number @seq. */
static void gen_one(unsigned int magic, unsigned int seq)
{
	syscall(SYS_getpgid, ((unsigned long)magic << 32) | seq);
}

/* @n events, seq 0..n-1; a short pause every @burst events keeps the rate modest. */
static void gen(unsigned int magic, int n, int burst)
{
	for (int i = 0; i < n; i++) {
		gen_one(magic, i);
		if (burst && i % burst == burst - 1)
			usleep(100);
	}
}

static struct emf_runtime *new_runtime(struct emf_plugin **plugin)
{
	struct emf_runtime *rt;

	memset(&col, 0, sizeof(col));
	ktest_warnings[0] = '\0';
	rt = emf_runtime__new(&(struct emf_runtime_opts){
		.sz = sizeof(struct emf_runtime_opts), .event_cb = on_event });
	CU_ASSERT_PTR_NOT_NULL_FATAL(rt);
	*plugin = emf_runtime__add(rt, &evgen__plugin);
	CU_ASSERT_PTR_NOT_NULL_FATAL(*plugin);
	return rt;
}

static int start(struct emf_runtime *rt)
{
	int err = emf_runtime__start(rt);

	if (err)
		fprintf(stderr, "start failed: %s\n", emf_runtime__last_error(rt));
	return err;
}

struct consumer {
	struct emf_runtime *rt;
	volatile sig_atomic_t stop;
	int err;
};

static void *consume(void *arg)
{
	struct consumer *c = arg;

	c->err = emf_runtime__run(c->rt, &(struct emf_run_opts){
		.sz = sizeof(struct emf_run_opts), .stop = &c->stop });
	return NULL;
}

/* Events generated while another thread runs the runtime: all delivered, none lost. */
static void check_no_loss(unsigned int magic, const char *map, int n)
{
	struct emf_output_stats os = {};
	struct emf_plugin_stats st;
	struct emf_plugin *p;
	struct consumer c = {};
	pthread_t th;
	size_t idx = strcmp(map, "events") ? 1 : 0;

	c.rt = new_runtime(&p);
	CU_ASSERT_STRING_EQUAL(emf_plugin__desc(p)->outputs[idx].map_name, map);
	CU_ASSERT_EQUAL_FATAL(start(c.rt), 0);
	CU_ASSERT_EQUAL_FATAL(pthread_create(&th, NULL, consume, &c), 0);
	gen(magic, n, 100);
	__atomic_store_n(&c.stop, 1, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	CU_ASSERT_EQUAL(c.err, 0);
	emf_plugin__stats(p, &st);
	CU_ASSERT_EQUAL(emf_plugin__output_stats(p, idx, &os), 0);
	if (col.delivered != n || st.lost)
		fprintf(stderr, "%s: delivered %ld of %d, lost %llu\n", map, col.delivered, n,
			(unsigned long long)st.lost);
	CU_ASSERT_EQUAL(col.delivered, n);
	CU_ASSERT_EQUAL(col.dups, 0);
	CU_ASSERT_EQUAL(st.events, (uint64_t)n);
	CU_ASSERT_EQUAL(st.lost, 0);
	CU_ASSERT_EQUAL(st.decode_errors, 0);
	CU_ASSERT_EQUAL(os.events, (uint64_t)n);
	CU_ASSERT_EQUAL(os.lost, 0);
	CU_ASSERT(st.batches >= 1 && st.batches <= st.events);
	CU_ASSERT_STRING_EQUAL(ktest_warnings, "");
	emf_runtime__destroy(c.rt);
}

static void test_no_loss_emf_submit(void)
{
	check_no_loss(EVGEN_RING_EMF, "events", 20000);
}

static void test_no_loss_emf_output(void)
{
	check_no_loss(EVGEN_RING_OUTPUT, "events", 20000);
}

static void test_no_loss_default_flags(void)
{
	check_no_loss(EVGEN_RING_DEFAULT, "events", 20000);
}

static void test_no_loss_perfbuf(void)
{
	/* Fits one CPU's buffer (256 KiB, 32-byte records) even if the consumer stalls. */
	check_no_loss(EVGEN_PERF, "perf_events", 5000);
}

/* Generated, delivered and lost must add up, per plugin and per output. */
static void check_accounting(struct emf_plugin *p, size_t idx, long generated)
{
	struct emf_output_stats os;
	struct emf_plugin_stats st;

	emf_plugin__stats(p, &st);
	CU_ASSERT_EQUAL(emf_plugin__output_stats(p, idx, &os), 0);
	fprintf(stderr, "  generated %ld, delivered %ld, lost %llu, batches %llu\n", generated,
		col.delivered, (unsigned long long)st.lost, (unsigned long long)st.batches);
	CU_ASSERT_EQUAL(col.dups, 0);
	CU_ASSERT(st.lost > 0);
	CU_ASSERT(col.delivered > 0);
	CU_ASSERT_EQUAL(st.lost, (uint64_t)(generated - col.delivered));
	CU_ASSERT_EQUAL(st.events, (uint64_t)col.delivered);
	CU_ASSERT_EQUAL(os.lost, st.lost);
	CU_ASSERT_EQUAL(os.events, st.events);
	/* Loss is never silent: a warning names the plugin and the map. */
	CU_ASSERT_PTR_NOT_NULL(strstr(ktest_warnings, "plugin 'evgen' lost"));
	CU_ASSERT_PTR_NOT_NULL(strstr(ktest_warnings, emf_plugin__desc(p)->outputs[idx].map_name));
}

/* A one-page ring and nobody reading: what does not fit is counted, exactly. */
static void check_tiny_ring_stalled(unsigned int magic)
{
	struct emf_plugin *p;
	struct emf_runtime *rt = new_runtime(&p);
	const int n = 2000;

	CU_ASSERT_EQUAL(emf_plugin__set_ring_size(p, "events", 4096), 0);
	CU_ASSERT_EQUAL_FATAL(start(rt), 0);
	CU_ASSERT_EQUAL(bpf_map__max_entries(bpf_object__find_map_by_name(
				emf_plugin__object(p), "events")), 4096);
	gen(magic, n, 0);
	CU_ASSERT(emf_runtime__drain(rt) > 0);
	check_accounting(p, 0, n);
	/* A 4 KiB ring holds at most 4096 / 24 records of 16 bytes. */
	CU_ASSERT(col.delivered <= 4096 / 24);
	emf_runtime__destroy(rt);
}

static void test_tiny_ring_stalled_submit(void)
{
	check_tiny_ring_stalled(EVGEN_RING_EMF);
}

static void test_tiny_ring_stalled_output(void)
{
	check_tiny_ring_stalled(EVGEN_RING_OUTPUT);
}

/* What lost_cb was told. */
static struct {
	uint64_t lost, total;
	int calls, bad_output;
} lostcb;

static void on_lost(void *ctx, const struct emf_plugin *p, size_t output, uint64_t lost,
		    uint64_t total)
{
	(void)ctx;
	(void)p;
	lostcb.calls++;
	lostcb.bad_output += output != 0;
	lostcb.lost += lost;
	lostcb.total = total;
}

/* A host's lost_cb hears of every loss, of the right output, instead of the SDK's warning. */
static void test_lost_cb(void)
{
	struct emf_plugin_stats st;
	struct emf_runtime *rt;
	struct emf_plugin *p;
	const int n = 2000;

	memset(&col, 0, sizeof(col));
	memset(&lostcb, 0, sizeof(lostcb));
	ktest_warnings[0] = '\0';
	rt = emf_runtime__new(&(struct emf_runtime_opts){ .sz = sizeof(struct emf_runtime_opts),
							   .event_cb = on_event,
							   .lost_cb = on_lost });
	CU_ASSERT_PTR_NOT_NULL_FATAL(rt);
	p = emf_runtime__add(rt, &evgen__plugin);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_EQUAL(emf_plugin__set_ring_size(p, "events", 4096), 0);
	CU_ASSERT_EQUAL_FATAL(start(rt), 0);
	gen(EVGEN_RING_EMF, n, 0);
	CU_ASSERT(emf_runtime__drain(rt) > 0);
	gen(EVGEN_RING_OUTPUT, n, 0);
	CU_ASSERT(emf_runtime__drain(rt) > 0);
	emf_plugin__stats(p, &st);
	/* The second n reuse the first n's sequence numbers: count from the stats. */
	fprintf(stderr, "  generated %d, delivered %llu, lost %llu in %d lost_cb calls\n", 2 * n,
		(unsigned long long)st.events, (unsigned long long)lostcb.lost, lostcb.calls);
	CU_ASSERT(lostcb.calls >= 1);
	CU_ASSERT_EQUAL(lostcb.bad_output, 0);
	CU_ASSERT(st.lost > 0);
	CU_ASSERT_EQUAL(lostcb.lost, st.lost);
	CU_ASSERT_EQUAL(lostcb.total, st.lost);
	CU_ASSERT_EQUAL(st.lost + st.events, (uint64_t)(2 * n));
	CU_ASSERT_PTR_NULL(strstr(ktest_warnings, "lost"));
	emf_runtime__destroy(rt);
}

/*
 * Back-pressure: the host's callback blocks on the first event while the
 * producer goes on; the reader neither drops silently nor fails, and once the
 * callback returns, delivered + lost == generated.
 */
static void test_blocked_callback(void)
{
	struct emf_plugin *p;
	struct consumer c = {};
	pthread_t th;
	sem_t block;
	const int n = 3000;

	c.rt = new_runtime(&p);
	sem_init(&block, 0, 0);
	col.block = &block;
	CU_ASSERT_EQUAL(emf_plugin__set_ring_size(p, NULL, 4096), 0);
	CU_ASSERT_EQUAL_FATAL(start(c.rt), 0);
	CU_ASSERT_EQUAL_FATAL(pthread_create(&th, NULL, consume, &c), 0);
	gen_one(EVGEN_RING_EMF, 0);
	/* Wait until the callback holds the first event, then flood the ring. */
	for (int i = 0; i < 5000 && __atomic_load_n(&col.block, __ATOMIC_ACQUIRE); i++)
		usleep(1000);
	CU_ASSERT_PTR_NULL_FATAL(__atomic_load_n(&col.block, __ATOMIC_ACQUIRE));
	for (int i = 1; i < n; i++)
		gen_one(EVGEN_RING_EMF, i);
	sem_post(&block);
	__atomic_store_n(&c.stop, 1, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	CU_ASSERT_EQUAL(c.err, 0);
	check_accounting(p, 0, n);
	emf_runtime__destroy(c.rt);
	sem_destroy(&block);
}

/*
 * A one-page perf buffer on one CPU and nobody reading. The kernel reports
 * what it dropped with the next sample written there, so one more event
 * after the drain brings the count in.
 */
static void test_tiny_perfbuf_stalled(void)
{
	struct emf_plugin *p;
	struct emf_runtime *rt = new_runtime(&p);
	cpu_set_t cpus, old;
	const int n = 2000;

	CPU_ZERO(&cpus);
	CPU_SET(0, &cpus);
	sched_getaffinity(0, sizeof(old), &old);
	CU_ASSERT_EQUAL_FATAL(sched_setaffinity(0, sizeof(cpus), &cpus), 0);
	CU_ASSERT_EQUAL(emf_plugin__set_ring_size(p, "perf_events", 4096), 0);
	CU_ASSERT_EQUAL_FATAL(start(rt), 0);
	gen(EVGEN_PERF, n, 0);
	CU_ASSERT(emf_runtime__drain(rt) > 0);
	gen_one(EVGEN_PERF, n);
	emf_runtime__drain(rt);
	sched_setaffinity(0, sizeof(old), &old);
	check_accounting(p, 1, n + 1);
	emf_runtime__destroy(rt);
}

/* Events submitted without a wake-up still arrive, through the drain timer. */
static void test_no_wakeup_drained_by_timer(void)
{
	struct emf_plugin *p;
	struct emf_runtime *rt = new_runtime(&p);

	CU_ASSERT_EQUAL_FATAL(start(rt), 0);
	gen_one(EVGEN_RING_EMF, 0);
	gen_one(EVGEN_RING_NOWAKEUP, 1);
	/* Generous: the bound is a few ms, but this machine is shared. */
	for (int i = 0; i < 50 && col.delivered < 2; i++)
		CU_ASSERT(emf_runtime__poll(rt, 100) >= 0);
	CU_ASSERT_EQUAL(col.delivered, 2);
	emf_runtime__destroy(rt);
}

/*
 * Events sent before a stop are delivered by the stop itself: stopping one
 * plugin and destroying the runtime lose none of what the outputs still hold.
 */
static void test_stop_delivers_what_is_waiting(void)
{
	struct emf_plugin_stats st;
	struct emf_plugin *p;
	struct emf_runtime *rt = new_runtime(&p);
	int n = 2000;

	CU_ASSERT_EQUAL_FATAL(start(rt), 0);
	gen(EVGEN_RING_EMF, n / 2, 0);
	for (int i = n / 2; i < n; i++)
		gen_one(EVGEN_PERF, i);
	/* Not polled: all of them are still in the ring and the perf buffers. */
	CU_ASSERT_EQUAL(emf_runtime__stop_plugin(rt, p), 0);
	CU_ASSERT_EQUAL(col.delivered, n);
	emf_plugin__stats(p, &st);
	CU_ASSERT_EQUAL(st.lost, 0);

	memset(col.seen, 0, sizeof(col.seen));
	col.delivered = 0;
	CU_ASSERT_EQUAL_FATAL(emf_runtime__start_plugin(rt, p), 0);
	gen(EVGEN_RING_NOWAKEUP, n, 0);
	emf_runtime__destroy(rt);
	CU_ASSERT_EQUAL(col.delivered, n);
	CU_ASSERT_EQUAL(col.dups, 0);
}

static void test_set_ring_size_checks(void)
{
	struct emf_plugin *p;
	struct emf_runtime *rt = new_runtime(&p);

	CU_ASSERT_EQUAL(emf_plugin__set_ring_size(p, "events", 5000), -EINVAL);
	CU_ASSERT_EQUAL(emf_plugin__set_ring_size(p, "events", 1024), -EINVAL);
	CU_ASSERT_EQUAL(emf_plugin__set_ring_size(p, "nosuchmap", 8192), -ENOENT);
	CU_ASSERT_EQUAL(emf_plugin__set_ring_size(NULL, "events", 8192), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(ktest_warnings, "nosuchmap"));
	CU_ASSERT_EQUAL(emf_plugin__set_ring_size(p, "events", 65536), 0);
	CU_ASSERT_EQUAL_FATAL(start(rt), 0);
	CU_ASSERT_EQUAL(bpf_map__max_entries(bpf_object__find_map_by_name(
				emf_plugin__object(p), "events")), 65536);
	CU_ASSERT_EQUAL(emf_plugin__set_ring_size(p, "events", 8192), -EMF_ERRNO__STATE);
	/* Kept over a restart. */
	emf_runtime__stop(rt);
	CU_ASSERT_EQUAL_FATAL(start(rt), 0);
	CU_ASSERT_EQUAL(bpf_map__max_entries(bpf_object__find_map_by_name(
				emf_plugin__object(p), "events")), 65536);
	emf_runtime__destroy(rt);
}

static int ticks;

static int count_tick(void *ctx)
{
	(void)ctx;
	return ++ticks >= 3 ? 1 : 0;
}

static void test_run_stops(void)
{
	struct emf_plugin *p;
	struct emf_runtime *rt = new_runtime(&p);
	volatile sig_atomic_t stop = 1;

	CU_ASSERT_EQUAL(emf_runtime__run(rt, NULL), -EMF_ERRNO__STATE);
	CU_ASSERT_EQUAL_FATAL(start(rt), 0);
	CU_ASSERT_EQUAL(emf_runtime__run(rt, &(struct emf_run_opts){
		.sz = sizeof(struct emf_run_opts), .stop = &stop }), 0);
	CU_ASSERT_EQUAL(emf_runtime__run(rt, &(struct emf_run_opts){
		.sz = sizeof(struct emf_run_opts), .duration_ms = 20 }), 0);
	ticks = 0;
	CU_ASSERT_EQUAL(emf_runtime__run(rt, &(struct emf_run_opts){
		.sz = sizeof(struct emf_run_opts), .tick_cb = count_tick }), 0);
	CU_ASSERT_EQUAL(ticks, 4); /* three polls, then once after the final drain */
	/* An event sent just before the stop is still delivered. */
	gen_one(EVGEN_RING_EMF, 7);
	CU_ASSERT_EQUAL(emf_runtime__run(rt, &(struct emf_run_opts){
		.sz = sizeof(struct emf_run_opts), .stop = &stop }), 0);
	CU_ASSERT_EQUAL(col.delivered, 1);
	emf_runtime__destroy(rt);
}

/* tracepoints need tracefs: mount it when missing, as bpftool does. */
static void ensure_tracefs(void)
{
	struct statfs st;

	if (!statfs("/sys/kernel/tracing", &st) && st.f_type == TRACEFS_MAGIC)
		return;
	mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, NULL);
}

int main(void)
{
	unsigned int failed;
	CU_pSuite s;
	int ret;

	setvbuf(stdout, NULL, _IONBF, 0);
	ret = ktest_begin();
	if (ret)
		return ret;
	ensure_tracefs();
	if (access(TP_DIR, F_OK)) {
		printf("SKIP: kernel has no syscall tracepoints (%s; CONFIG_FTRACE_SYSCALLS)\n", TP_DIR);
		return 77;
	}
	emf_set_print(ktest_capture_print);

	if (CU_initialize_registry() != CUE_SUCCESS)
		return CU_get_error();
	s = CU_add_suite("pipeline", NULL, NULL);
	CU_add_test(s, "emf_submit at a modest rate loses nothing", test_no_loss_emf_submit);
	CU_add_test(s, "emf_output at a modest rate loses nothing", test_no_loss_emf_output);
	CU_add_test(s, "default submit flags still work", test_no_loss_default_flags);
	CU_add_test(s, "perf buffer at a modest rate loses nothing", test_no_loss_perfbuf);
	CU_add_test(s, "tiny ring, stalled consumer: lost = generated - delivered (submit)",
		    test_tiny_ring_stalled_submit);
	CU_add_test(s, "tiny ring, stalled consumer: lost = generated - delivered (output)",
		    test_tiny_ring_stalled_output);
	CU_add_test(s, "lost_cb: every loss, per output, instead of the warning", test_lost_cb);
	CU_add_test(s, "blocked callback: loss counted, nothing dropped silently",
		    test_blocked_callback);
	CU_add_test(s, "tiny perf buffer, stalled consumer: lost = generated - delivered",
		    test_tiny_perfbuf_stalled);
	CU_add_test(s, "events without wake-up arrive through the drain timer",
		    test_no_wakeup_drained_by_timer);
	CU_add_test(s, "ring size: checks, applied at load, kept over restarts",
		    test_set_ring_size_checks);
	CU_add_test(s, "run loop stops on flag, duration and tick callback", test_run_stops);
	CU_add_test(s, "a stop delivers what the outputs still hold",
		    test_stop_delivers_what_is_waiting);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_tests_failed() + CU_get_number_of_failures();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
