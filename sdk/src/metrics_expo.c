// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The exposition writer (Prometheus text format 0.0.4 and OpenMetrics 1.0) and
 * the series table behind sampled maps and rules. A scrape of ten thousand
 * series must render in a few milliseconds, so label sets are escaped once,
 * when a series is created, and a scrape only copies them.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <emf/types.h>

#include "metrics_internal.h"

/* ---- series table ----------------------------------------------------------- */

/* FNV-1a over the key, then a final mix so low bits spread. */
static uint64_t hash_key(const void *key, size_t n)
{
	const unsigned char *p = key;
	uint64_t h = 0xcbf29ce484222325ULL;

	while (n--)
		h = (h ^ *p++) * 0x100000001b3ULL;
	h ^= h >> 29;
	return h * 0xbf58476d1ce4e5b9ULL;
}

int emf__mtable_init(struct emf__mtable *t, uint32_t ksz, uint32_t nvals, uint32_t max,
		     const char *other_labels)
{
	memset(t, 0, sizeof(*t));
	t->ksz = ksz;
	t->nvals = nvals;
	t->max = max;
	t->other_labels = strdup(other_labels ?: "");
	return t->other_labels ? 0 : -ENOMEM;
}

static void free_series(struct emf__series *s)
{
	if (s)
		free(s->labels);
	free(s);
}

void emf__mtable_reset(struct emf__mtable *t)
{
	size_t i;

	for (i = 0; i < t->cap; i++)
		free_series(t->slots[i]);
	free(t->slots);
	t->slots = NULL;
	t->cap = t->n = 0;
	free_series(t->other);
	t->other = NULL;
}

void emf__mtable_free(struct emf__mtable *t)
{
	emf__mtable_reset(t);
	free(t->other_labels);
	t->other_labels = NULL;
}

static struct emf__series *new_series(struct emf__mtable *t, uint64_t hash, const void *key)
{
	struct emf__series *s = calloc(1, sizeof(*s) + t->nvals * sizeof(s->vals[0]) + t->ksz);

	if (!s)
		return NULL;
	s->hash = hash;
	if (key)
		memcpy((char *)(s->vals + t->nvals), key, t->ksz);
	return s;
}

static int grow(struct emf__mtable *t)
{
	size_t cap = t->cap ? t->cap * 2 : 64, i, j;
	struct emf__series **slots = calloc(cap, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (i = 0; i < t->cap; i++) {
		struct emf__series *s = t->slots[i];

		if (!s)
			continue;
		for (j = s->hash & (cap - 1); slots[j]; j = (j + 1) & (cap - 1))
			;
		slots[j] = s;
	}
	free(t->slots);
	t->slots = slots;
	t->cap = cap;
	return 0;
}

static struct emf__series *get_other(struct emf__mtable *t)
{
	t->overflow++;
	if (!t->other) {
		t->other = new_series(t, 0, NULL);
		if (!t->other)
			return NULL;
		t->other->labels = strdup(t->other_labels);
		if (!t->other->labels) {
			free_series(t->other);
			t->other = NULL;
			return NULL;
		}
		t->other->labels_len = strlen(t->other->labels);
	}
	return t->other;
}

struct emf__series *emf__mtable_get(struct emf__mtable *t, const void *key, emf__labels_fn fn,
				    void *ctx)
{
	uint64_t h = hash_key(key, t->ksz);
	struct emf__series *s;
	struct emf_buf b = {};
	size_t i;

	if (t->cap) {
		for (i = h & (t->cap - 1); (s = t->slots[i]); i = (i + 1) & (t->cap - 1))
			if (s->hash == h && !memcmp(s->vals + t->nvals, key, t->ksz))
				return s;
	}
	if (t->n >= t->max)
		return get_other(t);
	/* Keep the table at most half full. */
	if ((t->n + 1) * 2 > t->cap && grow(t))
		return get_other(t);
	s = new_series(t, h, key);
	if (!s || fn(ctx, &b, key) || (!b.data && !(b.data = calloc(1, 1)))) {
		emf_buf__free(&b);
		free_series(s);
		return get_other(t);
	}
	s->labels = b.data;
	s->labels_len = b.len;
	for (i = h & (t->cap - 1); t->slots[i]; i = (i + 1) & (t->cap - 1))
		;
	t->slots[i] = s;
	t->n++;
	return s;
}

/* ---- names and label values ------------------------------------------------- */

bool emf__metric_name_ok(const char *s, size_t len, bool label)
{
	size_t i;

	if (!len)
		return false;
	for (i = 0; i < len; i++) {
		char c = s[i];
		bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
			     (!label && c == ':');

		if (!alpha && !(i && c >= '0' && c <= '9'))
			return false;
	}
	/* Names starting with "__" are reserved for Prometheus's own labels. */
	return !(label && len >= 2 && s[0] == '_' && s[1] == '_');
}

bool emf__field_labelable(const struct emf_field *f)
{
	switch (f->kind) {
	case EMF_FIELD_INT:
	case EMF_FIELD_UINT:
	case EMF_FIELD_BOOL:
	case EMF_FIELD_CHAR:
	case EMF_FIELD_ENUM:
	case EMF_FIELD_POINTER:
		return !f->count && (f->size == 1 || f->size == 2 || f->size == 4 || f->size == 8);
	case EMF_FIELD_STRING:
	case EMF_FIELD_IPADDR:
		return true;
	case EMF_FIELD_ENDPOINT:
		return !f->count;
	case EMF_FIELD_IPV4:
		return !f->count;
	default:
		return false;
	}
}

uint64_t emf__field_u64(const struct emf_field *f, const void *base, bool sign)
{
	const char *p = (const char *)base + f->offset;
	uint64_t v = 0;
	uint32_t size = f->size > 8 ? 8 : f->size;

	memcpy(&v, p, size); /* little endian, as every BPF target emf builds for */
	if (f->bit_size) {
		v = (v >> f->bit_offset) & (f->bit_size >= 64 ? ~0ULL : (1ULL << f->bit_size) - 1);
		size = 0;
		if (sign && f->bit_size < 64 && (v >> (f->bit_size - 1)) & 1)
			v |= ~0ULL << f->bit_size;
		return v;
	}
	if (sign && size < 8 && (v >> (size * 8 - 1)) & 1)
		v |= ~0ULL << (size * 8);
	return v;
}

/*
 * Escape a label value as the text format asks (backslash, double quote, line
 * feed), replacing what is not valid UTF-8 by '?': emf_fmt_str() does the
 * UTF-8 part and turns control characters into '?' already.
 */
static char *escape(char *o, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] == '\\' || s[i] == '"')
			*o++ = '\\';
		*o++ = s[i];
	}
	return o;
}

