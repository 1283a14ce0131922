// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Unit tests of the ebus (sdk/src/bus.c, bus_svc.c).
 *
 * CUnit is not thread-safe: helper threads only record what they saw, the
 * main thread asserts. EMF_BUS_STRESS_MSGS sets the size of the stress test
 * (default 1000000), e.g. lower under ThreadSanitizer.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <CUnit/Basic.h>
#include <jansson.h>

#include <emf/bus.h>
#include <emf/errno.h>
#include <emf/event.h>
#include <emf/log.h>

#include "bus_inline.h"

/* --- helpers --------------------------------------------------------- */

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static char log_text[16384];

/* Keep warnings out of the report, but keep them to check their wording. */
__attribute__((format(printf, 2, 0))) static int capture_print(enum emf_print_level level,
							       const char *fmt, va_list args)
{
	size_t len;

	if (level != EMF_WARN)
		return 0;
	pthread_mutex_lock(&log_lock);
	len = strlen(log_text);
	if (len < sizeof(log_text) - 1)
		vsnprintf(log_text + len, sizeof(log_text) - len, fmt, args);
	pthread_mutex_unlock(&log_lock);
	if (getenv("EMF_TEST_VERBOSE"))
		fprintf(stderr, "[log] %s", log_text + len);
	return 0;
}

static void log_clear(void)
{
	pthread_mutex_lock(&log_lock);
	log_text[0] = 0;
	pthread_mutex_unlock(&log_lock);
}

static bool log_has(const char *s)
{
	bool ret;

	pthread_mutex_lock(&log_lock);
	ret = strstr(log_text, s) != NULL;
	pthread_mutex_unlock(&log_lock);
	return ret;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ULL + ts.tv_nsec / 1000000;
}

static int load(int *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static void store(int *p, int v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

static void inc(int *p)
{
	__atomic_add_fetch(p, 1, __ATOMIC_ACQ_REL);
}

/* Wait (without dispatching) until *p >= want; false after timeout_ms. */
static bool wait_for(int *p, int want, int timeout_ms)
{
	uint64_t end = now_ms() + timeout_ms;

	while (load(p) < want) {
		if (now_ms() > end)
			return false;
		usleep(500);
	}
	return true;
}

/* Run the host loop until *p >= want; false after timeout_ms. */
static bool pump_for(struct emf_bus *bus, int *p, int want, int timeout_ms)
{
	struct pollfd pfd = { .fd = emf_bus__fd(bus), .events = POLLIN };
	uint64_t end = now_ms() + timeout_ms;

	while (load(p) < want) {
		if (now_ms() > end)
			return false;
		poll(&pfd, 1, 5);
		emf_bus__dispatch(bus, 0);
	}
	return true;
}

static bool fd_readable(struct emf_bus *bus)
{
	struct pollfd pfd = { .fd = emf_bus__fd(bus), .events = POLLIN };

	return poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLIN);
}

static struct emf_bus *new_bus(void)
{
	struct emf_bus *bus = emf_bus__new(NULL);

	CU_ASSERT_PTR_NOT_NULL_FATAL(bus);
	return bus;
}

static struct emf_bus_sub_stats get_stats(struct emf_bus_sub *sub)
{
	EMF_OPTS(emf_bus_sub_stats, st);

	CU_ASSERT_EQUAL(emf_bus_sub__stats(sub, &st), 0);
	return st;
}

/* A worker counts a batch as delivered when the batch ends: wait for it. */
static uint64_t wait_delivered(struct emf_bus_sub *sub, uint64_t want, int timeout_ms)
{
	uint64_t end = now_ms() + timeout_ms, got;

	while ((got = get_stats(sub).delivered) < want && now_ms() < end)
		usleep(500);
	return got;
}

/* A recording subscriber: topics and first int of each payload. */
#define REC_MAX 64
struct rec {
	int n;
	int vals[REC_MAX];
	char topics[REC_MAX][64];
	struct emf_msg *msgs[REC_MAX];
	bool keep; /* keep a reference on each message */
	int unsub_at; /* unsubscribe itself at this count (0: never) */
	struct emf_bus *bus;
	struct emf_bus_sub *other; /* unsubscribe this one at the first message */
	pthread_t thread;
};

static void rec_cb(void *ctx, struct emf_bus_sub *sub, struct emf_msg *msg)
{
	struct rec *r = ctx;
	int i = load(&r->n);

	if (i < REC_MAX) {
		if (emf_msg__size(msg) >= sizeof(int))
			memcpy(&r->vals[i], emf_msg__data(msg), sizeof(int));
		snprintf(r->topics[i], sizeof(r->topics[i]), "%s", emf_msg__topic(msg));
		r->msgs[i] = r->keep ? emf_msg__ref(msg) : msg;
	}
	r->thread = pthread_self();
	if (r->other && i == 0)
		emf_bus__unsubscribe(r->bus, r->other);
	store(&r->n, i + 1);
	if (r->unsub_at && i + 1 == r->unsub_at)
		emf_bus__unsubscribe(r->bus, sub);
}

static void rec_release(struct rec *r)
{
	int i;

	for (i = 0; r->keep && i < r->n && i < REC_MAX; i++)
		emf_msg__unref(r->msgs[i]);
}

static int publish_int(struct emf_bus *bus, const char *topic, int v)
{
	return emf_bus__publish(bus, topic, NULL, &v, sizeof(v));
}

/* --- bus basics ------------------------------------------------------ */

static void test_bus_new_destroy(void)
{
	EMF_OPTS(emf_bus_opts, opts, .queue_len = 8, .n_workers = 2);
	struct emf_bus_opts big[2];
	struct emf_bus *bus;

	emf_bus__destroy(NULL);
	CU_ASSERT_EQUAL(emf_bus__fd(NULL), -EINVAL);
	CU_ASSERT_EQUAL(emf_bus__dispatch(NULL, 0), -EINVAL);

	bus = emf_bus__new(&opts);
	CU_ASSERT_PTR_NOT_NULL_FATAL(bus);
	CU_ASSERT(emf_bus__fd(bus) >= 0);
	CU_ASSERT_FALSE(fd_readable(bus));
	CU_ASSERT_EQUAL(emf_bus__dispatch(bus, 0), 0);
	CU_ASSERT_EQUAL(emf_bus__publish(bus, "nobody.listens", NULL, NULL, 0), 0);
	emf_bus__destroy(bus);

	/* options: too small, and a bigger struct with unknown non-zero bytes */
	opts.sz = 4;
	errno = 0;
	CU_ASSERT_PTR_NULL(emf_bus__new(&opts));
	CU_ASSERT_EQUAL(errno, EINVAL);
	memset(big, 0, sizeof(big));
	big[0].sz = sizeof(big);
	bus = emf_bus__new(&big[0]);
	CU_ASSERT_PTR_NOT_NULL(bus);
	emf_bus__destroy(bus);
	((char *)big)[sizeof(big) - 1] = 1;
	CU_ASSERT_PTR_NULL(emf_bus__new(&big[0]));
	CU_ASSERT_EQUAL(errno, EINVAL);
	opts.sz = sizeof(opts);
	opts.n_workers = 1000;
	CU_ASSERT_PTR_NULL(emf_bus__new(&opts));
}

/* --- topics ---------------------------------------------------------- */

static void test_publish_exact(void)
{
	struct emf_bus *bus = new_bus();
	struct rec r = { .keep = true };
	struct emf_bus_sub *sub;
	const char *data;
	int v = 42;

	sub = emf_bus__subscribe(bus, "proc.exec", rec_cb, &r, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(sub);
	CU_ASSERT_EQUAL(emf_bus__publish(bus, "proc.exec", NULL, &v, sizeof(v)), 1);
	CU_ASSERT_EQUAL(publish_int(bus, "proc.exit", 1), 0);
	CU_ASSERT_EQUAL(publish_int(bus, "proc.exec.x", 1), 0);
	CU_ASSERT_EQUAL(publish_int(bus, "proc", 1), 0);
	CU_ASSERT_TRUE(fd_readable(bus));
	CU_ASSERT_EQUAL(r.n, 0); /* nothing runs before dispatch */
	CU_ASSERT_EQUAL(emf_bus__dispatch(bus, 0), 1);
	CU_ASSERT_FALSE(fd_readable(bus));
	CU_ASSERT_EQUAL_FATAL(r.n, 1);
	CU_ASSERT_EQUAL(r.vals[0], 42);
	CU_ASSERT_STRING_EQUAL(emf_msg__topic(r.msgs[0]), "proc.exec");
	CU_ASSERT_EQUAL(emf_msg__size(r.msgs[0]), sizeof(int));
	CU_ASSERT_PTR_NULL(emf_msg__type(r.msgs[0]));
	data = emf_msg__data(r.msgs[0]);
	CU_ASSERT_EQUAL(data[sizeof(int)], 0); /* the NUL after the payload */
	CU_ASSERT_EQUAL((uintptr_t)data % 16, 0);
	CU_ASSERT(pthread_equal(r.thread, pthread_self()));
	rec_release(&r);

	/* bad arguments */
	CU_ASSERT_EQUAL(emf_bus__publish(NULL, "a", NULL, NULL, 0), -EINVAL);
	CU_ASSERT_EQUAL(emf_bus__publish(bus, "a", NULL, NULL, 4), -EINVAL);
	CU_ASSERT_EQUAL(emf_bus__publish(bus, NULL, NULL, NULL, 0), -EINVAL);
	CU_ASSERT_PTR_NULL(emf_bus__subscribe(bus, "a", NULL, NULL, NULL));
	CU_ASSERT_PTR_NULL(emf_bus__subscribe(NULL, "a", rec_cb, &r, NULL));
	emf_bus__destroy(bus);
}

struct pat_case {
	const char *pattern;
	const char *topic;
	bool match;
};

static void test_patterns(void)
{
	static const struct pat_case cases[] = {
		{ "a", "a", true },	   { "a", "ab", false },	 { "a", "a.b", false },
		{ "a.b", "a.b", true },	   { "a.b", "a.bc", false },	 { "a.b", "a", false },
		{ "a.*", "a.b", true },	   { "a.*", "a.b.c", true },	 { "a.*", "a", false },
		{ "a.*", "ab.c", false },  { "a.*", "b.a", false },	 { "a.b.*", "a.b.c", true },
		{ "a.b.*", "a.b", false }, { "a.b.*", "a.bc.d", false }, { "*", "a", true },
		{ "*", "x.y.z", true },
	};
	static const char *const bad_patterns[] = {
		"",	"a.", ".a", "a..b", "a*",   "*.a",  "a.*.b",
		"a.**", "**", ".*", "*.",   "a.b*", "a.*.",
	};
	static const char *const bad_topics[] = { "", "a.", ".a", "a..b", "a*", "*", "a.*", "." };
	char long_topic[EMF_BUS_NAME_MAX + 2];
	struct emf_bus *bus = new_bus();
	struct emf_bus_sub *sub;
	struct rec r = {};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&r, 0, sizeof(r));
		sub = emf_bus__subscribe(bus, cases[i].pattern, rec_cb, &r, NULL);
		CU_ASSERT_PTR_NOT_NULL_FATAL(sub);
		if (publish_int(bus, cases[i].topic, (int)i) != (cases[i].match ? 1 : 0))
			CU_FAIL("publish count of a pattern case");
		emf_bus__dispatch(bus, 0);
		if (r.n != (cases[i].match ? 1 : 0)) {
			fprintf(stderr, "pattern '%s' topic '%s': got %d\n", cases[i].pattern,
				cases[i].topic, r.n);
			CU_FAIL("pattern case");
		}
		CU_ASSERT_EQUAL(emf_bus__unsubscribe(bus, sub), 0);
	}
	for (i = 0; i < sizeof(bad_patterns) / sizeof(bad_patterns[0]); i++) {
		errno = 0;
		sub = emf_bus__subscribe(bus, bad_patterns[i], rec_cb, &r, NULL);
		if (sub || errno != EINVAL) {
			fprintf(stderr, "pattern '%s' accepted\n", bad_patterns[i]);
			CU_FAIL("bad pattern accepted");
		}
	}
	CU_ASSERT_PTR_NULL(emf_bus__subscribe(bus, NULL, rec_cb, &r, NULL));
	for (i = 0; i < sizeof(bad_topics) / sizeof(bad_topics[0]); i++) {
		if (publish_int(bus, bad_topics[i], 0) != -EINVAL) {
			fprintf(stderr, "topic '%s' accepted\n", bad_topics[i]);
			CU_FAIL("bad topic accepted");
		}
	}
	/* the name length limit */
	memset(long_topic, 'x', sizeof(long_topic) - 1);
	long_topic[sizeof(long_topic) - 1] = 0;
	CU_ASSERT_EQUAL(publish_int(bus, long_topic, 0), -EINVAL);
	long_topic[EMF_BUS_NAME_MAX] = 0;
	CU_ASSERT_EQUAL(publish_int(bus, long_topic, 0), 0);
	emf_bus__destroy(bus);
}

