// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The log2 histogram renderer on synthetic readings: one histogram per key of
 * a value struct with "slots" (libbpf-tools' struct hist) prints as
 * print_log2_hist() of trace_helpers.c does, under a "field = value" line,
 * and as JSON with the key, the value's other members and the buckets; the
 * array form (key = slot) goes through the same renderer and gives the same
 * bars for the same counts.
 */
#include <stdint.h>
#include <string.h>
#include <CUnit/Basic.h>

#include <emf/fmt.h>
#include <emf/runtime.h>

#include "smp.emf.h"

struct hist {
	uint32_t slots[8];
	char comm[16];
};

static const struct emf_field hist_fields[] = {
	{ .name = "slots", .kind = EMF_FIELD_UINT, .offset = 0, .size = 32, .count = 8 },
	{ .name = "comm", .kind = EMF_FIELD_STRING, .offset = 32, .size = 16, .count = 16 },
};

static const struct emf_event_type hist_type = {
	.name = "hist",
	.size = sizeof(struct hist),
	.min_size = sizeof(struct hist),
	.n_fields = 2,
	.fields = hist_fields,
};

static const struct emf_sample keyed = {
	.map_name = "hists",
	.kind = EMF_SAMPLE_LOG2_HIST,
	.key = { .name = "pid", .kind = EMF_FIELD_UINT, .size = 4 },
	.value = { .name = "value",
		   .kind = EMF_FIELD_STRUCT,
		   .size = sizeof(struct hist),
		   .type = &hist_type },
};

static const struct emf_sample array = {
	.map_name = "arg_hist",
	.kind = EMF_SAMPLE_LOG2_HIST,
	.key = { .name = "key", .kind = EMF_FIELD_UINT, .size = 4 },
	.value = { .name = "value", .kind = EMF_FIELD_UINT, .size = 8 },
};

static struct emf_runtime *rt;
static struct emf_plugin *plugin;
static struct emf_buf b;

static const char *text(const struct emf_sample_data *d)
{
	emf_buf__reset(&b);
	CU_ASSERT_EQUAL(emf_sample_data__text(d, &b), 0);
	CU_ASSERT_EQUAL_FATAL(emf_buf__append(&b, "", 1), 0);
	return b.data;
}

static const char *json(const struct emf_sample_data *d)
{
	emf_buf__reset(&b);
	CU_ASSERT_EQUAL(emf_sample_data__json(d, &b), 0);
	CU_ASSERT_EQUAL_FATAL(emf_buf__append(&b, "", 1), 0);
	return b.data;
}

/* Two pids: slots 0..highest used, 40 stars for the largest, a line naming each. */
static void test_keyed_text(void)
{
	const uint32_t pids[2] = { 42, 7 };
	const struct hist h[2] = { { { 1, 0, 4, 2 }, "bash" }, { { 0, 3 }, "sleep" } };
	const struct emf_sample_data d = {
		.plugin = plugin, .sample = &keyed, .n = 2, .keys = pids, .values = h
	};

	CU_ASSERT_STRING_EQUAL(
		text(&d),
		"smp hists (log2 histograms)\n"
		"pid = 42, comm = bash\n"
		"     value               : count    distribution\n"
		"         0 -> 1          : 1        |**********                              |\n"
		"         2 -> 3          : 0        |                                        |\n"
		"         4 -> 7          : 4        |****************************************|\n"
		"         8 -> 15         : 2        |********************                    |\n"
		"\n"
		"pid = 7, comm = sleep\n"
		"     value               : count    distribution\n"
		"         0 -> 1          : 0        |                                        |\n"
		"         2 -> 3          : 3        |****************************************|\n");
}

static void test_keyed_json(void)
{
	const uint32_t pid = 42;
	const struct hist h = { { 1, 0, 4 }, "bash" };
	const struct emf_sample_data d = {
		.plugin = plugin, .sample = &keyed, .n = 1, .keys = &pid, .values = &h
	};

	CU_ASSERT_STRING_EQUAL(json(&d),
			       "{\"plugin\":\"smp\",\"map\":\"hists\",\"hists\":[{\"key\":42,"
			       "\"comm\":\"bash\",\"hist\":[{\"low\":0,\"high\":1,\"count\":1},"
			       "{\"low\":2,\"high\":3,\"count\":0},"
			       "{\"low\":4,\"high\":7,\"count\":4}]}]}");
}

/* The one entry of a single-slot array (key 0) or under key -1 (runqlat) needs no name. */
static void test_single_entry(void)
{
	const uint32_t zero = 0, minus1 = UINT32_MAX, keys2[2] = { 0, 5 };
	const struct hist h = { { 0, 0, 0, 0, 0, 0, 0, 9 }, "" };
	const struct hist h2[2] = { { { 1 }, "a" }, { { 1 }, "b" } };
	const struct emf_sample_data d = {
		.plugin = plugin, .sample = &keyed, .n = 1, .keys = &zero, .values = &h
	};

	CU_ASSERT_STRING_EQUAL(
		text(&d),
		"smp hists (log2 histogram)\n"
		"     value               : count    distribution\n"
		"         0 -> 1          : 0        |                                        |\n"
		"         2 -> 3          : 0        |                                        |\n"
		"         4 -> 7          : 0        |                                        |\n"
		"         8 -> 15         : 0        |                                        |\n"
		"        16 -> 31         : 0        |                                        |\n"
		"        32 -> 63         : 0        |                                        |\n"
		"        64 -> 127        : 0        |                                        |\n"
		"       128 -> 255        : 9        |****************************************|\n");
	CU_ASSERT_STRING_EQUAL(text(&(struct emf_sample_data){ .plugin = plugin, .sample = &keyed, .n = 1,
							       .keys = &minus1, .values = &h }),
			       text(&d));
	/* Two entries are named, even one under key 0. */
	CU_ASSERT_PTR_NOT_NULL(strstr(text(&(struct emf_sample_data){ .plugin = plugin, .sample = &keyed,
								    .n = 2, .keys = keys2, .values = h2 }),
				      "\npid = 0, comm = a\n"));
}

/* The array form: the same counts give the same bars, and JSON "hist" from slot 0. */
static void test_array_form_shared(void)
{
	const uint32_t slots[3] = { 0, 2, 3 };
	const uint64_t counts[3] = { 1, 4, 2 };
	const struct emf_sample_data d = {
		.plugin = plugin, .sample = &array, .n = 3, .keys = slots, .values = counts
	};

	CU_ASSERT_STRING_EQUAL(
		text(&d),
		"smp arg_hist (log2 histogram)\n"
		"     value               : count    distribution\n"
		"         0 -> 1          : 1        |**********                              |\n"
		"         2 -> 3          : 0        |                                        |\n"
		"         4 -> 7          : 4        |****************************************|\n"
		"         8 -> 15         : 2        |********************                    |\n");
	CU_ASSERT_STRING_EQUAL(json(&d), "{\"plugin\":\"smp\",\"map\":\"arg_hist\",\"hist\":["
					 "{\"low\":0,\"high\":1,\"count\":1},"
					 "{\"low\":2,\"high\":3,\"count\":0},"
					 "{\"low\":4,\"high\":7,\"count\":4},"
					 "{\"low\":8,\"high\":15,\"count\":2}]}");
}

/* Past slot 32 the columns widen and the bars halve, as print_log2_hist() does. */
static void test_wide(void)
{
	const uint32_t slot = 40;
	const uint64_t count = 5;
	const struct emf_sample_data d = {
		.plugin = plugin, .sample = &array, .n = 1, .keys = &slot, .values = &count
	};
	const char *t = text(&d);

	CU_ASSERT_PTR_NOT_NULL(strstr(
		t, "               value                         : count    distribution\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(
		t,
		"\n       1099511627776 -> 2199023255551        : 5        |********************|\n"));
}

int main(void)
{
	CU_pSuite s;
	int failed;

	rt = emf_runtime__new(NULL);
	plugin = rt ? emf_runtime__add(rt, &smp__plugin) : NULL;
	if (!plugin)
		return 1;
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	s = CU_add_suite("hist", NULL, NULL);
	CU_add_test(s, "one histogram per key, as print_log2_hist()", test_keyed_text);
	CU_add_test(s, "keyed histogram as JSON", test_keyed_json);
	CU_add_test(s, "single-entry array: no key line", test_single_entry);
	CU_add_test(s, "array form through the same renderer", test_array_form_shared);
	CU_add_test(s, "wide columns past slot 32", test_wide);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures();
	CU_cleanup_registry();
	emf_buf__free(&b);
	emf_runtime__destroy(rt);
	return failed ? 1 : 0;
}
