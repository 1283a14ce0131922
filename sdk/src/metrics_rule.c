// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Event-derived metrics: "NAME=PLUGIN.EVENT:count [by F,...]" and
 * "NAME=PLUGIN.EVENT:sum FIELD [by F,...]", as ebpf_exporter configures them,
 * typed from the field table emf-codegen generated for the event struct.
 *
 * This runs on the event path: an event of another type costs a pointer
 * compare, one of the rule's type a key of the chosen fields' bytes and a hash
 * lookup. Label sets are escaped once, when a series is created, from the key
 * (never from the event, which may be cut short).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <emf/runtime.h>

#include "log_internal.h"
#include "metrics_internal.h"

#define MAX_BY 8

struct mfield {
	struct emf_field f; /* as in the event struct */
	struct emf_field k; /* the same value, laid out in the key */
};

struct emf__mrule {
	char *name; /* the samples' name */
	char *help;
	char *plugin_name;
	char *event_name;
	bool sum;
	char *sum_name;
	struct emf_field sumf;
	char *by_names[MAX_BY];
	struct mfield by[MAX_BY];
	uint32_t n_by;
	uint32_t ksz;
	enum emf__mval kind;
	const char *type; /* "counter" or "gauge" */
	/* bound to the running plugin of that name */
	const struct emf_plugin *plugin;
	const struct emf_event_type *ev_type; /* NULL while the plugin's layout differs */
	const struct emf_plugin *miss; /* last plugin seen that is not ours */
	bool warned;
	unsigned char *key;
	struct emf__mtable tab;
};

static const char usage[] =
	"expected NAME=PLUGIN.EVENT:count [by FIELD,...] or NAME=PLUGIN.EVENT:sum FIELD [by FIELD,...]";

const char *emf__mrule_name(const struct emf__mrule *r)
{
	return r->name;
}

uint64_t emf__mrule_overflow(const struct emf__mrule *r)
{
	return r->tab.overflow;
}

void emf__mrule_free(struct emf__mrule *r)
{
	uint32_t i;

	if (!r)
		return;
	emf__mtable_free(&r->tab);
	for (i = 0; i < r->n_by; i++)
		free(r->by_names[i]);
	free(r->sum_name);
	free(r->event_name);
	free(r->plugin_name);
	free(r->help);
	free(r->name);
	free(r->key);
	free(r);
}

static const char *skip_ws(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/* Copy the identifier at *s, advancing past it; NULL when there is none. */
static char *take_ident(const char **s)
{
	const char *p = *s, *start = p;

	while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_' ||
	       (p > start && *p >= '0' && *p <= '9'))
		p++;
	if (p == start)
		return NULL;
	*s = p;
	return strndup(start, p - start);
}

static int parse(struct emf__mrule *r, const char *spec, char **name)
{
	const char *p = skip_ws(spec), *start = p;

	while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_' || *p == ':' ||
	       (p > start && *p >= '0' && *p <= '9'))
		p++;
	if (p == start || !(*name = strndup(start, p - start)))
		return -EINVAL;
	p = skip_ws(p);
	if (*p++ != '=')
		return -EINVAL;
	p = skip_ws(p);
	if (!(r->plugin_name = take_ident(&p)) || *p++ != '.' ||
	    !(r->event_name = take_ident(&p)))
		return -EINVAL;
	p = skip_ws(p);
	if (*p++ != ':')
		return -EINVAL;
	p = skip_ws(p);
	if (!strncmp(p, "count", 5)) {
		p += 5;
	} else if (!strncmp(p, "sum", 3) && (p[3] == ' ' || p[3] == '\t')) {
		p = skip_ws(p + 3);
		r->sum = true;
		if (!(r->sum_name = take_ident(&p)))
			return -EINVAL;
	} else {
		return -EINVAL;
	}
	if (*p && *p != ' ' && *p != '\t')
		return -EINVAL;
	p = skip_ws(p);
	if (!*p)
		return 0;
	if (strncmp(p, "by", 2) || (p[2] != ' ' && p[2] != '\t'))
		return -EINVAL;
	p = skip_ws(p + 2);
	for (;;) {
		if (r->n_by == MAX_BY)
			return -E2BIG;
		if (!(r->by_names[r->n_by] = take_ident(&p)))
			return -EINVAL;
		r->n_by++;
		p = skip_ws(p);
		if (!*p)
			return 0;
		if (*p++ != ',')
			return -EINVAL;
		p = skip_ws(p);
	}
}