/* Every subscriber sees the same message: one copy, refcounted. */
static void test_zero_copy_refs(void)
{
	struct rec a = { .keep = true }, b = { .keep = true };
	struct emf_bus *bus = new_bus();
	int v = 7;

	CU_ASSERT_PTR_NOT_NULL(emf_bus__subscribe(bus, "x.y", rec_cb, &a, NULL));
	CU_ASSERT_PTR_NOT_NULL(emf_bus__subscribe(bus, "x.*", rec_cb, &b, NULL));
	CU_ASSERT_EQUAL(emf_bus__publish(bus, "x.y", NULL, &v, sizeof(v)), 2);
	v = 8; /* the bus copied it at publish */
	CU_ASSERT_EQUAL(emf_bus__dispatch(bus, 0), 2);
	CU_ASSERT_EQUAL_FATAL(a.n, 1);
	CU_ASSERT_EQUAL_FATAL(b.n, 1);
	CU_ASSERT_PTR_EQUAL(a.msgs[0], b.msgs[0]);
	CU_ASSERT_EQUAL(a.vals[0], 7);
	/* the references outlive the bus */
	emf_bus__destroy(bus);
	CU_ASSERT_EQUAL(*(const int *)emf_msg__data(a.msgs[0]), 7);
	CU_ASSERT_PTR_EQUAL(emf_msg__ref(a.msgs[0]), a.msgs[0]);
	emf_msg__unref(a.msgs[0]);
	rec_release(&a);
	CU_ASSERT_STRING_EQUAL(emf_msg__topic(b.msgs[0]), "x.y");
	rec_release(&b);
	emf_msg__unref(NULL);
}

/* More matching subscribers than publish keeps on its stack. */
static void count_cb(void *ctx, struct emf_bus_sub *sub, struct emf_msg *msg)
{
	(void)sub;
	(void)msg;
	(*(int *)ctx)++;
}

static void test_many_subscribers(void)
{
	struct emf_bus_sub *subs[40];
	struct emf_bus *bus = new_bus();
	int i, v = 0, seen[40] = {};

	for (i = 0; i < 40; i++) {
		subs[i] = emf_bus__subscribe(bus, i % 2 ? "*" : "m.*", count_cb, &seen[i], NULL);
		CU_ASSERT_PTR_NOT_NULL_FATAL(subs[i]);
	}
	CU_ASSERT_EQUAL(emf_bus__publish(bus, "m.x", NULL, &v, sizeof(v)), 40);
	CU_ASSERT_EQUAL(emf_bus__publish(bus, "other", NULL, &v, sizeof(v)), 20);
	CU_ASSERT_EQUAL(emf_bus__unsubscribe(bus, subs[1]), 0); /* drops its two */
	CU_ASSERT_EQUAL(emf_bus__publish(bus, "other", NULL, &v, sizeof(v)), 19);
	CU_ASSERT_EQUAL(emf_bus__dispatch(bus, 0), 39 + 19 + 19);
	for (i = 0; i < 40; i++)
		CU_ASSERT_EQUAL(seen[i], i == 1 ? 0 : i % 2 ? 3 : 1);
	emf_bus__destroy(bus);
}

/* Big payloads bypass the message pool. */
static void test_big_payload(void)
{
	struct rec r = { .keep = true };
	struct emf_bus *bus = new_bus();
	size_t sizes[] = { 0, 1, 200, 1000, 4000, 100000 };
	unsigned char *buf = malloc(100000);
	size_t i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	for (i = 0; i < 100000; i++)
		buf[i] = i * 7;
	CU_ASSERT_PTR_NOT_NULL(emf_bus__subscribe(bus, "big", rec_cb, &r, NULL));
	for (i = 0; i < 6; i++)
		CU_ASSERT_EQUAL(emf_bus__publish(bus, "big", NULL, buf, sizes[i]), 1);
	CU_ASSERT_EQUAL(emf_bus__dispatch(bus, 0), 6);
	CU_ASSERT_EQUAL_FATAL(r.n, 6);
	for (i = 0; i < 6; i++) {
		CU_ASSERT_EQUAL(emf_msg__size(r.msgs[i]), sizes[i]);
		CU_ASSERT(!memcmp(emf_msg__data(r.msgs[i]), buf, sizes[i]));
	}
	rec_release(&r);
	emf_bus__destroy(bus);
	free(buf);
}

/* --- typed and JSON payloads ----------------------------------------- */

struct ev {
	uint32_t pid;
	char comm[12];
};

static json_t *ev_to_json(const void *data, size_t size)
{
	const struct ev *e = data;

	(void)size;
	return json_pack("{s:i,s:s}", "pid", (int)e->pid, "comm", e->comm);
}

static char *ev_render_json(char *p, const void *data, size_t size)
{
	const struct ev *e = data;

	(void)size;
	return p + sprintf(p, "\"pid\":%u,\"comm\":\"%s\"", e->pid, e->comm);
}

static const struct emf_event_type ev_type = {
	.name = "ev",
	.size = sizeof(struct ev),
	.min_size = sizeof(struct ev),
	.json_max = 64,
	.to_json = ev_to_json,
};

static const struct emf_event_type ev_type_render = {
	.name = "ev",
	.size = sizeof(struct ev),
	.min_size = sizeof(struct ev),
	.json_max = 64,
	.render_json = ev_render_json,
};

static const struct emf_event_type ev_type_bare = {
	.name = "ev",
	.size = sizeof(struct ev),
	.min_size = sizeof(struct ev),
};

static void test_typed_and_json(void)
{
	struct ev e = { .pid = 1234, .comm = "bash" };
	struct rec r = { .keep = true };
	struct emf_bus *bus = new_bus();
	json_t *j, *in;

	CU_ASSERT_PTR_NOT_NULL(emf_bus__subscribe(bus, "t.*", rec_cb, &r, NULL));
	CU_ASSERT_EQUAL(emf_bus__publish(bus, "t.typed", &ev_type, &e, sizeof(e)), 1);
	CU_ASSERT_EQUAL(emf_bus__publish(bus, "t.typed", &ev_type, &e, 3), -EMF_ERRNO__TRUNC);
	CU_ASSERT_EQUAL(emf_bus__publish(bus, "t.render", &ev_type_render, &e, sizeof(e)), 1);
	CU_ASSERT_EQUAL(emf_bus__publish(bus, "t.bare", &ev_type_bare, &e, sizeof(e)), 1);
	in = json_pack("{s:s,s:[i,i],s:n}", "name", "exec", "list", 1, 2, "none");
	CU_ASSERT_EQUAL(emf_bus__publish_json(bus, "t.json", in), 1);
	CU_ASSERT_EQUAL(emf_bus__publish(bus, "t.raw", NULL, "not json", 8), 1);
	CU_ASSERT_EQUAL(emf_bus__publish_json(bus, "t.json", NULL), -EINVAL);
	CU_ASSERT_EQUAL(emf_bus__dispatch(bus, 0), 5);
	CU_ASSERT_EQUAL_FATAL(r.n, 5);

	CU_ASSERT_PTR_EQUAL(emf_msg__type(r.msgs[0]), &ev_type);
	j = emf_msg__to_json(r.msgs[0]);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(j, "pid")), 1234);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(j, "comm")), "bash");
	json_decref(j);

	j = emf_msg__to_json(r.msgs[1]);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(j, "pid")), 1234);
	json_decref(j);

	errno = 0;
	CU_ASSERT_PTR_NULL(emf_msg__to_json(r.msgs[2]));
	CU_ASSERT_EQUAL(errno, EOPNOTSUPP);

	CU_ASSERT_PTR_NULL(emf_msg__type(r.msgs[3]));
	CU_ASSERT_STRING_EQUAL((const char *)emf_msg__data(r.msgs[3]),
			       "{\"name\":\"exec\",\"list\":[1,2],\"none\":null}");
	j = emf_msg__to_json(r.msgs[3]);
	CU_ASSERT_TRUE(json_equal(j, in));
	json_decref(j);

	errno = 0;
	CU_ASSERT_PTR_NULL(emf_msg__to_json(r.msgs[4]));
	CU_ASSERT_EQUAL(errno, EBADMSG);
	CU_ASSERT_PTR_NULL(emf_msg__to_json(NULL));

	/* a bare JSON value is JSON text too */
	json_decref(in);
	in = json_integer(5);
	CU_ASSERT_EQUAL(emf_bus__publish_json(bus, "t.int", in), 1);
	CU_ASSERT_EQUAL(emf_bus__dispatch(bus, 0), 1);
	j = emf_msg__to_json(r.msgs[5]);
	CU_ASSERT_TRUE(json_equal(j, in));
	json_decref(j);
	json_decref(in);

	/* JSON text longer than publish_json's stack buffer */
	in = json_array();
	for (int i = 0; i < 1000; i++)
		json_array_append_new(in, json_integer(i));
	CU_ASSERT_EQUAL(emf_bus__publish_json(bus, "t.long", in), 1);
	CU_ASSERT_EQUAL(emf_bus__dispatch(bus, 0), 1);
	j = emf_msg__to_json(r.msgs[6]);
	CU_ASSERT_TRUE(json_equal(j, in));
	json_decref(j);
	json_decref(in);

	rec_release(&r);
	emf_bus__destroy(bus);
}

/* --- unsubscribe ----------------------------------------------------- */

