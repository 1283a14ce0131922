// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Field selections (emf_fields__* of <emf/event.h>): a list of field names
 * resolved once against an event type's field table into offsets, column
 * widths, a header and the literal JSON keys, so that rendering an event
 * only copies literals and calls render.c's walker. Field paths (a.b) are
 * resolved here for filters too.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <emf/event.h>
#include <emf/fmt.h>

#include "fields_internal.h"
#include "log_internal.h"
#include "render_internal.h"

#define KEY_COPY 16

struct item {
	const struct emf_field *f;
	struct emf__field_path path;
	uint32_t width; /* text column */
	bool text; /* shown in text (a timestamp is the TIME column unless asked for) */
	bool trailing; /* the event's trailing array: render what arrived */
	char *json_pre; /* before the value: closing braces, comma, keys */
	size_t json_pre_len;
	const char *json_name; /* after a named number: ,"KEY_name": (in json_pre's memory) */
	size_t json_name_len; /* 0 for other fields */
};

struct emf_fields {
	const struct emf_event_type *type;
	struct item *items; /* in the order given */
	size_t n;
	struct item **text; /* shown in text, in order */
	size_t n_text;
	struct item **json; /* grouped by struct, each group where it first appears */
	char json_post[EMF__PATH_MAX]; /* braces closing the last JSON group */
	size_t json_post_len;
	char *header;
	size_t text_max, json_max;
};

/* Does @f have named parts a path can go on into (a struct, a union, an endpoint's addr and port)? */
static bool has_parts(const struct emf_field *f)
{
	return (f->kind == EMF_FIELD_STRUCT || f->kind == EMF_FIELD_UNION ||
		f->kind == EMF_FIELD_ENDPOINT) &&
	       !f->count && f->type;
}

int emf__field_path(const struct emf_event_type *type, const char *s, size_t len,
		    struct emf__field_path *path, size_t *at, char *msg, size_t msg_size)
{
	const struct emf_event_type *t = type;
	const struct emf_field *f = NULL;
	size_t pos = 0, n;
	uint32_t i;

	path->depth = 0;
	path->base = 0;
	for (;;) {
		for (n = 0; pos + n < len && s[pos + n] != '.'; n++)
			;
		*at = pos;
		if (!n || (!isalpha((unsigned char)s[pos]) && s[pos] != '_')) {
			snprintf(msg, msg_size, "expected a field name");
			return -EINVAL;
		}
		if (!t) {
			snprintf(msg, msg_size, "'%s' is not a struct: it has no field '%.*s'",
				 f->name, (int)n, s + pos);
			return -EINVAL;
		}
		if (path->depth == EMF__PATH_MAX) {
			snprintf(msg, msg_size, "'%.*s' crosses more than %d structs", (int)len, s,
				 EMF__PATH_MAX);
			return -EINVAL;
		}
		for (i = 0, f = NULL; i < t->n_fields && !f; i++)
			if (strlen(t->fields[i].name) == n &&
			    !strncmp(t->fields[i].name, s + pos, n))
				f = &t->fields[i];
		if (!f) {
			char list[160] = "";
			size_t l = 0;

			for (i = 0; i < t->n_fields && l < sizeof(list); i++)
				l += snprintf(list + l, sizeof(list) - l, "%s%s", i ? ", " : "",
					      t->fields[i].name);
			snprintf(msg, msg_size, "event type '%s' has no field '%.*s' (it has %s)",
				 t->name, (int)n, s + pos, list);
			return -EINVAL;
		}
		path->f[path->depth++] = f;
		pos += n;
		if (pos >= len)
			return 0;
		pos++;
		path->base += f->offset;
		t = has_parts(f) ? f->type : NULL;
	}
}

void emf_fields__free(struct emf_fields *fs)
{
	size_t i;

	if (!fs)
		return;
	for (i = 0; i < fs->n; i++)
		free(fs->items[i].json_pre);
	free(fs->items);
	free(fs->text);
	free(fs->json);
	free(fs->header);
	free(fs);
}

__attribute__((format(printf, 3, 4))) static int fail(char *err, size_t err_size, const char *fmt,
						      ...)
{
	va_list ap;

	if (err && err_size) {
		va_start(ap, fmt);
		vsnprintf(err, err_size, fmt, ap);
		va_end(ap);
	}
	errno = EINVAL;
	return -EINVAL;
}

/* Does one path lie inside the other (or are they the same)? */
static bool overlaps(const struct emf__field_path *a, const struct emf__field_path *b)
{
	int i, n = a->depth < b->depth ? a->depth : b->depth;

	for (i = 0; i < n; i++)
		if (a->f[i] != b->f[i])
			return false;
	return true;
}

