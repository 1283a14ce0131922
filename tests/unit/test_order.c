// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Time order of one poll's events (emf_runtime_opts.ordered): the batch comes
 * out sorted by time, ties in read order, each event a copy of the record read
 * (the ring buffer's space is reused once read), aligned for typed access.
 */
#include <stdint.h>
#include <string.h>
#include <CUnit/Basic.h>

#include "runtime_internal.h"

static const struct emf_event_type type_a = { .name = "a" }, type_b = { .name = "b" };

struct seen {
	uint64_t time[64];
	char tag[64][8];
	int n;
	int stop_at; /* return an error at this event, -1 for never */
};

static int on_event(void *ctx, const struct emf_event *ev)
{
	struct seen *s = ctx;

	CU_ASSERT_EQUAL((uintptr_t)ev->data % EMF_EVENT_ALIGN, 0);
	s->time[s->n] = ev->time_ns;
	memcpy(s->tag[s->n], ev->data, sizeof(s->tag[0]));
	if (s->n++ == s->stop_at)
		return -EPIPE;
	return 0;
}

static void push(struct emf_order *o, const struct emf_event_type *t, uint64_t ns, const char *tag)
{
	char rec[13] = {}; /* an odd size: the next copy must still be aligned */
	struct emf_event ev = { .type = t, .data = rec, .size = sizeof(rec), .time_ns = ns };

	strncpy(rec, tag, sizeof(rec) - 1);
	CU_ASSERT_EQUAL(emf__order_push(o, &ev), 0);
	memset(rec, 'x', sizeof(rec)); /* the producer reuses the space */
}

static void test_sorted_stable(void)
{
	struct seen s = { .stop_at = -1 };
	struct emf_order o = {};

	/* Two outputs read one after the other: each in order, the two interleaved. */
	push(&o, &type_a, 30, "a30");
	push(&o, &type_a, 50, "a50");
	push(&o, &type_a, 50, "a50b");
	push(&o, &type_b, 10, "b10");
	push(&o, &type_b, 50, "b50");
	push(&o, &type_b, 60, "b60");
	CU_ASSERT_EQUAL(emf__order_flush(&o, on_event, &s), 0);
	CU_ASSERT_EQUAL(s.n, 6);
	CU_ASSERT_STRING_EQUAL(s.tag[0], "b10");
	CU_ASSERT_STRING_EQUAL(s.tag[1], "a30");
	CU_ASSERT_STRING_EQUAL(s.tag[2], "a50");
	CU_ASSERT_STRING_EQUAL(s.tag[3], "a50b");
	CU_ASSERT_STRING_EQUAL(s.tag[4], "b50");
	CU_ASSERT_STRING_EQUAL(s.tag[5], "b60");
	CU_ASSERT_EQUAL(o.n, 0);
	emf__order_free(&o);
}

static void test_grow_and_reuse(void)
{
	struct seen s = { .stop_at = -1 };
	struct emf_order o = {};
	int i, round;

	/* Past the first arena and index sizes, twice: nothing of the first batch stays. */
	for (round = 0; round < 2; round++) {
		uint64_t next = 0;
		char want[8];

		for (i = 0; i < 6000; i++) {
			char tag[8];

			snprintf(tag, sizeof(tag), "%d", 5999 - i);
			push(&o, &type_a, 5999 - i, tag);
		}
		s.n = 0;
		s.stop_at = 63; /* the seen array holds 64: stop there */
		CU_ASSERT_EQUAL(emf__order_flush(&o, on_event, &s), -EPIPE);
		CU_ASSERT_EQUAL(s.n, 64);
		CU_ASSERT_EQUAL(s.time[0], 0);
		CU_ASSERT_STRING_EQUAL(s.tag[63], "63");
		/* What the host did not take waits for the next flush, in order. */
		CU_ASSERT_EQUAL(o.n, 6000 - 64);
		for (next = 64; o.n && next < 6000; next += s.n) {
			s.n = 0;
			emf__order_flush(&o, on_event, &s);
			CU_ASSERT_EQUAL(s.time[0], next);
			snprintf(want, sizeof(want), "%d", (int)next);
			CU_ASSERT_STRING_EQUAL(s.tag[0], want);
		}
		CU_ASSERT_EQUAL(next, 6000);
		CU_ASSERT_EQUAL(o.n, 0);
	}
	emf__order_free(&o);
	emf__order_free(&o); /* and free twice is harmless */
}

int main(void)
{
	unsigned int failed;
	CU_pSuite s;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return CU_get_error();
	s = CU_add_suite("order", NULL, NULL);
	CU_add_test(s, "sorted by time, ties in read order, copies", test_sorted_stable);
	CU_add_test(s, "large batches, a stopping host", test_grow_and_reuse);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_tests_failed() + CU_get_number_of_failures();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