static void test_unsubscribe(void)
{
	struct emf_bus *bus = new_bus(), *bus2 = new_bus();
	struct emf_bus_sub *sub;
	struct rec r = {};

	sub = emf_bus__subscribe(bus, "u", rec_cb, &r, NULL);
	CU_ASSERT_EQUAL(publish_int(bus, "u", 1), 1);
	CU_ASSERT_EQUAL(publish_int(bus, "u", 2), 1);
	/* queued messages go with the subscription */
	CU_ASSERT_EQUAL(emf_bus__unsubscribe(bus, sub), 0);
	CU_ASSERT_EQUAL(emf_bus__dispatch(bus, 0), 0);
	CU_ASSERT_EQUAL(r.n, 0);
	CU_ASSERT_EQUAL(publish_int(bus, "u", 3), 0);
	CU_ASSERT_EQUAL(emf_bus__unsubscribe(bus, NULL), 0);

	sub = emf_bus__subscribe(bus, "u", rec_cb, &r, NULL);
	CU_ASSERT_EQUAL(emf_bus__unsubscribe(bus2, sub), -EINVAL);
	CU_ASSERT_EQUAL(emf_bus__unsubscribe(NULL, sub), -EINVAL);
	CU_ASSERT_EQUAL(emf_bus__unsubscribe(bus, sub), 0);
	emf_bus__destroy(bus);
	emf_bus__destroy(bus2);
}

/* From inside its own callback, and one subscriber ending another mid-dispatch. */
static void test_unsubscribe_in_callback(void)
{
	struct rec self = { .unsub_at = 2 }, killer = {}, victim = {};
	struct emf_bus *bus = new_bus();
	int i;

	self.bus = bus;
	CU_ASSERT_PTR_NOT_NULL(emf_bus__subscribe(bus, "s", rec_cb, &self, NULL));
	for (i = 0; i < 5; i++)
		CU_ASSERT_EQUAL(publish_int(bus, "s", i), 1);
	CU_ASSERT_EQUAL(emf_bus__dispatch(bus, 0), 2);
	CU_ASSERT_EQUAL(self.n, 2);
	CU_ASSERT_EQUAL(publish_int(bus, "s", 9), 0);

	killer.bus = bus;
	CU_ASSERT_PTR_NOT_NULL(emf_bus__subscribe(bus, "k", rec_cb, &killer, NULL));
	killer.other = emf_bus__subscribe(bus, "k", rec_cb, &victim, NULL);
	CU_ASSERT_PTR_NOT_NULL(killer.other);
	for (i = 0; i < 3; i++)
		CU_ASSERT_EQUAL(publish_int(bus, "k", i), 2);
	emf_bus__dispatch(bus, 0);
	CU_ASSERT_EQUAL(killer.n, 3);
	CU_ASSERT_EQUAL(victim.n, 0);
	emf_bus__destroy(bus);
}

struct slow {
	int calls;
	int in_cb;
	int done;
	int after_unsub;
	int unsubscribed;
};

static void slow_cb(void *ctx, struct emf_bus_sub *sub, struct emf_msg *msg)
{
	struct slow *s = ctx;

	(void)sub;
	(void)msg;
	if (load(&s->unsubscribed))
		inc(&s->after_unsub);
	inc(&s->calls);
	store(&s->in_cb, 1);
	usleep(50000);
	store(&s->done, load(&s->done) + 1);
	store(&s->in_cb, 0);
}

/* Unsubscribe from another thread waits for the running callback, and none follows. */
static void test_unsubscribe_during_delivery(void)
{
	EMF_OPTS(emf_bus_sub_opts, so, .deliver = EMF_BUS_DELIVER_THREAD);
	struct emf_bus *bus = new_bus();
	struct emf_bus_sub *sub;
	struct slow s = {};
	int i;

	sub = emf_bus__subscribe(bus, "slow", slow_cb, &s, &so);
	CU_ASSERT_PTR_NOT_NULL_FATAL(sub);
	for (i = 0; i < 5; i++)
		CU_ASSERT_EQUAL(publish_int(bus, "slow", i), 1);
	CU_ASSERT_TRUE(wait_for(&s.in_cb, 1, 2000));
	CU_ASSERT_EQUAL(emf_bus__unsubscribe(bus, sub), 0);
	store(&s.unsubscribed, 1);
	/* the running call finished before unsubscribe returned */
	CU_ASSERT_EQUAL(load(&s.in_cb), 0);
	CU_ASSERT_EQUAL(load(&s.done), load(&s.calls));
	usleep(100000);
	CU_ASSERT_EQUAL(load(&s.after_unsub), 0);
	CU_ASSERT(load(&s.calls) < 5);
	emf_bus__destroy(bus);
}

/* --- full queues ----------------------------------------------------- */

static void test_policy_drop_new(void)
{
	EMF_OPTS(emf_bus_sub_opts, so, .queue_len = 4, .policy = EMF_BUS_POLICY_DROP_NEW);
	struct emf_bus *bus = new_bus();
	struct emf_bus_sub_stats st;
	struct emf_bus_sub *sub;
	struct rec r = {};
	int i, queued = 0;

	sub = emf_bus__subscribe(bus, "q", rec_cb, &r, &so);
	CU_ASSERT_PTR_NOT_NULL_FATAL(sub);
	for (i = 0; i < 10; i++)
		queued += publish_int(bus, "q", i);
	CU_ASSERT_EQUAL(queued, 4);
	st = get_stats(sub);
	CU_ASSERT_EQUAL(st.dropped, 6);
	CU_ASSERT_EQUAL(st.timeouts, 0);
	CU_ASSERT_EQUAL(st.queued, 4);
	CU_ASSERT_EQUAL(st.high_water, 4);
	CU_ASSERT_EQUAL(st.queue_len, 4);
	CU_ASSERT_EQUAL(st.delivered, 0);
	CU_ASSERT_EQUAL(emf_bus__dispatch(bus, 0), 4);
	for (i = 0; i < 4; i++)
		CU_ASSERT_EQUAL(r.vals[i], i);
	st = get_stats(sub);
	CU_ASSERT_EQUAL(st.delivered, 4);
	CU_ASSERT_EQUAL(st.queued, 0);
	CU_ASSERT_EQUAL(st.dropped, 6);
	emf_bus__destroy(bus);
}

/*
 * A held subscriber (a listener that cannot keep up) is not called and its
 * messages count as dropped, what it had queued still comes, and once
 * released it gets messages again; other subscribers see no difference.
 */