/* Items from @list ("a,b.c"), or every field of the type. */
static int parse_list(struct emf_fields *fs, const char *list, char *err, size_t err_size)
{
	const struct emf_event_type *t = fs->type;
	const char *s = list, *end;
	char msg[256];
	size_t i, at;

	if (!list) {
		fs->items = calloc(t->n_fields ?: 1, sizeof(*fs->items));
		if (!fs->items)
			return -ENOMEM;
		for (i = 0; i < t->n_fields; i++) {
			struct item *it = &fs->items[fs->n++];

			it->f = &t->fields[i];
			it->path.f[0] = it->f;
			it->path.depth = 1;
			it->text = !emf__render_is_time(it->f);
		}
		return 0;
	}
	for (i = 1, end = list; *end; end++)
		i += *end == ',';
	fs->items = calloc(i, sizeof(*fs->items));
	if (!fs->items)
		return -ENOMEM;
	for (;;) {
		struct item *it = &fs->items[fs->n];
		size_t n;

		while (isspace((unsigned char)*s))
			s++;
		for (n = 0; s[n] && s[n] != ',' && !isspace((unsigned char)s[n]); n++)
			;
		end = s + n;
		while (isspace((unsigned char)*end))
			end++;
		if (*end && *end != ',')
			return fail(err, err_size,
				    "fields '%s': expected ',' between field names at '%s'", list,
				    end);
		if (!n)
			return fail(err, err_size, "fields '%s': an empty field name", list);
		if (emf__field_path(t, s, n, &it->path, &at, msg, sizeof(msg)))
			return fail(err, err_size, "fields '%s': %s", list, msg);
		it->f = it->path.f[it->path.depth - 1];
		it->text = true;
		for (i = 0; i < fs->n; i++)
			if (overlaps(&fs->items[i].path, &it->path))
				return fail(
					err, err_size, "fields '%s': '%.*s' %s", list, (int)n, s,
					fs->items[i].path.depth == it->path.depth ?
						"is given twice" :
						"overlaps a field given before (a struct and a member of it): name one of them");
		fs->n++;
		if (!*end)
			return 0;
		s = end + 1;
	}
}

/* The title of an item: its path, upper case. */
static size_t title(const struct item *it, char *p)
{
	size_t n = 0, j;
	int d;

	for (d = 0; d < it->path.depth; d++) {
		if (d)
			p[n++] = '.';
		for (j = 0; it->path.f[d]->name[j]; j++)
			p[n++] = toupper((unsigned char)it->path.f[d]->name[j]);
	}
	return n;
}

static size_t title_len(const struct item *it)
{
	size_t n = it->path.depth - 1;
	int d;

	for (d = 0; d < it->path.depth; d++)
		n += strlen(it->path.f[d]->name);
	return n;
}

static int plan_text(struct emf_fields *fs)
{
	const struct emf_event_type *t = fs->type;
	size_t i, hl = 0, hmax = 1;
	char *h;

	fs->text = calloc(fs->n ?: 1, sizeof(*fs->text));
	if (!fs->text)
		return -ENOMEM;
	for (i = 0; i < fs->n; i++) {
		struct item *it = &fs->items[i];
		uint32_t w = emf__render_width(it->f), tl = title_len(it);

		it->width = w > tl ? w : tl;
		it->trailing = it->path.depth == 1 && it->f == &t->fields[t->n_fields - 1] &&
			       it->f->count && !it->f->bit_size && t->min_size == it->f->offset;
		if (!it->text)
			continue;
		fs->text[fs->n_text++] = it;
		hmax += it->width + 1;
		fs->text_max += it->width + 1 + emf__render_max(it->f, false);
	}
	fs->text_max++;
	h = fs->header = malloc(hmax);
	if (!h)
		return -ENOMEM;
	for (i = 0; i < fs->n_text; i++) {
		size_t n = title(fs->text[i], h + hl);

		if (i + 1 < fs->n_text) {
			memset(h + hl + n, ' ', fs->text[i]->width - n + 1);
			n = fs->text[i]->width + 1;
		}
		hl += n;
	}
	h[hl] = '\0';
	return 0;
}

/* Rank of the first item sharing @it's path down to level @d: groups keep first appearances. */
static size_t group_rank(const struct emf_fields *fs, const struct item *it, int d)
{
	size_t j;
	int k;

	for (j = 0; j < fs->n; j++) {
		const struct item *o = &fs->items[j];

		if (o->path.depth <= d)
			continue;
		for (k = 0; k <= d && o->path.f[k] == it->path.f[k]; k++)
			;
		if (k > d)
			return j;
	}
	return fs->n;
}

static bool json_before(const struct emf_fields *fs, const struct item *a, const struct item *b)
{
	int d, n = a->path.depth < b->path.depth ? a->path.depth : b->path.depth;

	for (d = 0; d < n; d++) {
		size_t ra = group_rank(fs, a, d), rb = group_rank(fs, b, d);

		if (ra != rb)
			return ra < rb;
	}
	return false;
}

/*
 * JSON keys: a nested field goes into its struct's object ("in":{"port":1}),
 * the fields of one struct together, where the first of them was given.
 */