int emf__expo_label(struct emf_buf *b, const char *name, const char *value, size_t vlen)
{
	size_t nlen = strlen(name);
	char *tmp = malloc(vlen + 1), *o, *end;

	if (!tmp)
		return -ENOMEM;
	end = emf_fmt_str(tmp, value, vlen);
	o = emf_buf__reserve(b, nlen + 2 * (end - tmp) + 4);
	if (!o) {
		free(tmp);
		return -ENOMEM;
	}
	if (b->len && b->data[b->len - 1] != '{')
		*o++ = ',';
	memcpy(o, name, nlen);
	o += nlen;
	*o++ = '=';
	*o++ = '"';
	o = escape(o, tmp, end - tmp);
	*o++ = '"';
	emf_buf__commit(b, o);
	free(tmp);
	return 0;
}

int emf__expo_field_label(struct emf_buf *b, const char *name, const struct emf_field *f,
			  const void *base)
{
	const char *p = (const char *)base + f->offset;
	bool sign = f->kind == EMF_FIELD_INT || f->kind == EMF_FIELD_CHAR || f->kind == EMF_FIELD_ENUM;
	char tmp[EMF_FMT_NAME_MAX + EMF_FMT_INT_MAX], *o = tmp;
	uint64_t v;
	uint32_t i;

	switch (f->kind) {
	case EMF_FIELD_STRING:
		return emf__expo_label(b, name, p, strnlen(p, f->count ?: f->size));
	case EMF_FIELD_IPV4:
		memcpy(&i, p, 4);
		o = emf_fmt_ipv4(o, i);
		break;
	case EMF_FIELD_IPADDR:
		o = emf_fmt_ipaddr(o, (const uint8_t *)p);
		break;
	case EMF_FIELD_ENDPOINT: {
		uint16_t port;

		memcpy(&port, p + offsetof(struct emf_endpoint, port), sizeof(port));
		o = emf_fmt_endpoint(o, (const uint8_t *)p, port, false);
		break;
	}
	case EMF_FIELD_POINTER:
		o = emf_fmt_hex(o, emf__field_u64(f, base, false));
		break;
	case EMF_FIELD_BOOL:
		v = emf__field_u64(f, base, false);
		memcpy(o, v ? "true" : "false", v ? 4 : 5);
		o += v ? 4 : 5;
		break;
	case EMF_FIELD_ENUM:
		v = emf__field_u64(f, base, true);
		for (i = 0; i < f->n_enum_values; i++) {
			const struct emf_enum_value *e = &f->enum_values[i];

			if ((uint64_t)e->value == v || (uint32_t)e->value == (uint32_t)v)
				return emf__expo_label(b, name, e->name, strlen(e->name));
		}
		o = emf_fmt_i64(o, (int64_t)v);
		break;
	default:
		v = emf__field_u64(f, base, sign);
		/* A syscall, uid, errno... is labelled by its name, as text shows it. */
		if (f->semantic >= EMF_SEM_ERRNO && f->semantic <= EMF_SEM_MODE && !f->count)
			o = emf_fmt_semantic(o, f->semantic, (int64_t)v);
		else
			o = sign ? emf_fmt_i64(o, (int64_t)v) : emf_fmt_u64(o, v);
	}
	return emf__expo_label(b, name, tmp, o - tmp);
}