static void test_sub_hold(void)
{
	EMF_OPTS(emf_bus_stats, bst);
	struct emf_bus *bus = new_bus();
	struct emf_bus_sub *held, *other;
	struct emf_bus_sub_stats st;
	struct rec r = {}, ro = {};

	held = emf_bus__subscribe(bus, "q.*", rec_cb, &r, NULL);
	other = emf_bus__subscribe(bus, "q.a", rec_cb, &ro, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(held);
	CU_ASSERT_PTR_NOT_NULL_FATAL(other);
	CU_ASSERT_EQUAL(publish_int(bus, "q.a", 1), 2);
	emf__bus_sub_hold(held, true);
	CU_ASSERT_EQUAL(publish_int(bus, "q.a", 2), 1);
	CU_ASSERT_EQUAL(publish_int(bus, "q.b", 3), 0);
	CU_ASSERT_EQUAL(publish_int(bus, "x", 4), 0); /* not its topic: not its loss */
	CU_ASSERT_EQUAL(emf_bus__dispatch(bus, 0), 3);
	CU_ASSERT_EQUAL(r.n, 1);
	CU_ASSERT_EQUAL(r.vals[0], 1);
	CU_ASSERT_EQUAL(ro.n, 2);
	st = get_stats(held);
	CU_ASSERT_EQUAL(st.dropped, 2);
	CU_ASSERT_EQUAL(st.delivered, 1);
	CU_ASSERT_EQUAL(emf__bus_sub_dropped(held), 2);
	CU_ASSERT_EQUAL(get_stats(other).dropped, 0);
	CU_ASSERT_EQUAL(emf_bus__stats(bus, &bst), 0);
	CU_ASSERT_EQUAL(bst.dropped_new, 2);
	emf__bus_sub_hold(held, false);
	CU_ASSERT_EQUAL(publish_int(bus, "q.b", 5), 1);
	CU_ASSERT_EQUAL(emf_bus__dispatch(bus, 0), 1);
	CU_ASSERT_EQUAL(r.n, 2);
	CU_ASSERT_EQUAL(r.vals[1], 5);
	CU_ASSERT_EQUAL(get_stats(held).dropped, 2);
	emf_bus__destroy(bus);
}

/* The bus's totals: per policy, and kept when a subscription goes. */
static void test_bus_stats(void)
{
	EMF_OPTS(emf_bus_sub_opts, so_new, .queue_len = 2, .policy = EMF_BUS_POLICY_DROP_NEW);
	EMF_OPTS(emf_bus_sub_opts, so_old, .queue_len = 2, .policy = EMF_BUS_POLICY_DROP_OLD);
	EMF_OPTS(emf_bus_stats, st);
	struct emf_bus *bus = new_bus();
	struct emf_bus_sub *a, *b;
	struct rec ra = {}, rb = {};
	int i;

	a = emf_bus__subscribe(bus, "q", rec_cb, &ra, &so_new);
	b = emf_bus__subscribe(bus, "q", rec_cb, &rb, &so_old);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	for (i = 0; i < 5; i++)
		publish_int(bus, "q", i);
	publish_int(bus, "nobody", 0);
	CU_ASSERT_EQUAL(emf_bus__dispatch(bus, 0), 4);
	CU_ASSERT_EQUAL(emf_bus__stats(bus, &st), 0);
	CU_ASSERT_EQUAL(st.published, 6);
	CU_ASSERT_EQUAL(st.delivered, 4);
	CU_ASSERT_EQUAL(st.dropped_new, 3);
	CU_ASSERT_EQUAL(st.dropped_old, 3);
	CU_ASSERT_EQUAL(st.dropped_block, 0);
	CU_ASSERT_EQUAL(st.subscriptions, 2);
	CU_ASSERT_EQUAL(emf_bus__unsubscribe(bus, a), 0);
	CU_ASSERT_EQUAL(emf_bus__stats(bus, &st), 0);
	CU_ASSERT_EQUAL(st.delivered, 4);
	CU_ASSERT_EQUAL(st.dropped_new, 3);
	CU_ASSERT_EQUAL(st.subscriptions, 1);
	CU_ASSERT_EQUAL(emf_bus__stats(NULL, &st), -EINVAL);
	CU_ASSERT_EQUAL(emf_bus__stats(bus, NULL), -EINVAL);
	emf_bus__destroy(bus);
}

static void test_policy_drop_old(void)
{
	EMF_OPTS(emf_bus_sub_opts, so, .queue_len = 3, .policy = EMF_BUS_POLICY_DROP_OLD);
	struct emf_bus *bus = new_bus();
	struct emf_bus_sub_stats st;
	struct emf_bus_sub *sub;
	struct rec r = {};
	int i, queued = 0;

	/* 3 rounds up to 4 */
	sub = emf_bus__subscribe(bus, "q", rec_cb, &r, &so);
	CU_ASSERT_PTR_NOT_NULL_FATAL(sub);
	for (i = 0; i < 10; i++)
		queued += publish_int(bus, "q", i);
	CU_ASSERT_EQUAL(queued, 10);
	st = get_stats(sub);
	CU_ASSERT_EQUAL(st.dropped, 6);
	CU_ASSERT_EQUAL(st.high_water, 4);
	CU_ASSERT_EQUAL(st.queue_len, 4);
	CU_ASSERT_EQUAL(emf_bus__dispatch(bus, 0), 4);
	CU_ASSERT_EQUAL_FATAL(r.n, 4);
	for (i = 0; i < 4; i++)
		CU_ASSERT_EQUAL(r.vals[i], 6 + i);
	st = get_stats(sub);
	CU_ASSERT_EQUAL(st.delivered, 4);
	CU_ASSERT_EQUAL(st.dropped, 6);
	emf_bus__destroy(bus);
}

struct pub_arg {
	struct emf_bus *bus;
	const char *topic;
	int value;
	int ret;
	int done;
	uint64_t ms;
	uint64_t end; /* now_ms() when the publish returned */
};

static void *pub_thread(void *arg)
{
	struct pub_arg *a = arg;
	uint64_t t0 = now_ms();

	a->ret = publish_int(a->bus, a->topic, a->value);
	a->end = now_ms();
	a->ms = a->end - t0;
	store(&a->done, 1);
	return NULL;
}

static void test_policy_block(void)
{
	EMF_OPTS(emf_bus_sub_opts, so, .queue_len = 2, .policy = EMF_BUS_POLICY_BLOCK,
		 .block_timeout_ms = 100);
	struct emf_bus *bus = new_bus();
	struct emf_bus_sub_stats st;
	struct pub_arg a = {};
	struct emf_bus_sub *sub;
	struct rec r = {};
	pthread_t th;
	uint64_t t0;

	sub = emf_bus__subscribe(bus, "b", rec_cb, &r, &so);
	CU_ASSERT_PTR_NOT_NULL_FATAL(sub);
	CU_ASSERT_EQUAL(publish_int(bus, "b", 0), 1);
	CU_ASSERT_EQUAL(publish_int(bus, "b", 1), 1);

	/* nobody dispatches: wait the timeout, then drop and count */
	t0 = now_ms();
	CU_ASSERT_EQUAL(publish_int(bus, "b", 2), 0);
	CU_ASSERT(now_ms() - t0 >= 95);
	st = get_stats(sub);
	CU_ASSERT_EQUAL(st.dropped, 1);
	CU_ASSERT_EQUAL(st.timeouts, 1);
	CU_ASSERT_EQUAL(st.queued, 2);

	/* another thread blocks until the host loop makes room */
	a.bus = bus;
	a.topic = "b";
	a.value = 3;
	so.block_timeout_ms = 10000;
	CU_ASSERT_EQUAL(emf_bus__unsubscribe(bus, sub), 0);
	sub = emf_bus__subscribe(bus, "b", rec_cb, &r, &so);
	publish_int(bus, "b", 0);
	publish_int(bus, "b", 1);
	pthread_create(&th, NULL, pub_thread, &a);
	usleep(30000);
	CU_ASSERT_EQUAL(load(&a.done), 0);
	/* It returns once the loop made room, however late a loaded machine started it. */
	t0 = now_ms();
	CU_ASSERT_TRUE(pump_for(bus, &r.n, 3, 2000));
	pthread_join(th, NULL);
	CU_ASSERT_EQUAL(a.ret, 1);
	CU_ASSERT(a.end >= t0);
	CU_ASSERT_EQUAL(r.vals[2], 3);
	st = get_stats(sub);
	CU_ASSERT_EQUAL(st.dropped, 0);
	CU_ASSERT_EQUAL(st.delivered, 3);

	/* the host thread itself would wait for itself: it drops at once */
	publish_int(bus, "b", 4);
	publish_int(bus, "b", 5);
	t0 = now_ms();
	CU_ASSERT_EQUAL(publish_int(bus, "b", 6), 0);
	CU_ASSERT(now_ms() - t0 < 1000);
	st = get_stats(sub);
	CU_ASSERT_EQUAL(st.dropped, 1);
	CU_ASSERT_EQUAL(st.timeouts, 0);

	/* unsubscribing frees a blocked publisher */
	memset(&a, 0, sizeof(a));
	a.bus = bus;
	a.topic = "b";
	pthread_create(&th, NULL, pub_thread, &a);
	usleep(30000);
	CU_ASSERT_EQUAL(emf_bus__unsubscribe(bus, sub), 0);
	pthread_join(th, NULL);
	CU_ASSERT_EQUAL(a.ret, 0);
	CU_ASSERT(a.ms < 5000);
	emf_bus__destroy(bus);
}

/* A callback publishing to its own full blocking queue must not hang. */
struct self_pub {
	struct emf_bus *bus;
	int n;
	int ret;
	uint64_t ms;
};

static void self_pub_cb(void *ctx, struct emf_bus_sub *sub, struct emf_msg *msg)
{
	struct self_pub *s = ctx;
	uint64_t t0 = now_ms();

	(void)sub;
	(void)msg;
	if (s->n++ == 0) {
		publish_int(s->bus, "sp", 1);
		publish_int(s->bus, "sp", 2);
		s->ret = publish_int(s->bus, "sp", 3); /* the queue holds 2: full */
		s->ms = now_ms() - t0;
	}
}

static void test_policy_block_self(void)
{
	EMF_OPTS(emf_bus_sub_opts, so, .queue_len = 1, .policy = EMF_BUS_POLICY_BLOCK,
		 .block_timeout_ms = 5000, .deliver = EMF_BUS_DELIVER_THREAD);
	struct emf_bus *bus = new_bus();
	struct self_pub s = { .bus = bus };
	struct emf_bus_sub *sub;

	sub = emf_bus__subscribe(bus, "sp", self_pub_cb, &s, &so);
	CU_ASSERT_EQUAL(publish_int(bus, "sp", 0), 1);
	CU_ASSERT_EQUAL(wait_delivered(sub, 3, 2000), 3);
	CU_ASSERT_EQUAL(get_stats(sub).queue_len, 2); /* 1 rounds up to the minimum, 2 */
	CU_ASSERT_EQUAL(s.ret, 0);
	CU_ASSERT(s.ms < 1000);
	CU_ASSERT_EQUAL(get_stats(sub).dropped, 1);
	emf_bus__destroy(bus);
}

/* --- delivery -------------------------------------------------------- */

static void test_dispatch_max(void)
{
	struct emf_bus *bus = new_bus();
	struct rec r = {};
	int i;

	CU_ASSERT_PTR_NOT_NULL(emf_bus__subscribe(bus, "m", rec_cb, &r, NULL));
	for (i = 0; i < 10; i++)
		publish_int(bus, "m", i);
	CU_ASSERT_EQUAL(emf_bus__dispatch(bus, 3), 3);
	CU_ASSERT_TRUE(fd_readable(bus));
	CU_ASSERT_EQUAL(emf_bus__dispatch(bus, 1), 1);
	CU_ASSERT_TRUE(fd_readable(bus));
	CU_ASSERT_EQUAL(emf_bus__dispatch(bus, 0), 6);
	CU_ASSERT_FALSE(fd_readable(bus));
	for (i = 0; i < 10; i++)
		CU_ASSERT_EQUAL(r.vals[i], i);
	emf_bus__destroy(bus);
}

struct seq_sub {
	int n;
	int bad;
	int last;
	pthread_t thread;
};

static void seq_cb(void *ctx, struct emf_bus_sub *sub, struct emf_msg *msg)
{
	struct seq_sub *s = ctx;
	int v = *(const int *)emf_msg__data(msg);

	(void)sub;
	if (v != s->last + 1)
		s->bad++;
	s->last = v;
	s->thread = pthread_self();
	store(&s->n, s->n + 1);
}

static void test_thread_delivery(void)
{
	EMF_OPTS(emf_bus_sub_opts, so, .deliver = EMF_BUS_DELIVER_THREAD, .queue_len = 8192);
	struct seq_sub s = { .last = -1 };
	struct emf_bus *bus = new_bus();
	struct emf_bus_sub *sub;
	int i;

	sub = emf_bus__subscribe(bus, "th", seq_cb, &s, &so);
	CU_ASSERT_PTR_NOT_NULL_FATAL(sub);
	for (i = 0; i < 5000; i++)
		CU_ASSERT_EQUAL(publish_int(bus, "th", i), 1);
	CU_ASSERT_TRUE(wait_for(&s.n, 5000, 5000));
	CU_ASSERT_EQUAL(s.bad, 0);
	CU_ASSERT_FALSE(pthread_equal(s.thread, pthread_self()));
	CU_ASSERT_FALSE(fd_readable(bus)); /* nothing for the host loop */
	CU_ASSERT_EQUAL(wait_delivered(sub, 5000, 2000), 5000);
	CU_ASSERT_EQUAL(get_stats(sub).dropped, 0);
	emf_bus__destroy(bus);
}

/* A callback that publishes: delivered by the same or the next dispatch. */
struct fwd {
	struct emf_bus *bus;
	int n;
};

static void fwd_cb(void *ctx, struct emf_bus_sub *sub, struct emf_msg *msg)
{
	struct fwd *f = ctx;

	(void)sub;
	f->n++;
	emf_bus__publish(f->bus, "fwd.out", NULL, emf_msg__data(msg), emf_msg__size(msg));
}

static void test_publish_from_callback(void)
{
	struct emf_bus *bus = new_bus();
	struct fwd f = { .bus = bus };
	struct rec r = {};

	CU_ASSERT_PTR_NOT_NULL(emf_bus__subscribe(bus, "fwd.in", fwd_cb, &f, NULL));
	CU_ASSERT_PTR_NOT_NULL(emf_bus__subscribe(bus, "fwd.out", rec_cb, &r, NULL));
	publish_int(bus, "fwd.in", 11);
	CU_ASSERT_TRUE(pump_for(bus, &r.n, 1, 1000));
	CU_ASSERT_EQUAL(r.vals[0], 11);
	emf_bus__destroy(bus);
}

/* --- stress ---------------------------------------------------------- */

#define STRESS_PUBS 4

struct stress_pub {
	struct emf_bus *bus;
	int id;
	int count;
	int fails;
};

struct stress_sub {
	int last[STRESS_PUBS];
	int bad;
	long long sum;
	int n;
};

static void *stress_pub_thread(void *arg)
{
	struct stress_pub *p = arg;
	int msg[2] = { p->id };
	int i;

	for (i = 0; i < p->count; i++) {
		msg[1] = i;
		if (emf_bus__publish(p->bus, "stress.msg", NULL, msg, sizeof(msg)) != 1)
			p->fails++;
	}
	return NULL;
}

static void stress_cb(void *ctx, struct emf_bus_sub *sub, struct emf_msg *msg)
{
	const int *m = emf_msg__data(msg);
	struct stress_sub *s = ctx;

	(void)sub;
	if (m[0] < 0 || m[0] >= STRESS_PUBS || m[1] != s->last[m[0]] + 1)
		s->bad++;
	else
		s->last[m[0]] = m[1];
	s->sum += m[1];
	__atomic_store_n(&s->n, s->n + 1, __ATOMIC_RELEASE);
}

static void test_stress(void)
{
	EMF_OPTS(emf_bus_sub_opts, so, .deliver = EMF_BUS_DELIVER_THREAD,
		 .policy = EMF_BUS_POLICY_BLOCK, .block_timeout_ms = 60000);
	struct stress_pub pubs[STRESS_PUBS];
	pthread_t th[STRESS_PUBS];
	struct emf_bus_sub_stats st;
	struct emf_bus_sub *sub;
	struct stress_sub s = {};
	const char *env = getenv("EMF_BUS_STRESS_MSGS");
	int total = env ? atoi(env) : 1000000, per, i, fails = 0;
	long long want = 0;
	struct emf_bus *bus;
	uint64_t t0, ms;

	if (total < STRESS_PUBS)
		total = STRESS_PUBS;
	per = total / STRESS_PUBS;
	total = per * STRESS_PUBS;
	bus = new_bus();
	for (i = 0; i < STRESS_PUBS; i++)
		s.last[i] = -1;
	sub = emf_bus__subscribe(bus, "stress.*", stress_cb, &s, &so);
	CU_ASSERT_PTR_NOT_NULL_FATAL(sub);
	t0 = now_ms();
	for (i = 0; i < STRESS_PUBS; i++) {
		pubs[i] = (struct stress_pub){ .bus = bus, .id = i, .count = per };
		pthread_create(&th[i], NULL, stress_pub_thread, &pubs[i]);
	}
	for (i = 0; i < STRESS_PUBS; i++) {
		pthread_join(th[i], NULL);
		fails += pubs[i].fails;
	}
	CU_ASSERT_TRUE(wait_for(&s.n, total, 120000));
	ms = now_ms() - t0;
	wait_delivered(sub, total, 2000);
	st = get_stats(sub);
	fprintf(stderr, "\n    stress: %d messages from %d threads in %llu ms, high water %llu\n",
		total, STRESS_PUBS, (unsigned long long)ms, (unsigned long long)st.high_water);
	CU_ASSERT_EQUAL(fails, 0);
	CU_ASSERT_EQUAL(load(&s.n), total);
	CU_ASSERT_EQUAL(s.bad, 0);
	for (i = 0; i < STRESS_PUBS; i++)
		CU_ASSERT_EQUAL(s.last[i], per - 1);
	want = (long long)STRESS_PUBS * per * (per - 1) / 2;
	CU_ASSERT_EQUAL(s.sum, want);
	CU_ASSERT_EQUAL(st.delivered, (uint64_t)total);
	CU_ASSERT_EQUAL(st.dropped, 0);
	CU_ASSERT_EQUAL(st.timeouts, 0);
	CU_ASSERT_EQUAL(st.queued, 0);
	CU_ASSERT(st.high_water <= st.queue_len);
	emf_bus__destroy(bus);
}

/* --- destroy with work in flight ------------------------------------- */

static struct emf_bus_req *kept_req, *kept_req2;

static int defer_handler(void *ctx, struct emf_bus_req *req, json_t *args)
{
	(void)ctx;
	(void)args;
	if (kept_req)
		kept_req2 = req;
	else
		kept_req = req;
	return 0;
}

struct reply_rec {
	int n;
	int err;
	json_t *reply;
	pthread_t thread;
};

static void reply_cb(void *ctx, int err, json_t *reply)
{
	struct reply_rec *r = ctx;

	r->err = err;
	r->reply = reply; /* owned */
	r->thread = pthread_self();
	inc(&r->n);
}

static void test_destroy_in_flight(void)
{
	EMF_OPTS(emf_bus_sub_opts, tso, .deliver = EMF_BUS_DELIVER_THREAD);
	EMF_OPTS(emf_bus_call_opts, co, .timeout_ms = 60000);
	struct emf_bus_method m = { "hold", defer_handler };
	struct rec host = { .keep = false }, kept = { .keep = true };
	struct reply_rec rr = {}, rr2 = {};
	struct emf_bus *bus = new_bus();
	struct slow s = {};
	int i;

	CU_ASSERT_PTR_NOT_NULL(emf_bus__add_service(bus, "d", &m, 1, NULL, NULL));
	kept_req = NULL;
	CU_ASSERT_EQUAL(emf_bus__call_async(bus, "d.hold", NULL, reply_cb, &rr, &co), 0);
	CU_ASSERT_EQUAL(emf_bus__call_async(bus, "d.hold", NULL, reply_cb, &rr2, NULL), 0);
	CU_ASSERT_EQUAL(emf_bus__dispatch(bus, 1), 1); /* hands the first to the handler */
	CU_ASSERT_PTR_NOT_NULL_FATAL(kept_req);

	CU_ASSERT_PTR_NOT_NULL(emf_bus__subscribe(bus, "f.*", rec_cb, &host, NULL));
	CU_ASSERT_PTR_NOT_NULL(emf_bus__subscribe(bus, "f.*", slow_cb, &s, &tso));
	CU_ASSERT_PTR_NOT_NULL(emf_bus__subscribe(bus, "f.keep", rec_cb, &kept, NULL));
	CU_ASSERT_EQUAL(publish_int(bus, "f.keep", 99), 3);
	/* runs the second request (deferred too) and the two host-loop messages */
	kept_req2 = NULL;
	CU_ASSERT_EQUAL(emf_bus__dispatch(bus, 0), 3);
	for (i = 0; i < 500; i++)
		publish_int(bus, "f.x", i);
	CU_ASSERT_TRUE(wait_for(&s.in_cb, 1, 2000));

	emf_bus__destroy(bus);
	/* both async callers were answered once, here */
	CU_ASSERT_EQUAL(rr.n, 1);
	CU_ASSERT_EQUAL(rr.err, -ECANCELED);
	CU_ASSERT_EQUAL(rr2.n, 1);
	CU_ASSERT_EQUAL(rr2.err, -ECANCELED);
	CU_ASSERT(pthread_equal(rr.thread, pthread_self()));
	/* the deferred request outlives the bus */
	CU_ASSERT_STRING_EQUAL(emf_bus_req__method(kept_req), "d.hold");
	CU_ASSERT_EQUAL(emf_bus_req__reply(kept_req, json_true()), -ECANCELED);
	CU_ASSERT_PTR_NOT_NULL_FATAL(kept_req2);
	CU_ASSERT_EQUAL(emf_bus_req__fail(kept_req2, -EIO), -ECANCELED);
	/* a kept message too */
	CU_ASSERT_EQUAL_FATAL(kept.n, 1);
	CU_ASSERT_EQUAL(*(const int *)emf_msg__data(kept.msgs[0]), 99);
	rec_release(&kept);
	CU_ASSERT(load(&s.calls) < 500);
}

/* --- services -------------------------------------------------------- */

struct calc {
	int calls;
	int bad; /* checks failed inside the handler (CUnit asserts only on the main thread) */
	pthread_t thread;
};

static int add_handler(void *ctx, struct emf_bus_req *req, json_t *args)
{
	struct calc *c = ctx;
	json_int_t a, b;

	c->calls++;
	c->thread = pthread_self();
	if (json_unpack(args, "{s:I,s:I}", "a", &a, "b", &b))
		return -EINVAL;
	if (!strstr(emf_bus_req__method(req), "math.add") || emf_bus_req__args(req) != args)
		c->bad++;
	return emf_bus_req__reply(req, json_pack("{s:I}", "sum", a + b));
}

static int fail_handler(void *ctx, struct emf_bus_req *req, json_t *args)
{
	(void)ctx;
	(void)args;
	if (args && json_is_true(args))
		return emf_bus_req__fail(req, -EACCES) ? -EIO : 0;
	return -EPERM;
}

static int null_handler(void *ctx, struct emf_bus_req *req, json_t *args)
{
	(void)ctx;
	(void)args;
	return emf_bus_req__reply(req, NULL);
}

static const struct emf_bus_method math_methods[] = {
	{ "add", add_handler },
	{ "fail", fail_handler },
	{ "null", null_handler },
};

static void test_svc_sync(void)
{
	EMF_OPTS(emf_bus_svc_opts, thread_opts, .deliver = EMF_BUS_DELIVER_THREAD);
	struct emf_bus *bus = new_bus();
	json_t *args, *reply = (json_t *)1;
	struct emf_bus_svc *svc;
	struct calc c = {};

	svc = emf_bus__add_service(bus, "math", math_methods, 3, &c, &thread_opts);
	CU_ASSERT_PTR_NOT_NULL_FATAL(svc);
	args = json_pack("{s:i,s:i}", "a", 2, "b", 40);
	CU_ASSERT_EQUAL(emf_bus__call(bus, "math.add", args, &reply, 1000), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(reply);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(reply, "sum")), 42);
	json_decref(reply);
	/* an idle worker service runs on the caller's thread */
	CU_ASSERT(pthread_equal(c.thread, pthread_self()));
	/* the handler got a copy: the caller's object is its own */
	CU_ASSERT_EQUAL(args->refcount, 1);
	json_decref(args);

	CU_ASSERT_EQUAL(emf_bus__call(bus, "math.add", NULL, &reply, 1000), -EINVAL);
	CU_ASSERT_PTR_NULL(reply);
	CU_ASSERT_EQUAL(emf_bus__call(bus, "math.fail", NULL, &reply, 1000), -EPERM);
	CU_ASSERT_EQUAL(emf_bus__call(bus, "math.fail", json_true(), &reply, 1000), -EACCES);
	reply = (json_t *)1;
	CU_ASSERT_EQUAL(emf_bus__call(bus, "math.null", NULL, &reply, 1000), 0);
	CU_ASSERT_PTR_NULL(reply);
	CU_ASSERT_EQUAL(emf_bus__call(bus, "math.null", NULL, NULL, 0), 0);
	CU_ASSERT_EQUAL(c.calls, 2);
	CU_ASSERT_EQUAL(c.bad, 0);
	emf_bus__destroy(bus);
}

