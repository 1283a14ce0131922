// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Sampled maps (EMF_SAMPLE_* of <emf/emf.bpf.h>): read on the reader's drain
 * timer when due, per-CPU values summed, cleared after the read when asked,
 * handed to the host's sample callback and published on the bus as JSON.
 * Maps emf-codegen recognised by their shape have no interval: the host reads
 * them with emf_runtime__sample(). Log2 histograms are either an array of
 * counts (key = slot) or one histogram per key in a value struct's "slots",
 * and both print through one renderer, as libbpf-tools' print_log2_hist().
 * This runs once per interval per map, so it renders with the field-table
 * walker of render.c instead of needing generated code of its own.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <emf/errno.h>
#include <emf/fmt.h>
#include <emf/runtime.h>

#include "kernel.h"
#include "log_internal.h"
#include "opts_internal.h"
#include "render_internal.h"
#include "runtime_internal.h"

#define HIST_SLOTS 64

struct emf_sample_rt {
	const struct emf_sample *s;
	struct bpf_map *map;
	uint64_t next_ms; /* CLOCK_MONOTONIC time of the next read */
	char *topic; /* "PLUGIN.MAP" */
	bool warned;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ULL + ts.tv_nsec / 1000000;
}

/* ---- rendering from field tables (render.c's walker) --------------------- */

static int64_t read_int(const void *p, uint32_t size, bool sign)
{
	return emf__read_int(p, size, sign);
}

/* Render field @f of the object at @base. */
static int render(struct emf_buf *b, const struct emf_field *f, const void *base, bool json)
{
	char *o = emf_buf__reserve(b, emf__render_max(f, json));

	if (!o)
		return -ENOMEM;
	emf_buf__commit(b, emf__render(o, f, base, UINT32_MAX, json));
	return 0;
}

/* JSON: after a named number, ,"NAME_name":"..." (what text shows), as the decoders write it. */
static int render_name(struct emf_buf *b, const struct emf_field *f, const void *base,
		       const char *name)
{
	char *o = emf_buf__reserve(b, emf__render_name_max(name));

	if (!o)
		return -ENOMEM;
	emf_buf__commit(b, emf__render_name(o, f, base, name));
	return 0;
}

