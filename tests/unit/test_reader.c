// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The event reader against a fake kernel, without root: records of ring and
 * perf buffers reach the host in order and are counted, short ones count as
 * decode errors, and lost events are counted once each, whether the plugin
 * counts them in its emf_lost map (ring buffers, summed over CPUs, read again
 * and again) or the kernel reports them in-band (perf buffers); a filter
 * applies to the event types whose fields it names.
 */
#include <errno.h>
#include <string.h>
#include <CUnit/Basic.h>

#include <emf/errno.h>
#include <emf/filter.h>
#include <emf/runtime.h>

#include "evgen.emf.h"
#include "fake_kernel.h"
#include "kernel.h"

static struct {
	unsigned int n;
	unsigned int seq[16];
	const struct emf_event_type *type;
	uint64_t lost_calls, lost, lost_total;
	size_t lost_output;
} seen;

static int on_event(void *ctx, const struct emf_event *ev)
{
	const struct evgen__event *e = evgen__event__from(ev->data, ev->size);

	(void)ctx;
	seen.type = ev->type;
	if (e && seen.n < 16)
		seen.seq[seen.n] = e->seq;
	seen.n++;
	return 0;
}

static void on_lost(void *ctx, const struct emf_plugin *p, size_t output, uint64_t lost,
		    uint64_t total)
{
	(void)ctx;
	(void)p;
	seen.lost_calls++;
	seen.lost += lost;
	seen.lost_total = total;
	seen.lost_output = output;
}

static struct emf_plugin_desc desc_buf;
static struct emf_plugin *plugin;

static struct emf_runtime *start(bool with_lost_cb)
{
	struct emf_runtime_opts opts = { .sz = sizeof(opts), .event_cb = on_event, .jobs = 1 };
	struct emf_runtime *rt;

	if (with_lost_cb)
		opts.lost_cb = on_lost;
	memset(&seen, 0, sizeof(seen));
	fk_reset();
	rt = fk_runtime(&opts);
	plugin = emf_runtime__add(rt, fk_desc(&evgen__plugin, &desc_buf));
	CU_ASSERT_PTR_NOT_NULL_FATAL(plugin);
	CU_ASSERT_FATAL(emf_runtime__start(rt) == 0);
	return rt;
}

static struct evgen__event ev(unsigned int seq)
{
	return (struct evgen__event){ .pid = 42, .seq = seq, .ts = 1000 + seq };
}

static void test_ring_events(void)
{
	struct emf_runtime *rt = start(false);
	struct emf_plugin_stats st = {};
	struct evgen__event e;
	unsigned int i;

	for (i = 1; i <= 5; i++) {
		e = ev(i);
		fk_ring_push("events", &e, sizeof(e));
	}
	CU_ASSERT(emf_runtime__poll(rt, 100) >= 0);
	CU_ASSERT_EQUAL(seen.n, 5);
	for (i = 0; i < 5 && i < seen.n; i++)
		CU_ASSERT_EQUAL(seen.seq[i], i + 1);
	CU_ASSERT_PTR_EQUAL(seen.type, &evgen__event__type);
	CU_ASSERT_EQUAL(emf_plugin__stats(plugin, &st), 0);
	CU_ASSERT_EQUAL(st.events, 5);
	CU_ASSERT_EQUAL(st.decode_errors, 0);
	CU_ASSERT_EQUAL(st.lost, 0);
	emf_runtime__destroy(rt);
}

static void test_short_record(void)
{
	struct emf_runtime *rt = start(false);
	struct emf_plugin_stats st = {};
	struct evgen__event e = ev(7);

	fk_ring_push("events", &e, sizeof(e) - 1);
	fk_ring_push("events", &e, sizeof(e));
	CU_ASSERT(emf_runtime__poll(rt, 100) >= 0);
	CU_ASSERT_EQUAL(seen.n, 1);
	CU_ASSERT_EQUAL(emf_plugin__stats(plugin, &st), 0);
	CU_ASSERT_EQUAL(st.events, 1);
	CU_ASSERT_EQUAL(st.decode_errors, 1);
	emf_runtime__destroy(rt);
}

static void put_lost(const char *key_name, uint64_t a, uint64_t b, uint64_t c, uint64_t d)
{
	struct fk_map *m = fk_map("emf_lost");
	uint64_t v[FK_CPUS] = { a, b, c, d };
	char key[16] = {};

	CU_ASSERT_FATAL(m != NULL);
	strncpy(key, key_name, sizeof(key) - 1);
	fk_map_put(m, key, v, FK_CPUS);
}