static void test_svc_errors(void)
{
	static const struct emf_bus_method bad1[] = { { "a.b", null_handler } };
	static const struct emf_bus_method bad2[] = { { "x", NULL } };
	static const struct emf_bus_method dup[] = { { "x", null_handler }, { "x", null_handler } };
	struct emf_bus *bus = new_bus();
	json_t *reply = (json_t *)1;
	struct calc c = {};

	CU_ASSERT_PTR_NOT_NULL(emf_bus__add_service(bus, "math", math_methods, 3, &c, NULL));
	log_clear();
	CU_ASSERT_EQUAL(emf_bus__call(bus, "nosuch.add", NULL, &reply, 100), -ENOENT);
	CU_ASSERT_PTR_NULL(reply);
	CU_ASSERT_TRUE(log_has("failed to call nosuch.add: no service named 'nosuch'"));
	CU_ASSERT_EQUAL(emf_bus__call(bus, "math.mul", NULL, &reply, 100), -ENOENT);
	CU_ASSERT_TRUE(log_has("failed to call math.mul: service math has no method 'mul'"));
	CU_ASSERT_EQUAL(errno, ENOENT);
	CU_ASSERT_EQUAL(emf_bus__call(bus, "math", NULL, &reply, 100), -EINVAL);
	CU_ASSERT_EQUAL(emf_bus__call(bus, "math.", NULL, &reply, 100), -EINVAL);
	CU_ASSERT_EQUAL(emf_bus__call(bus, NULL, NULL, &reply, 100), -EINVAL);
	CU_ASSERT_EQUAL(emf_bus__call(NULL, "math.add", NULL, &reply, 100), -EINVAL);
	CU_ASSERT_EQUAL(emf_bus__call_async(bus, "nosuch.add", NULL, reply_cb, NULL, NULL),
			-ENOENT);
	CU_ASSERT_EQUAL(emf_bus__call_async(bus, "math.add", NULL, NULL, NULL, NULL), -EINVAL);

	errno = 0;
	CU_ASSERT_PTR_NULL(emf_bus__add_service(bus, "math", math_methods, 3, &c, NULL));
	CU_ASSERT_EQUAL(errno, EEXIST);
	CU_ASSERT_PTR_NULL(emf_bus__add_service(bus, "m2", bad1, 1, NULL, NULL));
	CU_ASSERT_EQUAL(errno, EINVAL);
	CU_ASSERT_PTR_NULL(emf_bus__add_service(bus, "m2", bad2, 1, NULL, NULL));
	CU_ASSERT_PTR_NULL(emf_bus__add_service(bus, "m2", dup, 2, NULL, NULL));
	CU_ASSERT_PTR_NULL(emf_bus__add_service(bus, "m2.", math_methods, 1, NULL, NULL));
	CU_ASSERT_PTR_NULL(emf_bus__add_service(bus, "m*", math_methods, 1, NULL, NULL));
	CU_ASSERT_PTR_NULL(emf_bus__add_service(bus, "m2", math_methods, 0, NULL, NULL));
	/* a dotted service name: calls split at the last dot */
	CU_ASSERT_PTR_NOT_NULL(emf_bus__add_service(bus, "plugin.exec", dup, 1, NULL, NULL));
	emf_bus__dispatch(bus, 0); /* become the host thread: host-loop services run here */
	CU_ASSERT_EQUAL(emf_bus__call(bus, "plugin.exec.x", NULL, NULL, -1), 0);
	CU_ASSERT_EQUAL(emf_bus_req__reply(NULL, NULL), -EINVAL);
	CU_ASSERT_EQUAL(emf_bus_req__fail(NULL, -EIO), -EINVAL);
	CU_ASSERT_PTR_NULL(emf_bus_req__method(NULL));
	CU_ASSERT_EQUAL(emf_bus__remove_service(bus, NULL), 0);
	emf_bus__destroy(bus);
}