static bool summable(const struct emf_field *f)
{
	return !f->count && (f->kind == EMF_FIELD_INT || f->kind == EMF_FIELD_UINT ||
			     f->kind == EMF_FIELD_CHAR || f->kind == EMF_FIELD_BOOL ||
			     (f->kind == EMF_FIELD_FLOAT && (f->size == 4 || f->size == 8))) &&
	       (f->kind == EMF_FIELD_FLOAT || f->bit_size || f->size == 1 || f->size == 2 ||
		f->size == 4 || f->size == 8);
}

static const struct emf_event_type *find_type(const struct emf_plugin *p, const char *name)
{
	const struct emf_plugin_desc *d = emf_plugin__desc(p);
	uint32_t i;

	for (i = 0; i < d->n_events; i++)
		if (!strcmp(d->events[i]->name, name))
			return d->events[i];
	return NULL;
}

static void list_fields(const struct emf_event_type *t, char *out, size_t n)
{
	size_t len = 0;
	uint32_t i;

	out[0] = '\0';
	for (i = 0; i < t->n_fields && len + 2 < n; i++)
		len += snprintf(out + len, n - len, "%s%s", i ? ", " : "", t->fields[i].name);
}

/* Resolve the fields in @t, as at the start; -errno with a message when they do not fit. */
static int resolve(struct emf__mrule *r, const struct emf_event_type *t, const char *spec)
{
	const struct emf_field *f;
	char fields[512];
	uint32_t i, koff = 0;

	for (i = 0; i <= r->n_by; i++) {
		const char *fname = i < r->n_by ? r->by_names[i] : r->sum_name;

		if (i == r->n_by && !r->sum)
			break;
		f = emf_event_type__field(t, fname);
		if (!f) {
			list_fields(t, fields, sizeof(fields));
			pr_warn("metrics: invalid rule '%s': event '%s' of plugin '%s' has no field '%s' (fields: %s)\n",
				spec, t->name, r->plugin_name, fname, fields);
			return -EINVAL;
		}
		if (i == r->n_by) {
			if (!summable(f)) {
				pr_warn("metrics: invalid rule '%s': field '%s' is a %s, not a number to sum\n",
					spec, fname, emf_field_kind_str(f->kind));
				return -EINVAL;
			}
			r->sumf = *f;
			break;
		}
		if (!emf__field_labelable(f) || f->bit_size > 64) {
			pr_warn("metrics: invalid rule '%s': field '%s' is a %s%s, which cannot be a label\n",
				spec, fname, f->count && f->kind != EMF_FIELD_STRING ? "array of " : "",
				emf_field_kind_str(f->kind));
			return -EINVAL;
		}
		r->by[i].f = *f;
		r->by[i].k = *f;
		r->by[i].k.offset = koff;
		if (f->bit_size) {
			r->by[i].k.size = 8;
			r->by[i].k.bit_size = 0;
			r->by[i].k.bit_offset = 0;
		}
		koff += r->by[i].k.size;
	}
	r->ksz = koff;
	return 0;
}

