// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Metrics of a huge sampled map: 100,000 keys written into the bigmap test
 * plugin's hash map, read by the runtime from the kernel and kept by the
 * metrics. Taking the reading and rendering it must stay in bounded time and
 * memory, the family must hold 10,000 series (the default bound) plus one
 * labelled "other" that sums the rest, and the overflow must be counted.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/types.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <emf/errno.h>
#include <emf/fmt.h>
#include <emf/metrics.h>
#include <emf/runtime.h>

#include "bigmap.emf.h"
#include "ktest.h"

#define CHECK KTEST_CHECK
#define KEYS 100000

static struct emf_metrics *metrics;
static double ingest_ms;
static size_t big_n;

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static long rss_kb(void)
{
	long pages = 0, rss = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f && fscanf(f, "%ld %ld", &pages, &rss) != 2)
		rss = 0;
	if (f)
		fclose(f);
	return rss * (sysconf(_SC_PAGESIZE) / 1024);
}

static int on_sample(void *ctx, const struct emf_sample_data *d)
{
	double t0 = now_ms();
	int err = emf_metrics__sample(metrics, d);

	if (d->n >= KEYS) {
		ingest_ms = now_ms() - t0;
		big_n = d->n;
	}
	return err;
}

int main(void)
{
	unsigned long long want_hits = 0, hits = 0, other = 0, overflow = 0;
	struct emf_buf b = {};
	struct emf_runtime *rt;
	struct emf_plugin *p;
	struct bpf_map *map;
	long rss0, rss1;
	double t0, render_ms;
	size_t series = 0;
	char *line;
	int fd, i, ret;

	ret = ktest_begin();
	if (ret)
		return ret;
	rt = emf_runtime__new(&(struct emf_runtime_opts){ .sz = sizeof(struct emf_runtime_opts),
							   .sample_cb = on_sample });
	p = rt ? emf_runtime__add(rt, &bigmap__plugin) : NULL;
	CHECK(p, "cannot add the plugin: %s\n", emf_strerror(errno));
	CHECK(!bigmap__set_target_tgid(p, getpid()), "cannot set target_tgid\n");
	metrics = emf_metrics__new(rt, NULL);
	CHECK(metrics, "emf_metrics__new: %s\n", emf_strerror(errno));
	CHECK(!emf_runtime__start(rt), "start: %s\n", emf_runtime__last_error(rt));
	map = bpf_object__find_map_by_name(emf_plugin__object(p), "big");
	CHECK(map, "plugin bigmap has no map 'big'\n");
	fd = bpf_map__fd(map);

	rss0 = rss_kb();
	for (i = 0; i < KEYS; i++) {
		struct bigmap__big_key k = { .id = (__u32)i };
		struct bigmap__big_val v = { .hits = (__u64)(i % 7 + 1), .wait_ns = 1000 };

		snprintf(k.tag, sizeof(k.tag), "k%d", i % 1000);
		CHECK(!bpf_map_update_elem(fd, &k, &v, BPF_NOEXIST), "map update %d: %s\n", i,
		      strerror(errno));
		want_hits += v.hits;
	}
	for (t0 = now_ms(); !big_n && now_ms() - t0 < 5000;)
		emf_runtime__poll(rt, 50);
	CHECK(big_n == KEYS, "no reading of the %d keys in 5 s (last had %zu)\n", KEYS, big_n);

	t0 = now_ms();
	CHECK(!emf_metrics__render(metrics, &b, EMF_METRICS_TEXT), "render failed\n");
	render_ms = now_ms() - t0;
	rss1 = rss_kb();

	for (line = b.data; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		unsigned long long v;

		if (!strncmp(line, "emf_bigmap_big_hits_total{", 26)) {
			char *sp = strchr(line, ' ');

			CHECK(sp && sscanf(sp, " %llu", &v) == 1, "bad line: %.80s\n", line);
			series++;
			hits += v;
			if (!strncmp(line + 26, "id=\"other\",tag=\"other\"}", 23))
				other = v;
		} else if (!strncmp(line, "emf_metrics_overflow_total{metric=\"emf_bigmap_big\"} ", 52)) {
			CHECK(sscanf(line + 52, "%llu", &overflow) == 1, "bad line: %.80s\n", line);
		}
	}
	CHECK(strstr(b.data, "# TYPE emf_bigmap_big_wait_seconds_total counter\n") &&
		      strstr(b.data, "\"} 0.000001\n"),
	      "no family emf_bigmap_big_wait_seconds_total of 0.000001 s per key\n");
	CHECK(series == EMF_METRICS_MAX_SERIES_DEFAULT + 1,
	      "family emf_bigmap_big_hits_total has %zu series, want %d and one 'other'\n", series,
	      EMF_METRICS_MAX_SERIES_DEFAULT);
	CHECK(hits == want_hits, "the series sum to %llu hits, want %llu\n", hits, want_hits);
	CHECK(other > 0, "the 'other' series is missing or empty\n");
	CHECK(overflow == KEYS - EMF_METRICS_MAX_SERIES_DEFAULT, "overflow counted %llu, want %d\n",
	      overflow, KEYS - EMF_METRICS_MAX_SERIES_DEFAULT);
	/* Bounds generous for a loaded 2-CPU VM: a scrape interval is 1 s at the least. */
	CHECK(ingest_ms < 1000, "taking the reading of %d keys took %.0f ms\n", KEYS, ingest_ms);
	CHECK(render_ms < 500, "rendering took %.0f ms\n", render_ms);
	CHECK(rss1 - rss0 < 64 * 1024, "memory grew by %ld kB\n", rss1 - rss0);

	emf_buf__free(&b);
	emf_metrics__destroy(metrics);
	emf_runtime__destroy(rt);
	printf("PASS: %d keys: reading taken in %.1f ms, rendered in %.1f ms (%zu series, 'other' %llu hits, overflow %llu), memory +%ld kB\n",
	       KEYS, ingest_ms, render_ms, series, other, overflow, rss1 - rss0);
	return 0;
}