/* A host-loop service called from another thread runs on the host thread. */
struct call_arg {
	struct emf_bus *bus;
	const char *method;
	json_t *args;
	int timeout_ms;
	int ret;
	json_t *reply;
	int done;
	uint64_t ms;
};

static void *call_thread(void *arg)
{
	struct call_arg *a = arg;
	uint64_t t0 = now_ms();

	a->ret = emf_bus__call(a->bus, a->method, a->args, &a->reply, a->timeout_ms);
	a->ms = now_ms() - t0;
	store(&a->done, 1);
	return NULL;
}

static void test_svc_host_cross_thread(void)
{
	struct emf_bus *bus = new_bus();
	struct call_arg a = { .bus = bus, .method = "math.add", .timeout_ms = 5000 };
	struct calc c = {};
	pthread_t th;

	CU_ASSERT_PTR_NOT_NULL(emf_bus__add_service(bus, "math", math_methods, 3, &c, NULL));
	a.args = json_pack("{s:i,s:i}", "a", 1, "b", 2);
	pthread_create(&th, NULL, call_thread, &a);
	usleep(20000);
	CU_ASSERT_EQUAL(load(&a.done), 0); /* waits for the host loop */
	CU_ASSERT_TRUE(pump_for(bus, &a.done, 1, 5000));
	pthread_join(th, NULL);
	CU_ASSERT_EQUAL(a.ret, 0);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(a.reply, "sum")), 3);
	CU_ASSERT(pthread_equal(c.thread, pthread_self()));
	json_decref(a.reply);
	json_decref(a.args);
	emf_bus__destroy(bus);
}

static void test_svc_async(void)
{
	EMF_OPTS(emf_bus_call_opts, thread_reply, .deliver = EMF_BUS_DELIVER_THREAD);
	EMF_OPTS(emf_bus_svc_opts, thread_svc, .deliver = EMF_BUS_DELIVER_THREAD);
	struct reply_rec r1 = {}, r2 = {}, r3 = {};
	struct emf_bus *bus = new_bus();
	struct calc c = {}, c2 = {};
	json_t *args;

	CU_ASSERT_PTR_NOT_NULL(emf_bus__add_service(bus, "math", math_methods, 3, &c, NULL));
	CU_ASSERT_PTR_NOT_NULL(
		emf_bus__add_service(bus, "wmath", math_methods, 3, &c2, &thread_svc));
	args = json_pack("{s:i,s:i}", "a", 5, "b", 6);
	CU_ASSERT_EQUAL(emf_bus__call_async(bus, "math.add", args, reply_cb, &r1, NULL), 0);
	CU_ASSERT_EQUAL(emf_bus__call_async(bus, "math.fail", NULL, reply_cb, &r2, NULL), 0);
	json_object_set_new(args, "a", json_integer(100)); /* the call kept its own copy */
	CU_ASSERT_EQUAL(c.calls, 0); /* never inside call_async */
	CU_ASSERT_TRUE(pump_for(bus, &r2.n, 1, 2000));
	CU_ASSERT_EQUAL(r1.n, 1);
	CU_ASSERT_EQUAL(r1.err, 0);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(r1.reply, "sum")), 11);
	CU_ASSERT(pthread_equal(r1.thread, pthread_self()));
	CU_ASSERT_EQUAL(r2.err, -EPERM);
	CU_ASSERT_PTR_NULL(r2.reply);
	json_decref(r1.reply);

	/* worker service, reply on a worker */
	CU_ASSERT_EQUAL(emf_bus__call_async(bus, "wmath.add", args, reply_cb, &r3, &thread_reply),
			0);
	CU_ASSERT_TRUE(wait_for(&r3.n, 1, 2000));
	CU_ASSERT_EQUAL(r3.err, 0);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(r3.reply, "sum")), 106);
	CU_ASSERT_FALSE(pthread_equal(r3.thread, pthread_self()));
	CU_ASSERT_FALSE(pthread_equal(c2.thread, pthread_self()));
	json_decref(r3.reply);
	json_decref(args);
	usleep(10000);
	CU_ASSERT_EQUAL(r1.n + r2.n + r3.n, 3);
	CU_ASSERT_EQUAL(c.bad + c2.bad, 0);
	emf_bus__destroy(bus);
}

/* Deferred replies from another thread. */
struct deferrer {
	struct emf_bus_req *req;
	json_t *args; /* the handler's own copy: arguments are lent for its run only */
	int got;
	int reply_ret;
	int delay_ms;
	int seen;
};

static int keep_handler(void *ctx, struct emf_bus_req *req, json_t *args)
{
	struct deferrer *d = ctx;

	d->req = req;
	CU_ASSERT_PTR_EQUAL(emf_bus_req__args(req), args);
	d->args = json_deep_copy(args);
	inc(&d->seen);
	store(&d->got, 1);
	return 0;
}

static void *late_reply_thread(void *arg)
{
	struct deferrer *d = arg;
	json_t *args;

	while (!load(&d->got))
		usleep(1000);
	usleep(d->delay_ms * 1000);
	args = d->args;
	d->reply_ret = emf_bus_req__reply(d->req, json_pack("{s:o?}", "echo", args));
	return NULL;
}

static void test_svc_deferred(void)
{
	EMF_OPTS(emf_bus_svc_opts, thread_svc, .deliver = EMF_BUS_DELIVER_THREAD);
	static const struct emf_bus_method keep[] = { { "later", keep_handler } };
	struct deferrer d = { .delay_ms = 30 }, d2 = { .delay_ms = 10 };
	struct emf_bus *bus = new_bus();
	struct reply_rec rr = {};
	json_t *args, *reply = NULL;
	pthread_t th;

	CU_ASSERT_PTR_NOT_NULL(emf_bus__add_service(bus, "def", keep, 1, &d, &thread_svc));
	CU_ASSERT_PTR_NOT_NULL(emf_bus__add_service(bus, "hdef", keep, 1, &d2, NULL));
	args = json_string("hello");
	pthread_create(&th, NULL, late_reply_thread, &d);
	CU_ASSERT_EQUAL(emf_bus__call(bus, "def.later", args, &reply, 5000), 0);
	pthread_join(th, NULL);
	CU_ASSERT_EQUAL(d.reply_ret, 0);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(reply, "echo")), "hello");
	json_decref(reply);

	/* async, host-loop service, reply from another thread, delivered in the host loop */
	pthread_create(&th, NULL, late_reply_thread, &d2);
	CU_ASSERT_EQUAL(emf_bus__call_async(bus, "hdef.later", args, reply_cb, &rr, NULL), 0);
	CU_ASSERT_TRUE(pump_for(bus, &rr.n, 1, 5000));
	pthread_join(th, NULL);
	CU_ASSERT_EQUAL(rr.err, 0);
	CU_ASSERT_EQUAL(d2.reply_ret, 0);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(rr.reply, "echo")), "hello");
	json_decref(rr.reply);
	json_decref(args);
	emf_bus__destroy(bus);
}

static void test_svc_timeouts(void)
{
	EMF_OPTS(emf_bus_svc_opts, thread_svc, .deliver = EMF_BUS_DELIVER_THREAD);
	EMF_OPTS(emf_bus_call_opts, co, .timeout_ms = 50);
	static const struct emf_bus_method keep[] = { { "later", keep_handler } };
	struct deferrer d = { .delay_ms = 150 }, d2 = { .delay_ms = 150 }, d3 = {};
	struct emf_bus *bus = new_bus();
	struct reply_rec rr = {}, rr2 = {};
	json_t *reply = (json_t *)1;
	pthread_t th;
	uint64_t t0;

	CU_ASSERT_PTR_NOT_NULL(emf_bus__add_service(bus, "def", keep, 1, &d, &thread_svc));
	CU_ASSERT_PTR_NOT_NULL(emf_bus__add_service(bus, "hdef", keep, 1, &d2, NULL));
	CU_ASSERT_PTR_NOT_NULL(emf_bus__add_service(bus, "never", keep, 1, &d3, NULL));

	/* sync: timeout, then the late reply is dropped */
	pthread_create(&th, NULL, late_reply_thread, &d);
	t0 = now_ms();
	CU_ASSERT_EQUAL(emf_bus__call(bus, "def.later", NULL, &reply, 50), -ETIMEDOUT);
	CU_ASSERT(now_ms() - t0 >= 45);
	CU_ASSERT_PTR_NULL(reply);
	pthread_join(th, NULL);
	CU_ASSERT_EQUAL(d.reply_ret, -ETIMEDOUT);

	/* timeout 0: only an immediate reply counts */
	memset(&d, 0, sizeof(d));
	CU_ASSERT_EQUAL(emf_bus__call(bus, "def.later", NULL, &reply, 0), -ETIMEDOUT);
	CU_ASSERT_EQUAL(emf_bus_req__reply(d.req, json_true()), -ETIMEDOUT);
	CU_ASSERT_EQUAL(emf_bus__call(bus, "math.none", NULL, &reply, 0), -ENOENT);

	/* async: the callback gets -ETIMEDOUT exactly once, the late reply is dropped */
	pthread_create(&th, NULL, late_reply_thread, &d2);
	CU_ASSERT_EQUAL(emf_bus__call_async(bus, "hdef.later", NULL, reply_cb, &rr, &co), 0);
	CU_ASSERT_TRUE(pump_for(bus, &rr.n, 1, 2000));
	CU_ASSERT_EQUAL(rr.err, -ETIMEDOUT);
	pthread_join(th, NULL);
	CU_ASSERT_EQUAL(d2.reply_ret, -ETIMEDOUT);
	emf_bus__dispatch(bus, 0);
	CU_ASSERT_EQUAL(rr.n, 1);

	/* a request that times out before the host loop gets to it never runs */
	CU_ASSERT_EQUAL(emf_bus__call_async(bus, "never.later", NULL, reply_cb, &rr2, &co), 0);
	usleep(150000);
	CU_ASSERT_TRUE(pump_for(bus, &rr2.n, 1, 2000));
	CU_ASSERT_EQUAL(rr2.err, -ETIMEDOUT);
	CU_ASSERT_EQUAL(load(&d3.seen), 0);
	emf_bus__destroy(bus);
}