/* A plugin of our name that is not the one bound: the same layout, or inactive. */
static void rebind(struct emf__mrule *r, const struct emf_plugin *p)
{
	const struct emf_event_type *t = find_type(p, r->event_name);
	const struct emf_field *f;
	uint32_t i;

	r->plugin = p;
	r->ev_type = NULL;
	for (i = 0; t && i < r->n_by; i++) {
		f = emf_event_type__field(t, r->by_names[i]);
		if (!f || f->kind != r->by[i].f.kind || f->size != r->by[i].f.size ||
		    f->bit_size != r->by[i].f.bit_size || f->count != r->by[i].f.count) {
			t = NULL;
		} else {
			/* Names and enum tables live in the new descriptor now. */
			r->by[i].f = *f;
			r->by[i].k.name = f->name;
			r->by[i].k.n_enum_values = f->n_enum_values;
			r->by[i].k.enum_values = f->enum_values;
		}
	}
	if (t && r->sum) {
		f = emf_event_type__field(t, r->sum_name);
		if (!f || f->kind != r->sumf.kind || f->size != r->sumf.size)
			t = NULL;
		else
			r->sumf = *f;
	}
	r->ev_type = t;
	if (!t && !r->warned)
		pr_warn("metrics: rule '%s' stops counting: plugin '%s' no longer has event '%s' with the same fields\n",
			r->name, r->plugin_name, r->event_name);
	r->warned |= !t;
}

static int rule_labels(void *ctx, struct emf_buf *b, const void *key)
{
	struct emf__mrule *r = ctx;
	uint32_t i;
	int err;

	if (!r->n_by)
		return 0;
	err = emf_buf__append(b, "{", 1);
	for (i = 0; !err && i < r->n_by; i++)
		err = emf__expo_field_label(b, r->by[i].f.name, &r->by[i].k, key);
	return err ?: emf_buf__append(b, "}", 1);
}

struct emf__mrule *emf__mrule_new(struct emf_runtime *rt, const char *spec, uint32_t max)
{
	struct emf__mrule *r = calloc(1, sizeof(*r));
	const struct emf_plugin *p;
	const struct emf_event_type *t;
	struct emf_buf other = {};
	char *name = NULL;
	uint32_t i;
	size_t len;
	int err;

	if (!r)
		return emf_err_ptr(-ENOMEM);
	err = parse(r, spec, &name);
	if (err) {
		if (err == -E2BIG)
			pr_warn("metrics: invalid rule '%s': at most %d fields after 'by'\n", spec,
				MAX_BY);
		else
			pr_warn("metrics: invalid rule '%s': %s\n", spec, usage);
		goto err;
	}
	len = strlen(name);
	if (!emf__metric_name_ok(name, len, false) || !strncmp(name, "emf_", 4)) {
		pr_warn("metrics: invalid rule '%s': '%s' is not a metric name of its own ([a-zA-Z_:][a-zA-Z0-9_:]*, not starting with emf_)\n",
			spec, name);
		err = -EINVAL;
		goto err;
	}
	p = emf_runtime__find(rt, r->plugin_name);
	if (!p) {
		pr_warn("metrics: invalid rule '%s': no plugin named '%s' in the runtime\n", spec,
			r->plugin_name);
		err = -ENOENT;
		goto err;
	}
	t = find_type(p, r->event_name);
	if (!t) {
		char types[256] = "";
		const struct emf_plugin_desc *d = emf_plugin__desc(p);
		size_t n = 0;

		for (i = 0; i < d->n_events && n + 2 < sizeof(types); i++)
			n += snprintf(types + n, sizeof(types) - n, "%s%s", i ? ", " : "",
				      d->events[i]->name);
		pr_warn("metrics: invalid rule '%s': plugin '%s' sends no event '%s' (events: %s)\n",
			spec, r->plugin_name, r->event_name, n ? types : "none");
		err = -ENOENT;
		goto err;
	}
	err = resolve(r, t, spec);
	if (err)
		goto err;
	r->plugin = p;
	r->ev_type = t;
	r->kind = EMF__MVAL_U64;
	r->type = "counter";
	if (r->sum && r->sumf.kind == EMF_FIELD_FLOAT)
		r->kind = EMF__MVAL_F64;
	else if (r->sum && (r->sumf.kind == EMF_FIELD_INT || r->sumf.kind == EMF_FIELD_CHAR))
		r->kind = EMF__MVAL_I64;
	if (r->kind != EMF__MVAL_U64)
		r->type = "gauge"; /* a sum of signed values may go down */
	if (!strcmp(r->type, "counter") && (len < 6 || strcmp(name + len - 6, "_total")))
		err = asprintf(&r->name, "%s_total", name) < 0 ? -ENOMEM : 0;
	else
		r->name = strdup(name) ?: NULL;
	if (err || !r->name ||
	    asprintf(&r->help, "Rule %s: %s of %s.%s events%s", spec,
		     r->sum ? "sum of a field" : "count", r->plugin_name, r->event_name,
		     r->n_by ? " by the chosen fields" : "") < 0) {
		r->help = NULL;
		err = -ENOMEM;
		goto err;
	}
	r->key = calloc(1, r->ksz ?: 1);
	err = r->key ? emf_buf__append(&other, "{", 1) : -ENOMEM;
	for (i = 0; !err && i < r->n_by; i++)
		err = emf__expo_label(&other, r->by[i].f.name, "other", 5);
	err = err ?: emf_buf__append(&other, "}", 1);
	err = err ?: emf__mtable_init(&r->tab, r->ksz, 1, max, r->n_by ? other.data : "");
	if (err)
		goto err;
	emf_buf__free(&other);
	free(name);
	return r;
err:
	emf_buf__free(&other);
	free(name);
	emf__mrule_free(r);
	return emf_err_ptr(err);
}