static void test_ring_lost_counted_once(void)
{
	struct emf_runtime *rt = start(true);
	struct emf_plugin_stats st = {};
	struct emf_output_stats os = {};
	struct fk_map *m = fk_map("emf_lost");

	/* The reader gave the ring output its key, so that BPF only looks it up. */
	CU_ASSERT_FATAL(m != NULL);
	CU_ASSERT_EQUAL(m->n, 1);
	put_lost("events", 2, 0, 3, 0);
	CU_ASSERT_EQUAL(emf_plugin__stats(plugin, &st), 0);
	CU_ASSERT_EQUAL(st.lost, 5);
	CU_ASSERT_EQUAL(seen.lost_calls, 1);
	CU_ASSERT_EQUAL(seen.lost, 5);
	CU_ASSERT_EQUAL(seen.lost_output, 0);
	/* Read again: nothing new is nothing more. */
	CU_ASSERT_EQUAL(emf_plugin__stats(plugin, &st), 0);
	CU_ASSERT_EQUAL(st.lost, 5);
	CU_ASSERT_EQUAL(seen.lost_calls, 1);
	/* Two more on another CPU: two more, not seven. */
	put_lost("events", 2, 2, 3, 0);
	CU_ASSERT_EQUAL(emf_plugin__stats(plugin, &st), 0);
	CU_ASSERT_EQUAL(st.lost, 7);
	CU_ASSERT_EQUAL(seen.lost, 7);
	CU_ASSERT_EQUAL(seen.lost_total, 7);
	CU_ASSERT_EQUAL(emf_plugin__output_stats(plugin, 0, &os), 0);
	CU_ASSERT_EQUAL(os.lost, 7);
	CU_ASSERT_EQUAL(emf_plugin__output_stats(plugin, 1, &os), 0);
	CU_ASSERT_EQUAL(os.lost, 0);
	emf_runtime__destroy(rt);
}

/* Losses counted under a name that is no output still count for the plugin. */
static void test_ring_lost_stray_key(void)
{
	struct emf_runtime *rt = start(true);
	struct emf_plugin_stats st = {};
	struct emf_output_stats os = {};

	put_lost("not_an_output", 1, 1, 1, 1);
	CU_ASSERT_EQUAL(emf_plugin__stats(plugin, &st), 0);
	CU_ASSERT_EQUAL(st.lost, 4);
	CU_ASSERT_EQUAL(emf_plugin__output_stats(plugin, 0, &os), 0);
	CU_ASSERT_EQUAL(os.lost, 0);
	CU_ASSERT_EQUAL(seen.lost_calls, 0);
	emf_runtime__destroy(rt);
}

static void test_perf_events_and_lost(void)
{
	struct emf_runtime *rt = start(true);
	struct emf_plugin_stats st = {};
	struct emf_output_stats os = {};
	struct evgen__event e = ev(3);

	fk_perf_push("perf_events", &e, sizeof(e));
	fk_perf_lost("perf_events", 4);
	e = ev(4);
	fk_perf_push("perf_events", &e, sizeof(e));
	CU_ASSERT(emf_runtime__poll(rt, 100) >= 0);
	CU_ASSERT_EQUAL(seen.n, 2);
	CU_ASSERT_EQUAL(seen.seq[0], 3);
	CU_ASSERT_EQUAL(seen.seq[1], 4);
	CU_ASSERT_EQUAL(emf_plugin__stats(plugin, &st), 0);
	CU_ASSERT_EQUAL(st.events, 2);
	CU_ASSERT_EQUAL(st.lost, 4);
	CU_ASSERT_EQUAL(emf_plugin__output_stats(plugin, 1, &os), 0);
	CU_ASSERT_EQUAL(os.lost, 4);
	CU_ASSERT_EQUAL(os.events, 2);
	CU_ASSERT_EQUAL(seen.lost, 4);
	CU_ASSERT_EQUAL(seen.lost_output, 1);
	emf_runtime__destroy(rt);
}

/* A host callback's error stops the poll, which returns it; the rest waits. */
static int stop_after_one(void *ctx, const struct emf_event *ev)
{
	on_event(ctx, ev);
	return -ECANCELED;
}

