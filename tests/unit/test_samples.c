// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Sampled maps against a fake kernel, without root: each interval the host
 * gets the entries of every sampled map with per-CPU values summed; arrays
 * report only the slots that counted something; maps marked to be cleared are
 * emptied after each read (hash entries deleted, array slots zeroed) and the
 * others are left as they are. A map with no interval (recognised without an
 * annotation) is read only by emf_runtime__sample(), its slots summed.
 */
#include <errno.h>
#include <string.h>
#include <CUnit/Basic.h>

#include <emf/runtime.h>

#include "fake_kernel.h"
#include "kernel.h"
#include "smp.emf.h"

#define MAX_ROWS 8

struct reading {
	unsigned int times;
	size_t n;
	uint32_t keys[MAX_ROWS];
	unsigned char vals[MAX_ROWS][32];
};

static struct reading by_tgid, by_parity, arg_hist, parity_hist;

static int on_sample(void *ctx, const struct emf_sample_data *d)
{
	struct reading *r = !strcmp(d->sample->map_name, "by_tgid")     ? &by_tgid :
			    !strcmp(d->sample->map_name, "by_parity")   ? &by_parity :
			    !strcmp(d->sample->map_name, "parity_hist") ? &parity_hist :
									  &arg_hist;
	size_t vmax = sizeof(r->vals[0]);
	size_t i, vsz = d->sample->value.size;

	(void)ctx;
	r->times++;
	r->n = d->n;
	for (i = 0; i < d->n && i < MAX_ROWS; i++) {
		memcpy(&r->keys[i], (const char *)d->keys + i * d->sample->key.size, 4);
		memcpy(r->vals[i], (const char *)d->values + i * vsz, vsz <= vmax ? vsz : vmax);
	}
	return 0;
}

static struct emf_plugin_desc desc_buf;

static struct emf_runtime *start(void)
{
	struct emf_runtime_opts opts = { .sz = sizeof(opts), .sample_cb = on_sample, .jobs = 1 };
	struct emf_plugin *p;
	struct emf_runtime *rt;

	memset(&by_tgid, 0, sizeof(by_tgid));
	memset(&by_parity, 0, sizeof(by_parity));
	memset(&arg_hist, 0, sizeof(arg_hist));
	memset(&parity_hist, 0, sizeof(parity_hist));
	fk_reset();
	rt = fk_runtime(&opts);
	p = emf_runtime__add(rt, fk_desc(&smp__plugin, &desc_buf));
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_FATAL(emf_runtime__start(rt) == 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fk_map_of(p, "by_tgid"));
	CU_ASSERT_PTR_NOT_NULL_FATAL(fk_map_of(p, "by_parity"));
	CU_ASSERT_PTR_NOT_NULL_FATAL(fk_map_of(p, "arg_hist"));
	CU_ASSERT_PTR_NOT_NULL_FATAL(fk_map_of(p, "parity_hist"));
	return rt;
}

/* Poll until every map was read @times times (at 100 ms each), at most 2 s. */
static void poll_readings(struct emf_runtime *rt, unsigned int times)
{
	int i;

	for (i = 0; i < 40; i++) {
		if (by_tgid.times >= times && by_parity.times >= times && arg_hist.times >= times)
			return;
		CU_ASSERT(emf_runtime__poll(rt, 50) >= 0);
	}
	CU_FAIL("a sampled map was not read in time");
}

static void test_hash_summed_and_cleared(void)
{
	struct emf_runtime *rt = start();
	struct smp__smp_counts v[FK_CPUS] = { { 1, 10 }, { 2, 20 }, { 0, 0 }, { 3, 5 } };
	struct smp__smp_counts got;
	struct fk_map *m = fk_map("by_tgid");
	uint32_t key = 7, other = 9;

	fk_map_put(m, &key, v, FK_CPUS);
	fk_map_put(m, &other, v, 1);
	poll_readings(rt, 1);
	CU_ASSERT_EQUAL_FATAL(by_tgid.n, 2);
	CU_ASSERT_EQUAL(by_tgid.keys[0], 7);
	memcpy(&got, by_tgid.vals[0], sizeof(got));
	CU_ASSERT_EQUAL(got.calls, 6);
	CU_ASSERT_EQUAL(got.arg_sum, 35);
	CU_ASSERT_EQUAL(by_tgid.keys[1], 9);
	memcpy(&got, by_tgid.vals[1], sizeof(got));
	CU_ASSERT_EQUAL(got.calls, 1);
	CU_ASSERT_EQUAL(got.arg_sum, 10);
	/* Cleared after the read: the next interval starts from nothing. */
	CU_ASSERT_EQUAL(m->n, 0);
	CU_ASSERT_EQUAL(m->deletes, 2);
	fk_map_put(m, &key, v, 1);
	poll_readings(rt, 2);
	CU_ASSERT_EQUAL(by_tgid.n, 1);
	memcpy(&got, by_tgid.vals[0], sizeof(got));
	CU_ASSERT_EQUAL(got.calls, 1);
	emf_runtime__destroy(rt);
}