/* A deadline earlier than the one the watcher sleeps until still expires on time. */
static void test_svc_timeout_order(void)
{
	EMF_OPTS(emf_bus_call_opts, late, .timeout_ms = 10000);
	EMF_OPTS(emf_bus_call_opts, soon, .timeout_ms = 50);
	static const struct emf_bus_method keep[] = { { "later", keep_handler } };
	static const struct emf_bus_method now[] = { { "null", null_handler } };
	struct emf_bus *bus = new_bus();
	struct reply_rec rl = {}, rs = {}, more[8] = {};
	struct deferrer d = {};
	uint64_t t0;
	int i;

	CU_ASSERT_PTR_NOT_NULL(emf_bus__add_service(bus, "never", keep, 1, &d, NULL));
	CU_ASSERT_PTR_NOT_NULL(emf_bus__add_service(bus, "now", now, 1, NULL, NULL));
	CU_ASSERT_EQUAL(emf_bus__call_async(bus, "never.later", NULL, reply_cb, &rl, &late), 0);
	/* later deadlines, as a stream of calls with one timeout has: the watcher stays asleep */
	for (i = 0; i < 8; i++)
		CU_ASSERT_EQUAL(
			emf_bus__call_async(bus, "now.null", NULL, reply_cb, &more[i], &late), 0);
	usleep(20000); /* the watcher now sleeps until the first call's deadline */
	t0 = now_ms();
	CU_ASSERT_EQUAL(emf_bus__call_async(bus, "never.later", NULL, reply_cb, &rs, &soon), 0);
	usleep(300000);
	/* expired by the watcher before the host loop ran anything: its handler never ran */
	CU_ASSERT_TRUE(pump_for(bus, &rs.n, 1, 2000));
	CU_ASSERT_EQUAL(rs.err, -ETIMEDOUT);
	CU_ASSERT(now_ms() - t0 < 5000);
	CU_ASSERT_EQUAL(rl.n, 0);
	/* the stream was answered; the first call is kept by its handler: answer it */
	for (i = 0; i < 8; i++)
		CU_ASSERT_TRUE(pump_for(bus, &more[i].n, 1, 2000) && !more[i].err);
	CU_ASSERT_EQUAL(load(&d.seen), 1);
	CU_ASSERT_EQUAL(emf_bus_req__reply(d.req, json_true()), 0);
	json_decref(d.args);
	CU_ASSERT_TRUE(pump_for(bus, &rl.n, 1, 2000));
	CU_ASSERT_EQUAL(rl.err, 0);
	CU_ASSERT_TRUE(json_is_true(rl.reply));
	json_decref(rl.reply);
	emf_bus__destroy(bus);
}

/* --- nested synchronous calls ---------------------------------------- */

struct nest {
	struct emf_bus *bus;
	const char *callee; /* what the handler calls synchronously */
	int inner_ret;
	uint64_t inner_ms;
	pthread_t thread;
};

static int nest_handler(void *ctx, struct emf_bus_req *req, json_t *args)
{
	struct nest *n = ctx;
	json_t *reply = NULL;
	uint64_t t0 = now_ms();

	(void)args;
	n->thread = pthread_self();
	if (!n->callee)
		return emf_bus_req__reply(req, json_string("leaf"));
	n->inner_ret = emf_bus__call(n->bus, n->callee, NULL, &reply, 3000);
	n->inner_ms = now_ms() - t0;
	if (n->inner_ret)
		return n->inner_ret;
	return emf_bus_req__reply(req, reply);
}

static const struct emf_bus_method nest_methods[] = { { "m", nest_handler } };

static void test_nested_calls(void)
{
	EMF_OPTS(emf_bus_svc_opts, thread_svc, .deliver = EMF_BUS_DELIVER_THREAD);
	struct emf_bus *bus = new_bus();
	struct nest a = { .bus = bus }, b = { .bus = bus }, wa = { .bus = bus },
		    wb = { .bus = bus }, self = { .bus = bus };
	struct reply_rec rr = {};
	json_t *reply = NULL;
	uint64_t t0;

	CU_ASSERT_PTR_NOT_NULL(emf_bus__add_service(bus, "a", nest_methods, 1, &a, NULL));
	CU_ASSERT_PTR_NOT_NULL(emf_bus__add_service(bus, "b", nest_methods, 1, &b, NULL));
	CU_ASSERT_PTR_NOT_NULL(emf_bus__add_service(bus, "wa", nest_methods, 1, &wa, &thread_svc));
	CU_ASSERT_PTR_NOT_NULL(emf_bus__add_service(bus, "wb", nest_methods, 1, &wb, &thread_svc));
	CU_ASSERT_PTR_NOT_NULL(emf_bus__add_service(bus, "self", nest_methods, 1, &self, NULL));
	emf_bus__dispatch(bus, 0); /* this thread is the host thread from now on */

	/* host-loop handler calls another host-loop service (ubus's lockup): works */
	a.callee = "b.m";
	CU_ASSERT_EQUAL(emf_bus__call_async(bus, "a.m", NULL, reply_cb, &rr, NULL), 0);
	CU_ASSERT_TRUE(pump_for(bus, &rr.n, 1, 5000));
	CU_ASSERT_EQUAL(rr.err, 0);
	CU_ASSERT_STRING_EQUAL(json_string_value(rr.reply), "leaf");
	CU_ASSERT_EQUAL(a.inner_ret, 0);
	json_decref(rr.reply);
	/* the same, synchronously from the host thread */
	CU_ASSERT_EQUAL(emf_bus__call(bus, "a.m", NULL, &reply, 3000), 0);
	CU_ASSERT_STRING_EQUAL(json_string_value(reply), "leaf");
	json_decref(reply);

	/* worker handler calls another worker service: works */
	wa.callee = "wb.m";
	memset(&rr, 0, sizeof(rr));
	CU_ASSERT_EQUAL(emf_bus__call_async(bus, "wa.m", NULL, reply_cb, &rr, NULL), 0);
	CU_ASSERT_TRUE(pump_for(bus, &rr.n, 1, 5000));
	CU_ASSERT_EQUAL(rr.err, 0);
	CU_ASSERT_FALSE(pthread_equal(wa.thread, pthread_self()));
	json_decref(rr.reply);

	/* worker handler calls a host-loop service while the host loop runs: works */
	wa.callee = "b.m";
	memset(&rr, 0, sizeof(rr));
	CU_ASSERT_EQUAL(emf_bus__call_async(bus, "wa.m", NULL, reply_cb, &rr, NULL), 0);
	CU_ASSERT_TRUE(pump_for(bus, &rr.n, 1, 5000));
	CU_ASSERT_EQUAL(rr.err, 0);
	CU_ASSERT(pthread_equal(b.thread, pthread_self()));
	json_decref(rr.reply);

	/* a handler calling its own service: -EDEADLK at once */
	self.callee = "self.m";
	log_clear();
	t0 = now_ms();
	CU_ASSERT_EQUAL(emf_bus__call(bus, "self.m", NULL, &reply, 3000), -EDEADLK);
	CU_ASSERT(now_ms() - t0 < 1000);
	CU_ASSERT_EQUAL(self.inner_ret, -EDEADLK);
	CU_ASSERT_TRUE(log_has("failed to call self.m: it would wait for this thread"));

	/*
	 * A cycle on one thread: host-loop a.m -> worker service wa.m, idle, so
	 * run here by the host thread -> a.m, busy on this very thread.
	 */
	a.callee = "wa.m";
	wa.callee = "a.m";
	memset(&rr, 0, sizeof(rr));
	t0 = now_ms();
	CU_ASSERT_EQUAL(emf_bus__call_async(bus, "a.m", NULL, reply_cb, &rr, NULL), 0);
	CU_ASSERT_TRUE(pump_for(bus, &rr.n, 1, 5000));
	CU_ASSERT(now_ms() - t0 < 2000);
	CU_ASSERT_EQUAL(wa.inner_ret, -EDEADLK);
	CU_ASSERT_EQUAL(a.inner_ret, -EDEADLK);
	CU_ASSERT_EQUAL(rr.err, -EDEADLK);

	/*
	 * A cycle across threads: wa.m runs on the worker and waits for a.m on
	 * the host loop; a.m's handler calls wa.m, busy on the worker, which
	 * waits for a, which runs on this thread: refused, no hang.
	 */
	a.inner_ret = wa.inner_ret = 0;
	memset(&rr, 0, sizeof(rr));
	t0 = now_ms();
	CU_ASSERT_EQUAL(emf_bus__call_async(bus, "wa.m", NULL, reply_cb, &rr, NULL), 0);
	CU_ASSERT_TRUE(pump_for(bus, &rr.n, 1, 5000));
	CU_ASSERT(now_ms() - t0 < 2000);
	CU_ASSERT(pthread_equal(a.thread, pthread_self()));
	CU_ASSERT_FALSE(pthread_equal(wa.thread, pthread_self()));
	CU_ASSERT_EQUAL(a.inner_ret, -EDEADLK);
	CU_ASSERT_EQUAL(wa.inner_ret, -EDEADLK);
	CU_ASSERT_EQUAL(rr.err, -EDEADLK);

	/* a worker cycle: wa.m -> wb.m -> wa.m */
	wa.callee = "wb.m";
	wb.callee = "wa.m";
	memset(&rr, 0, sizeof(rr));
	CU_ASSERT_EQUAL(emf_bus__call(bus, "wa.m", NULL, &reply, 3000), -EDEADLK);
	CU_ASSERT_EQUAL(wb.inner_ret, -EDEADLK);
	emf_bus__destroy(bus);
}

/* --- removing services ----------------------------------------------- */

struct remover {
	struct emf_bus *bus;
	struct emf_bus_svc *svc;
	int calls;
	int ret;
};

static int remove_self_handler(void *ctx, struct emf_bus_req *req, json_t *args)
{
	struct remover *r = ctx;

	(void)args;
	r->calls++;
	r->ret = emf_bus__remove_service(r->bus, r->svc);
	return emf_bus_req__reply(req, json_true());
}