void emf__mrule_event(struct emf__mrule *r, const struct emf_event *ev)
{
	const char *data = ev->data;
	struct emf__series *s;
	uint32_t i;

	if (ev->plugin != r->plugin) {
		if (ev->plugin == r->miss)
			return;
		if (strcmp(emf_plugin__name(ev->plugin), r->plugin_name)) {
			r->miss = ev->plugin;
			return;
		}
		rebind(r, ev->plugin);
	}
	if (ev->type != r->ev_type)
		return;
	for (i = 0; i < r->n_by; i++) {
		const struct mfield *m = &r->by[i];
		unsigned char *k = r->key + m->k.offset;

		/* A field past the end of an event cut short reads as zero. */
		if (m->f.offset + m->f.size > ev->size) {
			memset(k, 0, m->k.size);
		} else if (m->f.bit_size) {
			uint64_t v = emf__field_u64(&m->f, data,
						    m->f.kind == EMF_FIELD_INT || m->f.kind == EMF_FIELD_ENUM);

			memcpy(k, &v, 8);
		} else if (m->f.kind == EMF_FIELD_STRING) {
			size_t n = strnlen(data + m->f.offset, m->f.size);

			memcpy(k, data + m->f.offset, n);
			memset(k + n, 0, m->f.size - n);
		} else {
			memcpy(k, data + m->f.offset, m->f.size);
		}
	}
	s = emf__mtable_get(&r->tab, r->key, rule_labels, r);
	if (!s)
		return;
	if (!r->sum) {
		s->vals[0].u++;
		return;
	}
	if (r->sumf.offset + r->sumf.size > ev->size)
		return;
	if (r->kind == EMF__MVAL_F64) {
		if (r->sumf.size == 4) {
			float f;

			memcpy(&f, data + r->sumf.offset, 4);
			s->vals[0].f += f;
		} else {
			double d;

			memcpy(&d, data + r->sumf.offset, 8);
			s->vals[0].f += d;
		}
	} else {
		s->vals[0].u += emf__field_u64(&r->sumf, data, r->kind == EMF__MVAL_I64);
	}
}

int emf__mrule_render(struct emf__mrule *r, struct emf_buf *b, enum emf_metrics_format fmt)
{
	size_t nlen = strlen(r->name), i;
	int err = emf__expo_head(b, fmt, r->name, r->type, r->help);

	for (i = 0; !err && i < r->tab.cap; i++) {
		const struct emf__series *s = r->tab.slots[i];

		if (s)
			err = emf__expo_sample(b, r->name, nlen, s->labels, s->labels_len, r->kind,
					       s->vals[0]);
	}
	if (!err && r->tab.other)
		err = emf__expo_sample(b, r->name, nlen, r->tab.other->labels,
				       r->tab.other->labels_len, r->kind, r->tab.other->vals[0]);
	return err;
}