static int appendf(struct emf_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int appendf(struct emf_buf *b, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	return emf_buf__append(b, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

static bool all_zero(const char *p, size_t n)
{
	while (n--)
		if (*p++)
			return false;
	return true;
}

static bool all_ones(const char *p, size_t n)
{
	while (n--)
		if ((unsigned char)*p++ != 0xff)
			return false;
	return true;
}

/* The "slots" array of a keyed histogram's value struct, or NULL for the array form. */
static const struct emf_field *slots_field(const struct emf_sample *s)
{
	uint32_t i;

	if (s->kind != EMF_SAMPLE_LOG2_HIST || s->value.kind != EMF_FIELD_STRUCT ||
	    s->value.count || !s->value.type)
		return NULL;
	for (i = 0; i < s->value.type->n_fields; i++) {
		const struct emf_field *f = &s->value.type->fields[i];

		if (!strcmp(f->name, "slots") && f->count &&
		    (f->kind == EMF_FIELD_UINT || f->kind == EMF_FIELD_INT))
			return f;
	}
	return NULL;
}

/* Counts per slot of entry @row (keyed form) or of the whole reading; the highest used slot, or -1. */
static int hist_counts(const struct emf_sample_data *d, const struct emf_field *slots, size_t row,
		       uint64_t counts[HIST_SLOTS])
{
	const struct emf_sample *s = d->sample;
	int top = -1;
	size_t i;

	memset(counts, 0, HIST_SLOTS * sizeof(*counts));
	if (slots) {
		const char *v = (const char *)d->values + row * s->value.size + slots->offset;
		uint32_t esz = slots->size / slots->count;

		for (i = 0; i < slots->count; i++)
			counts[i < HIST_SLOTS ? i : HIST_SLOTS - 1] +=
				(uint64_t)read_int(v + i * esz, esz, false);
	} else {
		for (i = 0; i < d->n; i++) {
			uint64_t slot = (uint64_t)read_int((const char *)d->keys + i * s->key.size,
							   s->key.size, false);

			counts[slot < HIST_SLOTS ? slot : HIST_SLOTS - 1] += (uint64_t)read_int(
				(const char *)d->values + i * s->value.size, s->value.size, false);
		}
	}
	for (i = 0; i < HIST_SLOTS; i++)
		if (counts[i])
			top = (int)i;
	return top;
}

/* Slot i holds 2^i <= v < 2^(i+1), slot 0 also v = 0: the bounds print_log2_hist() shows. */
static uint64_t slot_low(int i)
{
	return i ? 1ULL << i : 0;
}

static uint64_t slot_high(int i)
{
	return i >= 63 ? ~0ULL : (2ULL << i) - 1;
}

/* JSON: [{"low":L,"high":H,"count":N},...], slots 0 to the highest used. */
static int hist_json(struct emf_buf *b, const uint64_t *counts, int top)
{
	int i, err = emf_buf__append(b, "[", 1);

	for (i = 0; !err && i <= top; i++)
		err = appendf(b, "%s{\"low\":%llu,\"high\":%llu,\"count\":%llu}", i ? "," : "",
			      (unsigned long long)slot_low(i), (unsigned long long)slot_high(i),
			      (unsigned long long)counts[i]);
	return err ?: emf_buf__append(b, "]", 1);
}

/*
 * Text, as libbpf-tools' print_log2_hist(): a header, then "low -> high :
 * count |****|" from slot 0 to the highest used, 40 stars for the largest
 * (20, in wider columns, past slot 32).
 */
static int hist_text(struct emf_buf *b, const uint64_t *counts, int top, const char *unit)
{
	int i, width = top <= 32 ? 10 : 20, stars_max = top <= 32 ? 40 : 20, err;
	uint64_t max = 0;

	for (i = 0; i <= top; i++)
		if (counts[i] > max)
			max = counts[i];
	err = appendf(b, "%*s%-*s : count    distribution\n", top <= 32 ? 5 : 15, "",
		      top <= 32 ? 19 : 29, unit);
	for (i = 0; !err && i <= top; i++) {
		int stars = max ? (int)(counts[i] * stars_max / max) : 0;
		char bar[41];

		memset(bar, '*', stars);
		memset(bar + stars, ' ', stars_max - stars);
		bar[stars_max] = '\0';
		err = appendf(b, "%*llu -> %-*llu : %-8llu |%s|\n", width,
			      (unsigned long long)slot_low(i), width, (unsigned long long)slot_high(i),
			      (unsigned long long)counts[i], bar);
	}
	return err;
}

/* JSON of a keyed histogram entry: "key":K, the value's other members, "hist":[...]. */
static int keyed_json(struct emf_buf *b, const struct emf_sample_data *d,
		      const struct emf_field *slots, size_t row)
{
	const struct emf_sample *s = d->sample;
	const char *k = (const char *)d->keys + row * s->key.size;
	const char *v = (const char *)d->values + row * s->value.size;
	uint64_t counts[HIST_SLOTS];
	uint32_t i;
	int err;

	err = emf_buf__append(b, "{\"key\":", 7);
	err = err ?: render(b, &s->key, k, true);
	err = err ?: render_name(b, &s->key, k, "key");
	for (i = 0; !err && i < s->value.type->n_fields; i++) {
		const struct emf_field *f = &s->value.type->fields[i];

		if (f == slots)
			continue;
		err = appendf(b, ",\"%s\":", f->name);
		err = err ?: render(b, f, v, true);
		err = err ?: render_name(b, f, v, f->name);
	}
	err = err ?: emf_buf__append(b, ",\"hist\":", 8);
	err = err ?: hist_json(b, counts, hist_counts(d, slots, row, counts));
	return err ?: emf_buf__append(b, "}", 1);
}

int emf_sample_data__json(const struct emf_sample_data *d, struct emf_buf *b)
{
	const struct emf_sample *s = d->sample;
	const struct emf_field *slots = slots_field(s);
	uint64_t counts[HIST_SLOTS];
	size_t i;
	int err;

	err = appendf(b, "{\"plugin\":\"%s\",\"map\":\"%s\",\"%s\":",
		      emf_plugin__name(d->plugin), s->map_name,
		      slots ? "hists" : s->kind == EMF_SAMPLE_LOG2_HIST ? "hist" : "entries");
	if (!err && s->kind == EMF_SAMPLE_LOG2_HIST && !slots) {
		err = hist_json(b, counts, hist_counts(d, NULL, 0, counts));
		return err ?: emf_buf__append(b, "}", 1);
	}
	err = err ?: emf_buf__append(b, "[", 1);
	for (i = 0; !err && i < d->n; i++) {
		if (i)
			err = emf_buf__append(b, ",", 1);
		if (slots) {
			err = err ?: keyed_json(b, d, slots, i);
			continue;
		}
		err = err ?: emf_buf__append(b, "{\"key\":", 7);
		if (!err)
			err = render(b, &s->key, (const char *)d->keys + i * s->key.size, true);
		if (!err)
			err = render_name(b, &s->key, (const char *)d->keys + i * s->key.size, "key");
		if (!err)
			err = emf_buf__append(b, ",\"value\":", 9);
		if (!err)
			err = render(b, &s->value, (const char *)d->values + i * s->value.size, true);
		if (!err)
			err = emf_buf__append(b, "}", 1);
	}
	return err ?: emf_buf__append(b, "]}", 2);
}

/* "f = v, g = w" of a struct's fields but @skip, or "key = v" of a plain key. */
static int label(struct emf_buf *b, const struct emf_field *f, const void *base,
		 const struct emf_field *skip, bool *first)
{
	uint32_t i;
	int err = 0;

	if (f->kind != EMF_FIELD_STRUCT || f->count) {
		err = appendf(b, "%s%s = ", *first ? "" : ", ", f->name);
		*first = false;
		return err ?: render(b, f, base, false);
	}
	for (i = 0; !err && i < f->type->n_fields; i++) {
		const struct emf_field *sub = &f->type->fields[i];

		if (sub == skip)
			continue;
		err = appendf(b, "%s%s = ", *first ? "" : ", ", sub->name);
		*first = false;
		err = err ?: render(b, sub, base, false);
	}
	return err;
}

/* Text of a log2 reading: one histogram, or one per key under a "key = ..." line. */
static int hists_text(const struct emf_sample_data *d, struct emf_buf *b)
{
	const struct emf_sample *s = d->sample;
	const struct emf_field *slots = slots_field(s);
	uint64_t counts[HIST_SLOTS];
	size_t i;
	int err = 0;

	if (!slots)
		return hist_text(b, counts, hist_counts(d, NULL, 0, counts), "value");
	for (i = 0; !err && i < d->n; i++) {
		const char *k = (const char *)d->keys + i * s->key.size;
		bool first = true;
		int top = hist_counts(d, slots, i, counts);

		if (top < 0)
			continue;
		/*
		 * One histogram under a key of all zeros or all ones is the whole
		 * map (a single-slot array, runqlat's key -1 when not per process):
		 * it needs no name, as libbpf-tools print it.
		 */
		if (d->n > 1 || !(all_zero(k, s->key.size) || all_ones(k, s->key.size))) {
			if (i)
				err = emf_buf__append(b, "\n", 1);
			err = err ?: label(b, &s->key, k, NULL, &first);
			err = err ?: label(b, &s->value, (const char *)d->values + i * s->value.size,
					   slots, &first);
			err = err ?: emf_buf__append(b, "\n", 1);
		}
		err = err ?: hist_text(b, counts, top, "value");
	}
	return err;
}

/* Column titles: a struct's field names, or @plain. */
static int header(struct emf_buf *b, const struct emf_field *f, const char *plain)
{
	uint32_t i;
	int err = 0;

	if (f->kind != EMF_FIELD_STRUCT || f->count) {
		return appendf(b, "%-14s ", plain);
	}
	for (i = 0; !err && i < f->type->n_fields; i++) {
		char up[64];
		size_t j;

		for (j = 0; f->type->fields[i].name[j] && j < sizeof(up) - 1; j++)
			up[j] = (char)(f->type->fields[i].name[j] & ~0x20);
		up[j] = '\0';
		err = appendf(b, "%-14s ", up);
	}
	return err;
}

/* A row cell per struct field, or one cell. */
static int cells(struct emf_buf *b, const struct emf_field *f, const void *base)
{
	uint32_t i;
	int err = 0;

	if (f->kind != EMF_FIELD_STRUCT || f->count) {
		size_t start = b->len;

		err = render(b, f, base, false);
		while (!err && b->len - start < 14)
			err = emf_buf__append(b, " ", 1);
		return err ?: emf_buf__append(b, " ", 1);
	}
	for (i = 0; !err && i < f->type->n_fields; i++) {
		size_t start = b->len;

		err = render(b, &f->type->fields[i], base, false);
		while (!err && b->len - start < 14)
			err = emf_buf__append(b, " ", 1);
		if (!err)
			err = emf_buf__append(b, " ", 1);
	}
	return err;
}

/* The integer field rows sort by: @name among the value's then the key's fields, else the first of the value. */
static const struct emf_field *sort_field(const struct emf_sample *s, const char *name,
					  bool *in_key)
{
	const struct emf_field *v = &s->value, *k = &s->key;
	uint32_t i;

	*in_key = false;
	if (v->kind == EMF_FIELD_STRUCT && !v->count) {
		for (i = 0; i < v->type->n_fields; i++) {
			const struct emf_field *f = &v->type->fields[i];

			if ((f->kind == EMF_FIELD_INT || f->kind == EMF_FIELD_UINT) && !f->count &&
			    !f->bit_size && (!name || !strcmp(f->name, name)))
				return f;
		}
	} else if ((v->kind == EMF_FIELD_INT || v->kind == EMF_FIELD_UINT) && !v->count &&
		   (!name || !strcmp(name, "value"))) {
		return v;
	}
	*in_key = true;
	if (name && k->kind == EMF_FIELD_STRUCT && !k->count)
		for (i = 0; i < k->type->n_fields; i++)
			if (!strcmp(k->type->fields[i].name, name) && !k->type->fields[i].count)
				return &k->type->fields[i];
	return NULL;
}

struct sort_ctx {
	const struct emf_sample_data *d;
	const struct emf_field *f;
	bool in_key;
};

static int64_t sort_value(const struct sort_ctx *c, size_t row)
{
	const struct emf_sample *s = c->d->sample;
	const char *base = c->in_key ? (const char *)c->d->keys + row * s->key.size :
				       (const char *)c->d->values + row * s->value.size;
	size_t off = c->f == &s->value || c->f == &s->key ? 0 : c->f->offset;

	return read_int(base + off, c->f->size, c->f->kind == EMF_FIELD_INT);
}

/* Largest first, ties in the map's order: a small insertion sort, rows are few. */
static void sort_rows(const struct sort_ctx *c, size_t *rows, size_t n)
{
	size_t i, j;

	for (i = 1; i < n; i++) {
		size_t r = rows[i];
		int64_t v = sort_value(c, r);

		for (j = i; j > 0 && sort_value(c, rows[j - 1]) < v; j--)
			rows[j] = rows[j - 1];
		rows[j] = r;
	}
}

int emf_sample_data__text(const struct emf_sample_data *d, struct emf_buf *b)
{
	return emf_sample_data__text_opts(d, b, NULL);
}

int emf_sample_data__text_opts(const struct emf_sample_data *d, struct emf_buf *b,
			       const struct emf_sample_text_opts *opts)
{
	const struct emf_sample *s = d->sample;
	const char *title = OPTS_GET(opts, title, NULL), *sort = OPTS_GET(opts, sort, NULL);
	size_t top = OPTS_GET(opts, top, 0), shown = d->n, *rows = NULL;
	struct sort_ctx sc = { .d = d };
	size_t i;
	int err;

	if (!OPTS_VALID(opts, emf_sample_text_opts))
		return -EINVAL;
	/* An empty reading says nothing: no title, no header. */
	if (!d->n)
		return 0;
	if (s->kind != EMF_SAMPLE_LOG2_HIST) {
		sc.f = sort_field(s, sort, &sc.in_key);
		rows = malloc(d->n * sizeof(*rows));
		if (!rows)
			return -ENOMEM;
		for (i = 0; i < d->n; i++)
			rows[i] = i;
		if (sc.f)
			sort_rows(&sc, rows, d->n);
		if (top && top < d->n)
			shown = top;
	}
	err = appendf(b, "%s%s%s %s", title ?: "", title ? " " : "", emf_plugin__name(d->plugin),
		      s->map_name);
	if (s->kind == EMF_SAMPLE_LOG2_HIST)
		err = err ?: appendf(b, " (log2 histogram%s)", slots_field(s) && d->n > 1 ? "s" : "");
	else if (shown < d->n)
		err = err ?: appendf(b, " (top %zu of %zu%s%s)", shown, d->n, sc.f ? " by " : "",
				     sc.f ? sc.f->name : "");
	err = err ?: appendf(b, "\n");
	if (s->kind == EMF_SAMPLE_LOG2_HIST)
		return err ?: hists_text(d, b);
	err = err ?: header(b, &s->key, "KEY");
	err = err ?: header(b, &s->value, "VALUE");
	while (!err && b->len && b->data[b->len - 1] == ' ')
		b->len--;
	err = err ?: emf_buf__append(b, "\n", 1);
	for (i = 0; !err && i < shown; i++) {
		size_t r = rows[i];

		err = cells(b, &s->key, (const char *)d->keys + r * s->key.size);
		err = err ?: cells(b, &s->value, (const char *)d->values + r * s->value.size);
		while (!err && b->len && b->data[b->len - 1] == ' ')
			b->len--;
		err = err ?: emf_buf__append(b, "\n", 1);
	}
	free(rows);
	return err;
}

/* ---- reading the maps ----------------------------------------------------- */

/* Add CPU @src's value into @dst, integer by integer, as the field table lays it out. */
static void add_values(const struct emf_field *f, char *dst, const char *src)
{
	uint32_t i;

	if ((f->kind == EMF_FIELD_STRUCT) && !f->count) {
		for (i = 0; i < f->type->n_fields; i++) {
			struct emf_field sub = f->type->fields[i];

			if (sub.bit_size)
				continue;
			add_values(&sub, dst + f->offset, src + f->offset);
		}
		return;
	}
	if ((f->kind != EMF_FIELD_INT && f->kind != EMF_FIELD_UINT) || f->bit_size)
		return;
	/* Arrays too, element by element: the slots of a histogram. */
	for (i = 0; i < (f->count ?: 1); i++) {
		uint32_t esz = f->count ? f->size / f->count : f->size;
		size_t off = f->offset + (size_t)i * esz;
		uint64_t a = 0, c = 0;

		if (esz != 1 && esz != 2 && esz != 4 && esz != 8)
			return;
		memcpy(&a, dst + off, esz);
		memcpy(&c, src + off, esz);
		a += c;
		memcpy(dst + off, &a, esz);
	}
}

/* Read one sampled map into the data arrays; clear it when asked. */
static int read_map(struct emf_runtime *rt, struct emf_plugin *p, struct emf_sample_rt *sr,
		    bool clear, struct emf_sample_data *d, char **keys, char **vals)
{
	const struct emf_sample *s = sr->s;
	enum bpf_map_type type = bpf_map__type(sr->map);
	bool percpu = type == BPF_MAP_TYPE_PERCPU_ARRAY || type == BPF_MAP_TYPE_PERCPU_HASH;
	bool array = type == BPF_MAP_TYPE_ARRAY || type == BPF_MAP_TYPE_PERCPU_ARRAY;
	size_t ksz = s->key.size, vsz = s->value.size, cpus = percpu ? rt->ncpus : 1;
	size_t vstride = percpu ? (vsz + 7) / 8 * 8 : vsz, cap = bpf_map__max_entries(sr->map);
	const struct emf__kernel_ops *k = rt->kernel;
	int fd = k->map_fd(sr->map), err = 0;
	char *raw, *key, *next, *zero;
	bool first = true;
	size_t c, n = 0;

	*keys = calloc(cap ?: 1, ksz);
	*vals = calloc(cap ?: 1, vsz);
	raw = calloc(cpus, vstride);
	key = calloc(2, ksz);
	zero = calloc(cpus, vstride);
	if (!*keys || !*vals || !raw || !key || !zero) {
		err = -ENOMEM;
		goto out;
	}
	next = key + ksz;
	/*
	 * The keys first, then each value: deleting while walking would restart
	 * the walk and read entries re-created meanwhile twice.
	 */
	while (n < cap && !k->map_next_key(fd, first ? NULL : key, next)) {
		first = false;
		memcpy(key, next, ksz);
		memcpy(*keys + n++ * ksz, key, ksz);
	}
	cap = n;
	for (size_t i = n = 0; i < cap; i++) {
		memcpy(key, *keys + i * ksz, ksz);
		if (k->map_lookup(fd, key, raw))
			continue;
		if (!array && clear)
			k->map_delete(fd, key);
		else if (array && clear)
			k->map_update(fd, key, zero, BPF_ANY);
		memcpy(*vals + n * vsz, raw, vsz);
		for (c = 1; c < cpus; c++)
			add_values(&s->value, *vals + n * vsz, raw + c * vstride);
		/* Arrays hold every slot: only the ones that counted something are news. */
		if (array && all_zero(*vals + n * vsz, vsz))
			continue;
		memcpy(*keys + n * ksz, key, ksz);
		n++;
	}
	d->plugin = p;
	d->sample = s;
	d->n = n;
	d->keys = *keys;
	d->values = *vals;
out:
	free(raw);
	free(key);
	free(zero);
	return err;
}

static int sample_one(struct emf_runtime *rt, struct emf_plugin *p, struct emf_sample_rt *sr,
		      bool clear)
{
	struct emf_sample_data d = {};
	char *keys = NULL, *vals = NULL;
	int err;

	err = read_map(rt, p, sr, clear, &d, &keys, &vals);
	if (err) {
		if (!sr->warned)
			pr_warn("sample: failed to read map '%s' of plugin '%s': %s\n",
				sr->s->map_name, p->desc->name, emf_strerror(err));
		sr->warned = true;
		goto out;
	}
	if (rt->sample_cb)
		err = rt->sample_cb(rt->ctx, &d);
	if (rt->tee.event && sr->topic) {
		struct emf_buf b = {};

		if (!emf_sample_data__json(&d, &b))
			rt->tee.event(rt->tee.ctx, sr->topic, NULL, b.data, b.len);
		emf_buf__free(&b);
	}
out:
	free(keys);
	free(vals);
	return err < 0 ? err : 0;
}

int emf__samples_setup(struct emf_runtime *rt, struct emf_plugin *p)
{
	struct bpf_object *obj = emf_plugin__object(p);
	uint64_t now = now_ms();
	uint32_t i;

	if (!p->desc->n_samples || p->samples)
		return 0;
	p->samples = calloc(p->desc->n_samples, sizeof(*p->samples));
	if (!p->samples)
		return -ENOMEM;
	for (i = 0; i < p->desc->n_samples; i++) {
		struct emf_sample_rt *sr = &p->samples[i];

		sr->s = &p->desc->samples[i];
		sr->map = obj ? bpf_object__find_map_by_name(obj, sr->s->map_name) : NULL;
		if (!sr->map || bpf_map__key_size(sr->map) != sr->s->key.size ||
		    bpf_map__value_size(sr->map) != sr->s->value.size) {
			pr_warn("sample: plugin '%s' has no map '%s' of the generated layout; rebuild it with emf-codegen\n",
				p->desc->name, sr->s->map_name);
			emf__samples_teardown(p);
			return -ENOENT;
		}
		/* No interval: read when the host asks (emf_runtime__sample()). */
		sr->next_ms = sr->s->interval_ms ? now + sr->s->interval_ms : UINT64_MAX;
		if (asprintf(&sr->topic, "%s.%s", p->desc->name, sr->s->map_name) < 0)
			sr->topic = NULL;
	}
	return 0;
}

void emf__samples_teardown(struct emf_plugin *p)
{
	uint32_t i;

	if (!p->samples)
		return;
	for (i = 0; i < p->desc->n_samples; i++)
		free(p->samples[i].topic);
	free(p->samples);
	p->samples = NULL;
}

uint64_t emf__samples_next_ms(const struct emf_runtime *rt)
{
	uint64_t next = 0;
	size_t i;
	uint32_t j;

	for (i = 0; i < rt->cnt; i++) {
		const struct emf_plugin *p = rt->plugins[i];

		if (!p->samples || p->state != EMF_PLUGIN_ATTACHED)
			continue;
		for (j = 0; j < p->desc->n_samples; j++)
			if (p->samples[j].s->interval_ms && (!next || p->samples[j].next_ms < next))
				next = p->samples[j].next_ms;
	}
	return next;
}

int emf__samples_poll(struct emf_runtime *rt)
{
	uint64_t now = now_ms();
	size_t i;
	uint32_t j;
	int err;

	for (i = 0; i < rt->cnt; i++) {
		struct emf_plugin *p = rt->plugins[i];

		if (!p->samples || p->state != EMF_PLUGIN_ATTACHED)
			continue;
		for (j = 0; j < p->desc->n_samples; j++) {
			struct emf_sample_rt *sr = &p->samples[j];

			if (!sr->s->interval_ms || now < sr->next_ms)
				continue;
			/* Keep the cadence; after a stall, skip what was missed. */
			sr->next_ms += sr->s->interval_ms;
			if (sr->next_ms <= now)
				sr->next_ms = now + sr->s->interval_ms;
			err = sample_one(rt, p, sr, sr->s->clear);
			if (err)
				return err;
		}
	}
	return 0;
}

int emf_runtime__sample(struct emf_runtime *rt, const struct emf_runtime_sample_opts *opts)
{
	bool all = OPTS_GET(opts, all, false), clear = OPTS_GET(opts, clear, false);
	size_t i;
	uint32_t j;
	int err;

	if (!OPTS_VALID(opts, emf_runtime_sample_opts))
		return emf_err(-EINVAL);
	if (!rt || !rt->running)
		return emf_err(-EMF_ERRNO__STATE);
	for (i = 0; i < rt->cnt; i++) {
		struct emf_plugin *p = rt->plugins[i];

		if (!p->samples || p->state != EMF_PLUGIN_ATTACHED)
			continue;
		for (j = 0; j < p->desc->n_samples; j++) {
			struct emf_sample_rt *sr = &p->samples[j];

			if (sr->s->interval_ms && !all)
				continue;
			err = sample_one(rt, p, sr, sr->s->interval_ms ? sr->s->clear : clear);
			if (err)
				return emf_err(err);
		}
	}
	return 0;
}