static int plan_json(struct emf_fields *fs)
{
	const struct item *prev = NULL;
	size_t i, j;

	fs->json = calloc(fs->n ?: 1, sizeof(*fs->json));
	if (!fs->json)
		return -ENOMEM;
	for (i = 0; i < fs->n; i++) {
		struct item *it = &fs->items[i];

		for (j = i; j > 0 && json_before(fs, it, fs->json[j - 1]); j--)
			fs->json[j] = fs->json[j - 1];
		fs->json[j] = it;
	}
	for (i = 0; i < fs->n; i++) {
		struct item *it = fs->json[i];
		size_t len = 2, n = 0;
		int c = 0, d;
		char *p;

		if (prev)
			while (c < prev->path.depth && c < it->path.depth &&
			       prev->path.f[c] == it->path.f[c])
				c++;
		for (d = 0; d < it->path.depth; d++)
			len += strlen(it->path.f[d]->name) + 4;
		len += (prev ? prev->path.depth : 0) + strlen(it->f->name) + 10 + KEY_COPY;
		p = it->json_pre = calloc(1, len);
		if (!p)
			return -ENOMEM;
		for (d = prev ? prev->path.depth - 1 : 0; d > c; d--)
			p[n++] = '}';
		if (prev)
			p[n++] = ',';
		for (d = c; d < it->path.depth; d++)
			n += sprintf(p + n, "\"%s\":%s", it->path.f[d]->name,
				     d + 1 < it->path.depth ? "{" : "");
		it->json_pre_len = n;
		if (emf__render_named(it->f)) {
			it->json_name = p + n;
			it->json_name_len = sprintf(p + n, ",\"%s_name\":", it->f->name);
		}
		fs->json_max += n + emf__render_max(it->f, true) +
				emf__render_name_max(it->f->name) + 2 * KEY_COPY;
		prev = it;
	}
	for (i = 0; prev && (int)i + 1 < prev->path.depth; i++)
		fs->json_post[fs->json_post_len++] = '}';
	fs->json_max += fs->json_post_len + 1;
	return 0;
}

int emf_fields__new(const struct emf_event_type *type, const char *list, struct emf_fields **out,
		    char *err, size_t err_size)
{
	struct emf_fields *fs;
	int ret;

	*out = NULL;
	if (!type)
		return emf_err(-EINVAL);
	fs = calloc(1, sizeof(*fs));
	if (!fs)
		return emf_err(-ENOMEM);
	fs->type = type;
	ret = parse_list(fs, list, err, err_size);
	if (!ret)
		ret = plan_text(fs);
	if (!ret)
		ret = plan_json(fs);
	if (ret) {
		emf_fields__free(fs);
		return emf_err(ret);
	}
	*out = fs;
	return 0;
}

const struct emf_event_type *emf_fields__type(const struct emf_fields *fs)
{
	return fs->type;
}

const char *emf_fields__text_header(const struct emf_fields *fs)
{
	return fs->header;
}

size_t emf_fields__text_max(const struct emf_fields *fs)
{
	return fs->text_max;
}

size_t emf_fields__json_max(const struct emf_fields *fs)
{
	return fs->json_max;
}

/* Elements of the event's trailing array that arrived in @size bytes. */
static uint32_t arrived(const struct emf_field *f, size_t size)
{
	size_t n = (size - f->offset) / (f->size / f->count ?: 1);

	return n < f->count ? (uint32_t)n : f->count;
}

char *emf_fields__text(const struct emf_fields *fs, char *p, const void *data, size_t size)
{
	size_t i;

	for (i = 0; i < fs->n_text; i++) {
		const struct item *it = fs->text[i];
		char *col = p;

		p = emf__render(p, it->f, (const char *)data + it->path.base,
				it->trailing ? arrived(it->f, size) : UINT32_MAX, false);
		if (i + 1 < fs->n_text) {
			p = emf_fmt_pad(col, p, it->width);
			*p++ = ' ';
		}
	}
	return p;
}

/*
 * Keys are short: copy KEY_COPY bytes at once (the buffers hold that much
 * past every key, json_max counts it) rather than call memcpy per field.
 */
static inline char *put_key(char *p, const char *key, size_t n)
{
	if (n <= KEY_COPY) {
		memcpy(p, key, KEY_COPY);
		return p + n;
	}
	memcpy(p, key, n);
	return p + n;
}

char *emf_fields__json(const struct emf_fields *fs, char *p, const void *data, size_t size)
{
	size_t i;

	for (i = 0; i < fs->n; i++) {
		const struct item *it = fs->json[i];
		const char *base = (const char *)data + it->path.base;

		p = put_key(p, it->json_pre, it->json_pre_len);
		p = emf__render(p, it->f, base, it->trailing ? arrived(it->f, size) : UINT32_MAX,
				true);
		if (it->json_name_len) {
			p = put_key(p, it->json_name, it->json_name_len);
			p = emf__render_name_value(p, it->f, base);
		}
	}
	memcpy(p, fs->json_post, fs->json_post_len);
	return p + fs->json_post_len;
}
