// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Decode and render benchmark, one run, side by side: a stream of execsnoop
 * events in memory consumed by (a) a hand-written libbpf-style callback that
 * reads its own copy of the struct, (b) the generated typed path, (c) the
 * generated text renderer, (d) the generated JSON-lines writer, (e)
 * jansson objects dumped to the same JSON, and (f) field selections
 * (emf_fields__*, rendered from the field table), every field and
 * "pid,comm,filename", in text and JSON. Each consumer is called through a
 * function pointer, as a ring buffer callback is. Prints BENCH lines.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <jansson.h>

#include <emf/fmt.h>

#include "execsnoop.emf.h"

#define N_EVENTS (1 << 20)
#define N_DISTINCT 1024

/* What a libbpf tool declares by hand in user space. */
struct handwritten_event {
	unsigned long long ts;
	int pid;
	int ppid;
	unsigned int uid;
	long long ret;
	char comm[16];
	char filename[127];
	char args[sizeof(((struct execsnoop__event *)0)->args)];
};

static volatile uint64_t sink;
static struct emf_buf out;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int handwritten(void *ctx, void *data, size_t size)
{
	const struct handwritten_event *e = data;

	if (size < offsetof(struct handwritten_event, args))
		return 0;
	sink += e->pid + e->ppid + e->uid + (unsigned char)e->comm[0] +
		(unsigned char)e->filename[0];
	return 0;
}

static int typed(void *ctx, void *data, size_t size)
{
	const struct execsnoop__event *e = execsnoop__event__from(data, size);

	if (!e)
		return 0;
	sink += e->pid + e->ppid + e->uid + (unsigned char)e->comm[0] +
		(unsigned char)e->filename[0];
	return 0;
}

static int text(void *ctx, void *data, size_t size)
{
	const struct emf_event_type *t = &execsnoop__event__type;
	char *p = emf_buf__reserve(&out, t->text_max + 1);

	p = t->render_text(p, data, size);
	*p++ = '\n';
	emf_buf__commit(&out, p);
	if (out.len > 1 << 20)
		emf_buf__reset(&out);
	return 0;
}

static int json_lines(void *ctx, void *data, size_t size)
{
	const struct emf_event_type *t = &execsnoop__event__type;
	char *p = emf_buf__reserve(&out, t->json_max + 3);

	*p++ = '{';
	p = t->render_json(p, data, size);
	*p++ = '}';
	*p++ = '\n';
	emf_buf__commit(&out, p);
	if (out.len > 1 << 20)
		emf_buf__reset(&out);
	return 0;
}

static int jansson(void *ctx, void *data, size_t size)
{
	json_t *o = execsnoop__event__type.to_json(data, size);
	char buf[1024];

	sink += json_dumpb(o, buf, sizeof(buf), JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	return 0;
}

static struct emf_fields *sel;

static int fields_text(void *ctx, void *data, size_t size)
{
	char *p = emf_buf__reserve(&out, emf_fields__text_max(sel) + 1);

	p = emf_fields__text(sel, p, data, size);
	*p++ = '\n';
	emf_buf__commit(&out, p);
	if (out.len > 1 << 20)
		emf_buf__reset(&out);
	return 0;
}

static int fields_json(void *ctx, void *data, size_t size)
{
	char *p = emf_buf__reserve(&out, emf_fields__json_max(sel) + 3);

	*p++ = '{';
	p = emf_fields__json(sel, p, data, size);
	*p++ = '}';
	*p++ = '\n';
	emf_buf__commit(&out, p);
	if (out.len > 1 << 20)
		emf_buf__reset(&out);
	return 0;
}

/* Text and JSON rate of the selection @list (NULL: every field). */
static void bench_fields(const char *name, const char *list, struct execsnoop__event *evs,
			 double txt, double jl);

typedef int (*sample_fn)(void *ctx, void *data, size_t size);

static size_t sizes[N_DISTINCT];

static double run(sample_fn fn, struct execsnoop__event *evs)
{
	sample_fn volatile call = fn;
	double t0 = now();

	/* Sent as the BPF side sends it: cut after the arguments it holds. */
	for (int i = 0; i < N_EVENTS; i++)
		call(NULL, &evs[i % N_DISTINCT], sizes[i % N_DISTINCT]);
	return N_EVENTS / (now() - t0);
}

/* Best of three runs: the machine is shared. */
static double best(sample_fn fn, struct execsnoop__event *evs)
{
	double r, b = 0;

	for (int i = 0; i < 3; i++)
		if ((r = run(fn, evs)) > b)
			b = r;
	return b;
}

static void bench_fields(const char *name, const char *list, struct execsnoop__event *evs,
			 double txt, double jl)
{
	double ft, fj;

	if (emf_fields__new(&execsnoop__event__type, list, &sel, NULL, 0))
		return;
	ft = best(fields_text, evs);
	fj = best(fields_json, evs);
	printf("BENCH fields_%s_text %.0f events/s\n", name, ft);
	printf("BENCH fields_%s_text_vs_compiled_ratio %.2f x\n", name, ft / txt);
	printf("BENCH fields_%s_json %.0f events/s\n", name, fj);
	printf("BENCH fields_%s_json_vs_compiled_ratio %.2f x\n", name, fj / jl);
	emf_fields__free(sel);
}

int main(void)
{
	struct execsnoop__event *evs = calloc(N_DISTINCT, sizeof(*evs));
	double hand, typ, txt, jl, jan;

	for (int i = 0; i < N_DISTINCT; i++) {
		evs[i].pid = 1000 + i;
		evs[i].ppid = 1;
		evs[i].uid = i % 3;
		snprintf(evs[i].comm, sizeof(evs[i].comm), "proc-%d", i);
		snprintf(evs[i].filename, sizeof(evs[i].filename), "/usr/bin/program-%d", i);
		/* argv: the program, then two arguments; uid 0-2, result 0 or -ENOENT. */
		sizes[i] = offsetof(struct execsnoop__event, args) +
			   snprintf(evs[i].args, sizeof(evs[i].args), "program-%d%c-v%c/tmp/file-%d", i,
				    0, 0, i) + 1;
		evs[i].ret = i % 7 ? 0 : -2;
	}
	hand = best(handwritten, evs);
	typ = best(typed, evs);
	txt = best(text, evs);
	jl = best(json_lines, evs);
	jan = best(jansson, evs);
	printf("BENCH decode_handwritten %.0f events/s\n", hand);
	printf("BENCH decode_typed %.0f events/s\n", typ);
	printf("BENCH decode_typed_vs_handwritten_ratio %.3f x\n", hand / typ);
	printf("BENCH render_text %.0f events/s\n", txt);
	printf("BENCH render_json_lines %.0f events/s\n", jl);
	printf("BENCH render_jansson %.0f events/s\n", jan);
	printf("BENCH json_lines_vs_jansson_ratio %.2f x\n", jl / jan);
	bench_fields("all", NULL, evs, txt, jl);
	bench_fields("three", "pid,comm,filename", evs, txt, jl);
	emf_buf__free(&out);
	free(evs);
	return 0;
}