static void test_array_nonzero_kept(void)
{
	struct emf_runtime *rt = start();
	struct fk_map *m = fk_map("by_parity");
	uint64_t v[FK_CPUS] = { 1, 1, 0, 4 }, got;
	uint32_t key = 1;

	CU_ASSERT_EQUAL(m->n, 4);
	fk_map_put(m, &key, v, FK_CPUS);
	poll_readings(rt, 1);
	CU_ASSERT_EQUAL_FATAL(by_parity.n, 1);
	CU_ASSERT_EQUAL(by_parity.keys[0], 1);
	memcpy(&got, by_parity.vals[0], sizeof(got));
	CU_ASSERT_EQUAL(got, 6);
	/* Not marked to be cleared: the same counts again, untouched. */
	poll_readings(rt, 2);
	CU_ASSERT_EQUAL(by_parity.n, 1);
	memcpy(&got, by_parity.vals[0], sizeof(got));
	CU_ASSERT_EQUAL(got, 6);
	CU_ASSERT_EQUAL(m->updates, 0);
	CU_ASSERT_EQUAL(m->deletes, 0);
	emf_runtime__destroy(rt);
}

static void test_histogram_slots(void)
{
	struct emf_runtime *rt = start();
	struct fk_map *m = fk_map("arg_hist");
	uint64_t five = 5, one = 1, got;
	uint32_t s3 = 3, s10 = 10;

	fk_map_put(m, &s10, &one, 1);
	fk_map_put(m, &s3, &five, 1);
	poll_readings(rt, 1);
	CU_ASSERT_EQUAL_FATAL(arg_hist.n, 2);
	CU_ASSERT_EQUAL(arg_hist.keys[0], 3);
	memcpy(&got, arg_hist.vals[0], sizeof(got));
	CU_ASSERT_EQUAL(got, 5);
	CU_ASSERT_EQUAL(arg_hist.keys[1], 10);
	memcpy(&got, arg_hist.vals[1], sizeof(got));
	CU_ASSERT_EQUAL(got, 1);
	/* Empty maps still report: an empty reading, not a stale one. */
	CU_ASSERT(by_tgid.times >= 1 && by_parity.times >= 1);
	CU_ASSERT_EQUAL(by_tgid.n, 0);
	CU_ASSERT_EQUAL(by_parity.n, 0);
	emf_runtime__destroy(rt);
}

static void test_on_demand(void)
{
	struct emf_runtime *rt = start();
	struct fk_map *m = fk_map("parity_hist");
	struct smp__smp_hist v[FK_CPUS] = { { { 1, 2 } }, { { 0, 0, 5 } }, { { 0 } }, { { 3 } } };
	struct smp__smp_hist got;
	uint32_t odd = 1;

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	fk_map_put(m, &odd, v, FK_CPUS);
	/* No interval: the timer reads the other maps, never this one. */
	poll_readings(rt, 2);
	CU_ASSERT_EQUAL(parity_hist.times, 0);
	CU_ASSERT_EQUAL(emf_runtime__sample(rt, &(struct emf_runtime_sample_opts){
				.sz = sizeof(struct emf_runtime_sample_opts), .clear = true }),
			0);
	CU_ASSERT_EQUAL(parity_hist.times, 1);
	CU_ASSERT_EQUAL_FATAL(parity_hist.n, 1);
	CU_ASSERT_EQUAL(parity_hist.keys[0], 1);
	memcpy(&got, parity_hist.vals[0], sizeof(got));
	/* Per-CPU slots summed element by element. */
	CU_ASSERT_EQUAL(got.slots[0], 4);
	CU_ASSERT_EQUAL(got.slots[1], 2);
	CU_ASSERT_EQUAL(got.slots[2], 5);
	CU_ASSERT_EQUAL(got.slots[3], 0);
	/* Cleared as asked; the annotated maps were read, not cleared by this call. */
	CU_ASSERT_EQUAL(m->n, 0);
	CU_ASSERT_EQUAL(fk_map("by_parity")->updates, 0);
	CU_ASSERT_EQUAL(emf_runtime__sample(rt, &(struct emf_runtime_sample_opts){ .sz = 1 }),
			-EINVAL);
	emf_runtime__destroy(rt);
}

static const struct fk_test tests[] = {
	{ "per-CPU hash summed, then cleared", test_hash_summed_and_cleared },
	{ "array: only counted slots, kept", test_array_nonzero_kept },
	{ "log2 histogram slots", test_histogram_slots },
	{ "no interval: read on demand, slots summed", test_on_demand },
	{ NULL },
};

int main(void)
{
	return fk_main("samples", tests);
}
