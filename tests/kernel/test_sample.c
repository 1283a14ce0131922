// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Sampled maps against the real kernel: a plugin counts getpgid(arg) calls of
 * this process in a per-CPU hash (cleared after each read), a per-CPU array
 * and a log2 histogram; the runtime reads them on its timer, sums the CPUs,
 * and the readings, their JSON and their text say exactly what was called.
 * An unannotated per-CPU histogram per parity (struct with slots) is never
 * read on the timer, and emf_runtime__sample() reads it summed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <linux/types.h>

#include <emf/errno.h>
#include <emf/fmt.h>
#include <emf/runtime.h>

#include "ktest.h"
#include "smp.emf.h"

static unsigned long long calls, arg_sum, odd, even, hist[64], parity_hist[2][8];
static int readings, tgid_entries, parity_readings;
static char json[8192], text[8192];

#define CHECK KTEST_CHECK

static int on_sample(void *ctx, const struct emf_sample_data *d)
{
	const char *map = d->sample->map_name;
	struct emf_buf b = {};
	size_t i;

	readings++;
	if (!strcmp(map, "by_tgid")) {
		const struct smp__smp_counts *v = d->values;
		const __u32 *k = d->keys;

		for (i = 0; i < d->n; i++) {
			CHECK(k[i] == (__u32)getpid(), "by_tgid: key %u\n", k[i]);
			/* Cleared after each read: readings add up. */
			calls += v[i].calls;
			arg_sum += v[i].arg_sum;
			tgid_entries++;
		}
		if (d->n && !emf_sample_data__json(d, &b))
			snprintf(json, sizeof(json), "%s", b.data);
	} else if (!strcmp(map, "by_parity")) {
		const __u64 *v = d->values;
		const __u32 *k = d->keys;

		/* Not cleared: each reading is the running total. */
		for (i = 0; i < d->n; i++)
			*(k[i] ? &odd : &even) = v[i];
	} else if (!strcmp(map, "parity_hist")) {
		const struct smp__smp_hist *v = d->values;
		const __u32 *k = d->keys;
		size_t j;

		parity_readings++;
		for (i = 0; i < d->n; i++)
			for (j = 0; j < 8; j++)
				parity_hist[k[i] & 1][j] = v[i].slots[j];
	} else if (!strcmp(map, "arg_hist")) {
		const __u64 *v = d->values;
		const __u32 *k = d->keys;

		for (i = 0; i < d->n; i++)
			hist[k[i] & 63] = v[i];
		if (d->n && !emf_sample_data__text(d, &b))
			snprintf(text, sizeof(text), "%s", b.data);
	}
	emf_buf__free(&b);
	return 0;
}

int main(void)
{
	struct emf_runtime *rt;
	struct emf_plugin *p;
	unsigned long long want_sum = 0;
	time_t end;
	int i, ret;

	ret = ktest_begin();
	if (ret)
		return ret;
	rt = emf_runtime__new(&(struct emf_runtime_opts){ .sz = sizeof(struct emf_runtime_opts),
							   .sample_cb = on_sample });
	p = rt ? emf_runtime__add(rt, &smp__plugin) : NULL;
	CHECK(p, "cannot add the plugin: %s\n", emf_strerror(errno));
	CHECK(smp__set_target_tgid(p, getpid()) == 0, "cannot set target_tgid\n");
	CHECK(!emf_runtime__start(rt), "start: %s\n", emf_runtime__last_error(rt));
	CHECK(smp__plugin.n_samples == 4, "%u sampled maps, want 4\n", smp__plugin.n_samples);

	/* 300 calls: arguments 1..300 (getpgid of a missing pid just fails). */
	for (i = 1; i <= 300; i++) {
		syscall(SYS_getpgid, 100000000 + i);
		want_sum += 100000000 + i;
	}
	for (end = time(NULL) + 3; time(NULL) < end && calls < 300;)
		emf_runtime__poll(rt, 50);
	/* Long enough for every map's next reading (every 100 ms). */
	for (i = 0; i < 8; i++)
		emf_runtime__poll(rt, 50);
	{
		struct timespec t0, t1;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		do {
			emf_runtime__poll(rt, 50);
			clock_gettime(CLOCK_MONOTONIC, &t1);
		} while ((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 < 400);
	}
	CHECK(parity_readings == 0, "parity_hist, with no interval, was read %d times on the timer\n",
	      parity_readings);
	CHECK(emf_runtime__sample(rt, NULL) == 0, "emf_runtime__sample: %s\n", emf_strerror(errno));
	CHECK(parity_readings == 1, "emf_runtime__sample gave %d readings of parity_hist, want 1\n",
	      parity_readings);
	emf_runtime__destroy(rt);

	/* What the BPF code counted, summed over the CPUs: slot arg & 7. */
	for (i = 1; i <= 300; i++) {
		int slot = (100000000 + i) & 7;

		CHECK(parity_hist[i & 1][slot]-- > 0, "parity_hist[%d] slot %d: fewer than counted\n",
		      i & 1, slot);
	}
	for (i = 0; i < 16; i++)
		CHECK(!parity_hist[i / 8][i % 8], "parity_hist[%d] slot %d: more than counted\n", i / 8,
		      i % 8);
	CHECK(readings >= 3, "only %d readings of the 3 maps\n", readings);
	CHECK(calls == 300, "by_tgid counted %llu calls, want 300\n", calls);
	CHECK(arg_sum == want_sum, "by_tgid arg_sum %llu, want %llu\n", arg_sum, want_sum);
	CHECK(odd == 150 && even == 150, "by_parity %llu odd, %llu even, want 150 each\n", odd,
	      even);
	/* 100000001..100000300 all lie in [2^26, 2^27). */
	CHECK(hist[26] == 300, "arg_hist slot 26 holds %llu, want 300\n", hist[26]);
	CHECK(strstr(json, "\"map\":\"by_tgid\",\"entries\":[{\"key\":") &&
		      strstr(json, "\"value\":{\"calls\":"),
	      "JSON: %s\n", json);
	CHECK(strstr(text, "67108864 -> 134217727") && strstr(text, "300"), "text: %s\n", text);
	printf("PASS: %d readings; JSON %s\n%s", readings, json, text);
	return 0;
}