static void test_callback_stops_poll(void)
{
	struct emf_runtime_opts opts = { .sz = sizeof(opts),
					 .event_cb = stop_after_one,
					 .jobs = 1 };
	struct emf_runtime *rt;
	struct evgen__event e;
	unsigned int i;

	memset(&seen, 0, sizeof(seen));
	fk_reset();
	rt = fk_runtime(&opts);
	CU_ASSERT_PTR_NOT_NULL_FATAL(emf_runtime__add(rt, fk_desc(&evgen__plugin, &desc_buf)));
	CU_ASSERT_FATAL(emf_runtime__start(rt) == 0);
	for (i = 1; i <= 3; i++) {
		e = ev(i);
		fk_ring_push("events", &e, sizeof(e));
	}
	CU_ASSERT_EQUAL(emf_runtime__poll(rt, 100), -ECANCELED);
	CU_ASSERT_EQUAL(seen.n, 1);
	emf_runtime__destroy(rt);
}

/*
 * One filter, two event types: it applies to the type that has its fields;
 * the other type's events, which it does not fit, pass nothing (with a note).
 */
static const struct emf_field other_fields[] = {
	{ .name = "seq", .kind = EMF_FIELD_UINT, .offset = 4, .size = 4 },
};
static const struct emf_event_type other_type = {
	.name = "other",
	.size = sizeof(struct evgen__event),
	.min_size = sizeof(struct evgen__event),
	.n_fields = 1,
	.fields = other_fields,
};

static void test_filter_per_type(void)
{
	struct emf_runtime_opts opts = { .sz = sizeof(opts), .event_cb = on_event, .jobs = 1 };
	static struct emf_output outs[2];
	struct evgen__event e;
	struct emf_runtime *rt;
	struct emf_plugin *p;
	char err[512];

	memset(&seen, 0, sizeof(seen));
	fk_reset();
	rt = fk_runtime(&opts);
	fk_desc(&evgen__plugin, &desc_buf);
	CU_ASSERT_EQUAL_FATAL(desc_buf.n_outputs, 2);
	outs[0] = desc_buf.outputs[0];
	outs[1] = desc_buf.outputs[1];
	outs[1].event = &other_type;
	desc_buf.outputs = outs;
	p = emf_runtime__add(rt, &desc_buf);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_FATAL(emf_runtime__start(rt) == 0);

	/* A field no type has: refused, naming the plugin. */
	CU_ASSERT_EQUAL(emf_plugin__set_filter(p, "nope == 1", err, sizeof(err)), -EINVAL);
	CU_ASSERT(strstr(err, "plugin 'evgen': filter 'nope == 1'") == err);
	/* A field both have: no note. */
	CU_ASSERT_EQUAL(emf_plugin__set_filter(p, "seq >= 2", err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(err, "");
	/* pid: only evgen's own type has it. */
	CU_ASSERT_EQUAL(emf_plugin__set_filter(p, "pid == 42 && seq >= 2", err, sizeof(err)), 0);
	CU_ASSERT(strstr(err, "does not fit its other events, which are not shown") != NULL);
	e = ev(1); /* seq 1: filtered out */
	fk_ring_push("events", &e, sizeof(e));
	e = ev(2);
	fk_ring_push("events", &e, sizeof(e));
	e = ev(3); /* the other type: not shown */
	fk_perf_push("perf_events", &e, sizeof(e));
	e = ev(4);
	e.pid = 7;
	fk_ring_push("events", &e, sizeof(e));
	CU_ASSERT(emf_runtime__poll(rt, 100) >= 0);
	CU_ASSERT_EQUAL(seen.n, 1);
	CU_ASSERT_EQUAL(seen.seq[0], 2);
	/* Removed: everything again. */
	CU_ASSERT_EQUAL(emf_plugin__set_filter(p, NULL, err, sizeof(err)), 0);
	fk_perf_push("perf_events", &e, sizeof(e));
	CU_ASSERT(emf_runtime__poll(rt, 100) >= 0);
	CU_ASSERT_EQUAL(seen.n, 2);
	emf_runtime__destroy(rt);
}

static const struct fk_test tests[] = {
	{ "ring buffer events in order", test_ring_events },
	{ "a short record is a decode error", test_short_record },
	{ "ring buffer loss counted once", test_ring_lost_counted_once },
	{ "loss under a stray key", test_ring_lost_stray_key },
	{ "perf buffer events and in-band loss", test_perf_events_and_lost },
	{ "a callback error stops the poll", test_callback_stops_poll },
	{ "one filter over two event types", test_filter_per_type },
	{ NULL },
};

int main(void)
{
	return fk_main("reader", tests);
}