/* ---- families and samples ---------------------------------------------------- */

int emf__expo_head(struct emf_buf *b, enum emf_metrics_format fmt, const char *name,
		   const char *type, const char *help)
{
	size_t nlen = strlen(name), hlen = strlen(help), tlen = strlen(type), i;
	char *o;

	if (fmt == EMF_METRICS_OPENMETRICS && !strcmp(type, "counter") && nlen > 6 &&
	    !strcmp(name + nlen - 6, "_total"))
		nlen -= 6;
	o = emf_buf__reserve(b, 2 * nlen + 2 * hlen + tlen + 20);
	if (!o)
		return -ENOMEM;
	memcpy(o, "# HELP ", 7);
	o += 7;
	memcpy(o, name, nlen);
	o += nlen;
	*o++ = ' ';
	for (i = 0; i < hlen; i++) {
		if (help[i] == '\\' || help[i] == '\n') {
			*o++ = '\\';
			*o++ = help[i] == '\n' ? 'n' : '\\';
		} else {
			*o++ = help[i];
		}
	}
	memcpy(o, "\n# TYPE ", 8);
	o += 8;
	memcpy(o, name, nlen);
	o += nlen;
	*o++ = ' ';
	memcpy(o, type, tlen);
	o += tlen;
	*o++ = '\n';
	emf_buf__commit(b, o);
	return 0;
}

/* v / 10^decimals, exactly, without trailing zeros: 1500 with 3 decimals is "1.5". */
char *emf__fmt_scaled(char *o, uint64_t v, bool neg, unsigned int decimals)
{
	uint64_t div = 1, frac;
	unsigned int i;
	char digits[20];

	for (i = 0; i < decimals; i++)
		div *= 10;
	if (neg) {
		*o++ = '-';
		v = -v;
	}
	o = emf_fmt_u64(o, v / div);
	frac = v % div;
	if (!frac)
		return o;
	for (i = decimals; i-- > 0; frac /= 10)
		digits[i] = (char)('0' + frac % 10);
	for (i = decimals; i > 0 && digits[i - 1] == '0'; i--)
		;
	*o++ = '.';
	memcpy(o, digits, i);
	return o + i;
}

/* "NAME LABELS " of a sample line, with room for a value of @vmax bytes after it. */
static char *sample_start(struct emf_buf *b, const char *name, size_t nlen, const char *labels,
			  size_t llen, size_t vmax)
{
	char *o = emf_buf__reserve(b, nlen + llen + vmax + 2);

	if (!o)
		return NULL;
	memcpy(o, name, nlen);
	o += nlen;
	memcpy(o, labels, llen);
	o += llen;
	*o++ = ' ';
	return o;
}

int emf__expo_sample_scaled(struct emf_buf *b, const char *name, size_t nlen, const char *labels,
			    size_t llen, uint64_t v, bool sign, unsigned int decimals)
{
	char *o = sample_start(b, name, nlen, labels, llen, 46);

	if (!o)
		return -ENOMEM;
	o = emf__fmt_scaled(o, v, sign && (int64_t)v < 0, decimals);
	*o++ = '\n';
	emf_buf__commit(b, o);
	return 0;
}

int emf__expo_sample(struct emf_buf *b, const char *name, size_t nlen, const char *labels,
		     size_t llen, enum emf__mval kind, union emf__mnum v)
{
	char *o = sample_start(b, name, nlen, labels, llen, 40);

	if (!o)
		return -ENOMEM;
	switch (kind) {
	case EMF__MVAL_U64:
		o = emf_fmt_u64(o, v.u);
		break;
	case EMF__MVAL_I64:
		o = emf_fmt_i64(o, v.i);
		break;
	case EMF__MVAL_F64:
		if (v.f != v.f) {
			memcpy(o, "NaN", 3);
			o += 3;
		} else if (v.f > 1.7976931348623157e308 || v.f < -1.7976931348623157e308) {
			memcpy(o, v.f > 0 ? "+Inf" : "-Inf", 4);
			o += 4;
		} else {
			o = emf_fmt_double(o, v.f);
		}
		break;
	}
	*o++ = '\n';
	emf_buf__commit(b, o);
	return 0;
}