static void test_svc_remove(void)
{
	static const struct emf_bus_method rm[] = { { "go", remove_self_handler } };
	struct emf_bus *bus = new_bus(), *bus2 = new_bus();
	struct reply_rec r1 = {}, r2 = {}, r3 = {};
	struct remover r = { .bus = bus };
	struct emf_bus_svc *svc;
	struct calc c = {};
	json_t *reply = NULL;

	svc = emf_bus__add_service(bus, "math", math_methods, 3, &c, NULL);
	CU_ASSERT_EQUAL(emf_bus__call_async(bus, "math.null", NULL, reply_cb, &r1, NULL), 0);
	CU_ASSERT_EQUAL(emf_bus__call_async(bus, "math.null", NULL, reply_cb, &r2, NULL), 0);
	CU_ASSERT_EQUAL(emf_bus__remove_service(bus2, svc), -EINVAL);
	CU_ASSERT_EQUAL(emf_bus__remove_service(bus, svc), 0);
	emf_bus__dispatch(bus, 0);
	CU_ASSERT_EQUAL(r1.n, 1);
	CU_ASSERT_EQUAL(r1.err, -ECANCELED);
	CU_ASSERT_EQUAL(r2.err, -ECANCELED);
	CU_ASSERT_EQUAL(emf_bus__call(bus, "math.null", NULL, &reply, 100), -ENOENT);
	/* the name is free again */
	svc = emf_bus__add_service(bus, "math", math_methods, 3, &c, NULL);
	CU_ASSERT_PTR_NOT_NULL(svc);

	/* a handler removing its own service */
	r.svc = emf_bus__add_service(bus, "rm", rm, 1, &r, NULL);
	CU_ASSERT_EQUAL(emf_bus__call_async(bus, "rm.go", NULL, reply_cb, &r1, NULL), 0);
	CU_ASSERT_EQUAL(emf_bus__call_async(bus, "rm.go", NULL, reply_cb, &r3, NULL), 0);
	memset(&r1, 0, sizeof(r1));
	emf_bus__dispatch(bus, 0);
	CU_ASSERT_EQUAL(r.calls, 1);
	CU_ASSERT_EQUAL(r.ret, 0);
	CU_ASSERT_EQUAL(r1.err, 0);
	json_decref(r1.reply);
	CU_ASSERT_EQUAL(r3.n, 1);
	CU_ASSERT_EQUAL(r3.err, -ECANCELED);
	emf_bus__destroy(bus);
	emf_bus__destroy(bus2);
}

/* --- signals --------------------------------------------------------- */

struct sig_rec {
	int n;
	int signos[300];
	char names[4][32];
	pthread_t thread;
};

static void sig_cb(void *ctx, int signo, const char *name)
{
	struct sig_rec *s = ctx;
	int i = s->n;

	if (i < 300)
		s->signos[i] = signo;
	if (i < 4)
		snprintf(s->names[i], sizeof(s->names[i]), "%s", name);
	s->thread = pthread_self();
	store(&s->n, i + 1);
}

static void test_signals(void)
{
	EMF_OPTS(emf_bus_sig_opts, reload_only, .signo = EMF_BUS_SIG_RELOAD,
		 .deliver = EMF_BUS_DELIVER_THREAD);
	EMF_OPTS(emf_bus_sig_opts, by_name, .name = "rotate");
	EMF_OPTS(emf_bus_sig_opts, bad, .signo = 4);
	struct sig_rec all = {}, reload = {}, named = {};
	struct emf_bus *bus = new_bus();
	struct emf_bus_sub *h;
	struct rec topics = {};
	int i;

	/* signals are not topics */
	CU_ASSERT_PTR_NOT_NULL(emf_bus__subscribe(bus, "*", rec_cb, &topics, NULL));
	h = emf_bus__on_signal(bus, sig_cb, &all, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	CU_ASSERT_PTR_NOT_NULL(emf_bus__on_signal(bus, sig_cb, &reload, &reload_only));
	CU_ASSERT_PTR_NOT_NULL(emf_bus__on_signal(bus, sig_cb, &named, &by_name));
	CU_ASSERT_PTR_NULL(emf_bus__on_signal(bus, sig_cb, &named, &bad));
	CU_ASSERT_PTR_NULL(emf_bus__on_signal(bus, NULL, &named, NULL));

	CU_ASSERT_EQUAL(emf_bus__signal(bus, EMF_BUS_SIG_PAUSE, NULL), 1);
	CU_ASSERT_EQUAL(emf_bus__signal(bus, EMF_BUS_SIG_RESUME, NULL), 1);
	CU_ASSERT_EQUAL(emf_bus__signal(bus, EMF_BUS_SIG_RELOAD, NULL), 2);
	CU_ASSERT_EQUAL(emf_bus__signal(bus, EMF_BUS_SIG_USER + 1, "rotate"), 2);
	CU_ASSERT_EQUAL(emf_bus__signal(bus, 0, NULL), -EINVAL);
	CU_ASSERT_EQUAL(emf_bus__signal(bus, 4, NULL), -EINVAL);
	CU_ASSERT_EQUAL(emf_bus__signal(bus, EMF_BUS_SIG_USER - 1, NULL), -EINVAL);
	CU_ASSERT_EQUAL(emf_bus__signal(bus, EMF_BUS_SIG_USER, "bad..name"), -EINVAL);
	CU_ASSERT_EQUAL(emf_bus__signal(NULL, EMF_BUS_SIG_PAUSE, NULL), -EINVAL);
	CU_ASSERT_EQUAL(emf_bus__dispatch(bus, 0), 5);
	CU_ASSERT_EQUAL_FATAL(all.n, 4);
	CU_ASSERT_EQUAL(all.signos[0], EMF_BUS_SIG_PAUSE);
	CU_ASSERT_STRING_EQUAL(all.names[0], "pause");
	CU_ASSERT_EQUAL(all.signos[1], EMF_BUS_SIG_RESUME);
	CU_ASSERT_STRING_EQUAL(all.names[1], "resume");
	CU_ASSERT_STRING_EQUAL(all.names[2], "reload");
	CU_ASSERT_EQUAL(all.signos[3], EMF_BUS_SIG_USER + 1);
	CU_ASSERT_STRING_EQUAL(all.names[3], "rotate");
	CU_ASSERT_EQUAL(named.n, 1);
	CU_ASSERT_TRUE(wait_for(&reload.n, 1, 2000));
	CU_ASSERT_EQUAL(reload.signos[0], EMF_BUS_SIG_RELOAD);
	CU_ASSERT_FALSE(pthread_equal(reload.thread, pthread_self()));
	CU_ASSERT_EQUAL(topics.n, 0);

	/* never dropped, in order: far more than the initial queue */
	for (i = 0; i < 300; i++)
		CU_ASSERT_EQUAL(emf_bus__signal(bus, EMF_BUS_SIG_USER + i, NULL), 1);
	CU_ASSERT_EQUAL(get_stats(h).dropped, 0);
	CU_ASSERT_EQUAL(emf_bus__dispatch(bus, 0), 300);
	for (i = 0; i < 296; i++)
		CU_ASSERT_EQUAL(all.signos[4 + i], EMF_BUS_SIG_USER + i);
	CU_ASSERT_EQUAL(emf_bus__signal(bus, EMF_BUS_SIG_USER, NULL), 1);
	CU_ASSERT_EQUAL(emf_bus__dispatch(bus, 0), 1);
	CU_ASSERT_STRING_EQUAL(all.names[0], "pause");
	CU_ASSERT_EQUAL(emf_bus__unsubscribe(bus, h), 0);
	CU_ASSERT_EQUAL(emf_bus__signal(bus, EMF_BUS_SIG_PAUSE, NULL), 0);
	emf_bus__destroy(bus);
}

static void test_stats_args(void)
{
	struct emf_bus *bus = new_bus();
	struct emf_bus_sub_stats st = {};
	struct emf_bus_sub *sub;
	struct rec r = {};

	sub = emf_bus__subscribe(bus, "s", rec_cb, &r, NULL);
	CU_ASSERT_EQUAL(emf_bus_sub__stats(sub, &st), -EINVAL); /* sz not set */
	CU_ASSERT_EQUAL(emf_bus_sub__stats(NULL, &st), -EINVAL);
	CU_ASSERT_EQUAL(emf_bus_sub__stats(sub, NULL), -EINVAL);
	/* an older, shorter struct gets only its fields */
	st.sz = offsetof(struct emf_bus_sub_stats, dropped);
	st.dropped = 77;
	publish_int(bus, "s", 1);
	emf_bus__dispatch(bus, 0);
	CU_ASSERT_EQUAL(emf_bus_sub__stats(sub, &st), 0);
	CU_ASSERT_EQUAL(st.delivered, 1);
	CU_ASSERT_EQUAL(st.dropped, 77);
	CU_ASSERT_EQUAL(get_stats(sub).queue_len, 1024);
	emf_bus__destroy(bus);
}

int main(void)
{
	static const struct {
		const char *name;
		CU_TestFunc fn;
	} tests[] = {
		{ "bus new/destroy/options", test_bus_new_destroy },
		{ "publish/subscribe exact", test_publish_exact },
		{ "patterns and names", test_patterns },
		{ "zero-copy and references", test_zero_copy_refs },
		{ "many subscribers", test_many_subscribers },
		{ "big payloads", test_big_payload },
		{ "typed and JSON payloads", test_typed_and_json },
		{ "unsubscribe", test_unsubscribe },
		{ "unsubscribe in callback", test_unsubscribe_in_callback },
		{ "unsubscribe during delivery", test_unsubscribe_during_delivery },
		{ "policy drop-new", test_policy_drop_new },
		{ "policy drop-old", test_policy_drop_old },
		{ "held subscriber", test_sub_hold },
		{ "bus-wide counters", test_bus_stats },
		{ "policy block with timeout", test_policy_block },
		{ "policy block from own callback", test_policy_block_self },
		{ "dispatch max", test_dispatch_max },
		{ "worker-thread delivery", test_thread_delivery },
		{ "publish from callback", test_publish_from_callback },
		{ "stress 4 publishers", test_stress },
		{ "destroy with work in flight", test_destroy_in_flight },
		{ "service sync calls", test_svc_sync },
		{ "service errors", test_svc_errors },
		{ "service host loop cross-thread", test_svc_host_cross_thread },
		{ "service async calls", test_svc_async },
		{ "service deferred replies", test_svc_deferred },
		{ "service timeouts and late replies", test_svc_timeouts },
		{ "an earlier call deadline behind a later one", test_svc_timeout_order },
		{ "nested synchronous calls", test_nested_calls },
		{ "service removal", test_svc_remove },
		{ "signals", test_signals },
		{ "stats arguments", test_stats_args },
	};
	CU_pSuite suite;
	unsigned int failed;
	size_t i;

	emf_set_print(capture_print);
	if (CU_initialize_registry() != CUE_SUCCESS)
		return CU_get_error();
	suite = CU_add_suite("bus", NULL, NULL);
	if (!suite)
		goto err;
	for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
		if (!CU_add_test(suite, tests[i].name, tests[i].fn))
			goto err;
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_tests_failed() + CU_get_number_of_failures();
	CU_cleanup_registry();
	return failed ? 1 : 0;
err:
	CU_cleanup_registry();
	return CU_get_error() ? CU_get_error() : 1;
}
