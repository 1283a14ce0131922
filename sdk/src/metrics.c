// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Metrics of a runtime: the runtime's counters read through its public API,
 * the last readings of sampled maps (summed over readings for maps cleared at
 * every read, so they export as counters), the rules, and the snapshot that
 * the runtime's thread publishes for the server threads. The server never
 * touches the runtime: it only takes a reference on the latest rendering.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>

#include <emf/bus.h>
#include <emf/errno.h>
#include <emf/metrics.h>
#include <emf/slots.h>

#include "log_internal.h"
#include "metrics_internal.h"
#include "opts_internal.h"
#include "runtime_internal.h"

#define HIST_SLOTS 64
#define MAX_RULES 64

/* A column of a sampled map's value: one integer field, or the whole value. */
struct mcol {
	char *name; /* "_FIELD" in base units, NULL for a value that is one integer */
	uint32_t offset;
	uint32_t size;
	bool sign;
	unsigned int decimals; /* the field counts 10^-decimals of the base unit */
};

/* What is kept of one sampled map of one plugin. */
struct msample {
	const struct emf_plugin *plugin;
	const struct emf_plugin_desc *desc; /* to tell a reloaded plugin apart */
	const struct emf_sample *s;
	char *base; /* "emf_PLUGIN_MAP" */
	struct mcol *cols;
	uint32_t n_cols;
	struct emf__mtable tab; /* counters: the series */
	uint64_t buckets[HIST_SLOTS]; /* log2 histogram, per slot (not cumulative) */
	unsigned int hist_decimals; /* of the histogram's values, as mcol.decimals */
	int max_slot; /* highest slot ever counted, -1 for none */
};

struct emf_metrics {
	struct emf_runtime *rt;
	uint32_t max_series;
	struct msample **samples;
	size_t n_samples;
	struct emf__mrule *rules[MAX_RULES];
	size_t n_rules;
	struct emf_buf out; /* the runtime thread's rendering buffer */
	int efd;
	/* shared with the server threads */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool want; /* a scrape waits; read without the lock too */
	uint64_t req[2]; /* per format: scrapes that asked */
	uint64_t done[2]; /* per format: req[] when the rendering published last was taken */
	struct emf__msnap *snap[2];
};

struct emf_metrics *emf_metrics__new(struct emf_runtime *rt, const struct emf_metrics_opts *opts)
{
	struct emf_metrics *m;

	if (!rt || !OPTS_VALID(opts, emf_metrics_opts))
		return emf_err_ptr(-EINVAL);
	m = calloc(1, sizeof(*m));
	if (!m)
		return emf_err_ptr(-ENOMEM);
	m->rt = rt;
	m->max_series = OPTS_GET(opts, max_series, 0) ?: EMF_METRICS_MAX_SERIES_DEFAULT;
	m->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (m->efd < 0) {
		int err = -errno;

		free(m);
		return emf_err_ptr(err);
	}
	pthread_mutex_init(&m->lock, NULL);
	pthread_cond_init(&m->cond, NULL);
	return m;
}

static void msample_free(struct msample *ms)
{
	if (!ms)
		return;
	emf__mtable_free(&ms->tab);
	for (uint32_t i = 0; ms->cols && i < ms->n_cols; i++)
		free(ms->cols[i].name);
	free(ms->cols);
	free(ms->base);
	free(ms);
}

void emf__msnap_put(struct emf__msnap *s)
{
	if (s && __atomic_sub_fetch(&s->refs, 1, __ATOMIC_ACQ_REL) == 0)
		free(s);
}

void emf_metrics__destroy(struct emf_metrics *m)
{
	size_t i;

	if (!m)
		return;
	for (i = 0; i < m->n_samples; i++)
		msample_free(m->samples[i]);
	free(m->samples);
	for (i = 0; i < m->n_rules; i++)
		emf__mrule_free(m->rules[i]);
	emf__msnap_put(m->snap[0]);
	emf__msnap_put(m->snap[1]);
	emf_buf__free(&m->out);
	close(m->efd);
	pthread_cond_destroy(&m->cond);
	pthread_mutex_destroy(&m->lock);
	free(m);
}

int emf_metrics__add_rule(struct emf_metrics *m, const char *spec)
{
	struct emf__mrule *r;
	size_t i;

	if (!m || !spec)
		return emf_err(-EINVAL);
	if (m->n_rules == MAX_RULES) {
		pr_warn("metrics: failed to add rule '%s': at most %d rules\n", spec, MAX_RULES);
		return emf_err(-E2BIG);
	}
	r = emf__mrule_new(m->rt, spec, m->max_series);
	if (!r)
		return -errno;
	for (i = 0; i < m->n_rules; i++) {
		if (!strcmp(emf__mrule_name(m->rules[i]), emf__mrule_name(r))) {
			pr_warn("metrics: failed to add rule '%s': a rule named '%s' exists already\n",
				spec, emf__mrule_name(r));
			emf__mrule_free(r);
			return emf_err(-EEXIST);
		}
	}
	m->rules[m->n_rules++] = r;
	return 0;
}

void emf_metrics__event(struct emf_metrics *m, const struct emf_event *ev)
{
	size_t i;

	for (i = 0; m && i < m->n_rules; i++)
		emf__mrule_event(m->rules[i], ev);
}

/* ---- sampled maps --------------------------------------------------------------- */

static bool int_col(const struct emf_field *f)
{
	return (f->kind == EMF_FIELD_INT || f->kind == EMF_FIELD_UINT) && !f->count &&
	       !f->bit_size && (f->size == 1 || f->size == 2 || f->size == 4 || f->size == 8);
}

struct key_ctx {
	const struct emf_field *key;
};

/* Labels of a key: its fields, or one label "key" for a key that is one value. */
static int key_labels(void *ctx, struct emf_buf *b, const void *key)
{
	const struct emf_field *k = ((struct key_ctx *)ctx)->key;
	struct emf_field whole = *k;
	uint32_t i;
	int err = emf_buf__append(b, "{", 1);

	if (k->kind == EMF_FIELD_STRUCT && !k->count) {
		for (i = 0; !err && i < k->type->n_fields; i++) {
			const struct emf_field *f = &k->type->fields[i];

			if (emf__field_labelable(f))
				err = emf__expo_field_label(b, f->name, f, key);
		}
	} else if (emf__field_labelable(k)) {
		whole.offset = 0;
		err = emf__expo_field_label(b, "key", &whole, key);
	}
	return err ?: emf_buf__append(b, "}", 1);
}

static int other_labels(const struct emf_field *k, char **out)
{
	struct emf_buf b = {};
	uint32_t i;
	int err = emf_buf__append(&b, "{", 1);

	if (k->kind == EMF_FIELD_STRUCT && !k->count) {
		for (i = 0; !err && i < k->type->n_fields; i++)
			if (emf__field_labelable(&k->type->fields[i]))
				err = emf__expo_label(&b, k->type->fields[i].name, "other", 5);
	} else {
		err = emf__expo_label(&b, "key", "other", 5);
	}
	err = err ?: emf_buf__append(&b, "}", 1);
	if (err) {
		emf_buf__free(&b);
		return err;
	}
	*out = b.data;
	return 0;
}

/*
 * Append @name to @b with units in base units (latency_ns -> latency_seconds),
 * as Prometheus's naming rules and promtool ask; *@decimals says how many
 * decimal places the values then need (9 for nanoseconds).
 */
static int append_unit_name(struct emf_buf *b, const char *name, unsigned int *decimals)
{
	static const struct {
		const char *abbr;
		unsigned int decimals;
	} units[] = { { "ns", 9 }, { "nsec", 9 }, { "nanoseconds", 9 }, { "us", 6 },
		      { "usec", 6 }, { "microseconds", 6 }, { "ms", 3 }, { "msec", 3 },
		      { "milliseconds", 3 }, { "sec", 0 }, { "secs", 0 } };
	const char *p = name;
	int err = 0;

	*decimals = 0;
	while (!err && *p) {
		size_t n = strcspn(p, "_"), i;
		const char *w = p;
		size_t wl = n;

		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
			if (strlen(units[i].abbr) == n && !strncasecmp(p, units[i].abbr, n)) {
				w = "seconds";
				wl = 7;
				*decimals = units[i].decimals;
			}
		}
		err = emf_buf__append(b, w, wl);
		p += n;
		if (*p == '_') {
			err = err ?: emf_buf__append(b, "_", 1);
			p++;
		}
	}
	return err;
}

static char *unit_name(const char *prefix, const char *name, unsigned int *decimals)
{
	struct emf_buf b = {};

	if (emf_buf__append(&b, prefix, strlen(prefix)) || append_unit_name(&b, name, decimals) ||
	    !b.data) {
		emf_buf__free(&b);
		return NULL;
	}
	return b.data;
}

static struct msample *msample_new(struct emf_metrics *m, const struct emf_sample_data *d)
{
	const struct emf_sample *s = d->sample;
	struct msample *ms = calloc(1, sizeof(*ms));
	char *other = NULL, prefix[128];
	uint32_t i;

	if (!ms)
		return NULL;
	ms->plugin = d->plugin;
	ms->desc = emf_plugin__desc(d->plugin);
	ms->s = s;
	ms->max_slot = -1;
	snprintf(prefix, sizeof(prefix), "emf_%s_", emf_plugin__name(d->plugin));
	ms->base = unit_name(prefix, s->map_name, &ms->hist_decimals);
	if (!ms->base)
		goto err;
	if (s->kind == EMF_SAMPLE_COUNTERS) {
		const struct emf_field *v = &s->value;

		ms->cols = calloc(v->kind == EMF_FIELD_STRUCT ? v->type->n_fields : 1,
				  sizeof(*ms->cols));
		if (!ms->cols)
			goto err;
		if (v->kind == EMF_FIELD_STRUCT && !v->count) {
			for (i = 0; i < v->type->n_fields; i++) {
				const struct emf_field *f = &v->type->fields[i];

				if (!int_col(f))
					continue;
				ms->cols[ms->n_cols] = (struct mcol){
					NULL, f->offset, f->size, f->kind == EMF_FIELD_INT, 0
				};
				ms->cols[ms->n_cols].name =
					unit_name("_", f->name, &ms->cols[ms->n_cols].decimals);
				if (!ms->cols[ms->n_cols++].name)
					goto err;
			}
		} else if (int_col(v)) {
			/* The map's name says the unit of a value that is one integer. */
			ms->cols[ms->n_cols++] = (struct mcol){ NULL, 0, v->size,
							       v->kind == EMF_FIELD_INT,
							       ms->hist_decimals };
		}
		if (other_labels(&s->key, &other) ||
		    emf__mtable_init(&ms->tab, s->key.size, ms->n_cols, m->max_series, other))
			goto err;
		free(other);
	}
	return ms;
err:
	free(other);
	msample_free(ms);
	return NULL;
}

static uint64_t col_read(const struct mcol *c, const char *v)
{
	struct emf_field f = { .kind = c->sign ? EMF_FIELD_INT : EMF_FIELD_UINT,
			       .offset = c->offset,
			       .size = c->size };

	return emf__field_u64(&f, v, c->sign);
}

int emf_metrics__sample(struct emf_metrics *m, const struct emf_sample_data *d)
{
	const struct emf_sample *s;
	struct msample *ms = NULL, **grown;
	struct key_ctx kc;
	size_t i;
	uint32_t c;

	if (!m || !d || !d->plugin || !d->sample)
		return emf_err(-EINVAL);
	s = d->sample;
	/* One histogram per key (a value struct's "slots") has no metric form yet. */
	if (s->kind == EMF_SAMPLE_LOG2_HIST && s->value.kind == EMF_FIELD_STRUCT)
		return 0;
	for (i = 0; i < m->n_samples && !ms; i++)
		if (m->samples[i]->plugin == d->plugin && m->samples[i]->s == s &&
		    m->samples[i]->desc == emf_plugin__desc(d->plugin))
			ms = m->samples[i];
	if (!ms) {
		grown = realloc(m->samples, (m->n_samples + 1) * sizeof(*grown));
		if (!grown)
			return emf_err(-ENOMEM);
		m->samples = grown;
		ms = msample_new(m, d);
		if (!ms)
			return emf_err(-ENOMEM);
		m->samples[m->n_samples++] = ms;
	}
	if (s->kind == EMF_SAMPLE_LOG2_HIST) {
		struct emf_field kf = { .kind = EMF_FIELD_UINT, .size = s->key.size };
		struct emf_field vf = { .kind = EMF_FIELD_UINT, .size = s->value.size };

		if (!s->clear)
			memset(ms->buckets, 0, sizeof(ms->buckets));
		for (i = 0; i < d->n; i++) {
			uint64_t slot = emf__field_u64(&kf, (const char *)d->keys + i * s->key.size,
						       false);
			uint64_t n = emf__field_u64(&vf, (const char *)d->values + i * s->value.size,
						    false);

			if (slot >= HIST_SLOTS)
				slot = HIST_SLOTS - 1;
			ms->buckets[slot] += n;
			if (n && (int)slot > ms->max_slot)
				ms->max_slot = (int)slot;
		}
		return 0;
	}
	/* A map read as it is replaces the last reading; a cleared one adds to it. */
	if (!s->clear)
		emf__mtable_reset(&ms->tab);
	kc.key = &s->key;
	for (i = 0; i < d->n; i++) {
		const char *v = (const char *)d->values + i * s->value.size;
		struct emf__series *se =
			emf__mtable_get(&ms->tab, (const char *)d->keys + i * s->key.size,
					key_labels, &kc);

		for (c = 0; se && c < ms->n_cols; c++) {
			uint64_t x = col_read(&ms->cols[c], v);

			/* Gauges of a map read as is: "other" is the sum of what it folds. */
			if (s->clear || se == ms->tab.other)
				se->vals[c].u += x;
			else
				se->vals[c].u = x;
		}
	}
	return 0;
}

static int render_table(struct emf_buf *b, const struct emf__mtable *t, const char *name,
			uint32_t col, const struct mcol *c)
{
	size_t nlen = strlen(name), i;
	int err = 0;

	for (i = 0; !err && i <= t->cap; i++) {
		const struct emf__series *s = i < t->cap ? t->slots[i] : t->other;

		if (s)
			err = emf__expo_sample_scaled(b, name, nlen, s->labels, s->labels_len,
						      s->vals[col].u, c->sign, c->decimals);
	}
	return err;
}

static int render_hist(struct emf_buf *b, enum emf_metrics_format fmt, struct msample *ms)
{
	char name[300], help[400], le[64];
	uint64_t cum = 0, sum = 0;
	size_t blen;
	int i, err;

	snprintf(help, sizeof(help),
		 "Map %s of plugin %s: log2 histogram since the start (_sum estimated from bucket midpoints)",
		 ms->s->map_name, emf_plugin__name(ms->plugin));
	err = emf__expo_head(b, fmt, ms->base, "histogram", help);
	blen = (size_t)snprintf(name, sizeof(name), "%s_bucket", ms->base);
	for (i = 0; !err && i < HIST_SLOTS - 1 && i <= ms->max_slot; i++) {
		uint64_t low = i ? 1ULL << i : 0, high = (2ULL << i) - 1;

		cum += ms->buckets[i];
		sum += ms->buckets[i] * (low + (high - low) / 2);
		memcpy(le, "{le=\"", 5);
		memcpy(emf__fmt_scaled(le + 5, high, false, ms->hist_decimals), "\"}", 3);
		err = emf__expo_sample(b, name, blen, le, strlen(le), EMF__MVAL_U64,
				       (union emf__mnum){ .u = cum });
	}
	cum += ms->max_slot == HIST_SLOTS - 1 ? ms->buckets[HIST_SLOTS - 1] : 0;
	err = err ?: emf__expo_sample(b, name, blen, "{le=\"+Inf\"}", 11, EMF__MVAL_U64,
				      (union emf__mnum){ .u = cum });
	blen = (size_t)snprintf(name, sizeof(name), "%s_sum", ms->base);
	err = err ?: emf__expo_sample_scaled(b, name, blen, "", 0, sum, false, ms->hist_decimals);
	blen = (size_t)snprintf(name, sizeof(name), "%s_count", ms->base);
	err = err ?: emf__expo_sample(b, name, blen, "", 0, EMF__MVAL_U64,
				      (union emf__mnum){ .u = cum });
	return err;
}

static int render_sample(struct emf_buf *b, enum emf_metrics_format fmt, struct msample *ms)
{
	char name[300], help[400];
	uint32_t c;
	int err = 0;

	if (ms->s->kind == EMF_SAMPLE_LOG2_HIST)
		return render_hist(b, fmt, ms);
	for (c = 0; !err && c < ms->n_cols; c++) {
		const char *col = ms->cols[c].name;

		snprintf(name, sizeof(name), "%s%s%s", ms->base, col ?: "",
			 ms->s->clear ? "_total" : "");
		snprintf(help, sizeof(help), "Map %s of plugin %s%s%s: %s", ms->s->map_name,
			 emf_plugin__name(ms->plugin), col ? ", field " : "", col ? col + 1 : "",
			 ms->s->clear ? "summed over every reading since the start" :
					"as last read");
		err = emf__expo_head(b, fmt, name, ms->s->clear ? "counter" : "gauge", help);
		err = err ?: render_table(b, &ms->tab, name, c, &ms->cols[c]);
	}
	return err;
}

/* Readings of plugins no longer running (stopped, reloaded) go. */
static void gc_samples(struct emf_metrics *m)
{
	size_t i, j, k = 0;

	for (i = 0; i < m->n_samples; i++) {
		struct msample *ms = m->samples[i];
		bool live = false;

		for (j = 0; j < emf_runtime__plugin_cnt(m->rt) && !live; j++) {
			struct emf_plugin *p = emf_runtime__plugin(m->rt, j);

			live = p == ms->plugin && emf_plugin__desc(p) == ms->desc &&
			       emf_plugin__state(p) == EMF_PLUGIN_ATTACHED;
		}
		if (live)
			m->samples[k++] = ms;
		else
			msample_free(ms);
	}
	m->n_samples = k;
}

/* ---- the runtime's own counters --------------------------------------------------- */

static int labels2(struct emf_buf *lb, const char *n1, const char *v1, const char *n2,
		   const char *v2)
{
	int err;

	emf_buf__reset(lb);
	err = emf_buf__append(lb, "{", 1);
	err = err ?: emf__expo_label(lb, n1, v1, strlen(v1));
	if (n2)
		err = err ?: emf__expo_label(lb, n2, v2, strlen(v2));
	return err ?: emf_buf__append(lb, "}", 1);
}

static const struct {
	const char *name;
	const char *help;
	size_t off;
} out_families[] = {
	{ "emf_output_events_total", "Events delivered to the host, per plugin and output",
	  offsetof(struct emf_output_stats, events) },
	{ "emf_output_lost_events_total",
	  "Events never delivered: failed ring reserves, perf samples the kernel dropped",
	  offsetof(struct emf_output_stats, lost) },
	{ "emf_output_decode_errors_total", "Events refused by the decoder (too short)",
	  offsetof(struct emf_output_stats, decode_errors) },
	{ "emf_output_reads_total", "Reads of the output that delivered at least one event",
	  offsetof(struct emf_output_stats, batches) },
};

static int render_outputs(struct emf_metrics *m, struct emf_buf *b, enum emf_metrics_format fmt,
			  struct emf_buf *lb)
{
	size_t n = emf_runtime__plugin_cnt(m->rt), i, k;
	struct emf_plugin_stats ps;
	struct emf_output_stats os;
	uint32_t j;
	int err = 0;

	/* emf_plugin__stats() brings the kernel's loss counts up to date first. */
	for (i = 0; i < n; i++)
		emf_plugin__stats(emf_runtime__plugin(m->rt, i), &ps);
	for (k = 0; !err && k < sizeof(out_families) / sizeof(out_families[0]); k++) {
		const char *name = out_families[k].name;

		err = emf__expo_head(b, fmt, name, "counter", out_families[k].help);
		for (i = 0; !err && i < n; i++) {
			struct emf_plugin *p = emf_runtime__plugin(m->rt, i);
			const struct emf_plugin_desc *d = emf_plugin__desc(p);

			for (j = 0; !err && j < d->n_outputs; j++) {
				if (emf_plugin__output_stats(p, j, &os))
					continue;
				err = labels2(lb, "plugin", d->name, "output", d->outputs[j].map_name);
				err = err ?: emf__expo_sample(b, name, strlen(name), lb->data, lb->len,
							      EMF__MVAL_U64,
							      (union emf__mnum){
								      .u = *(const uint64_t *)((const char *)&os +
											       out_families[k].off) });
			}
		}
	}
	return err;
}

static int render_states(struct emf_metrics *m, struct emf_buf *b, enum emf_metrics_format fmt,
			 struct emf_buf *lb)
{
	static const char name[] = "emf_plugin_state";
	size_t i;
	int s, err;

	err = emf__expo_head(b, fmt, name, "gauge",
			     "Lifecycle state of the plugin: 1 for the state it is in, 0 for the others");
	for (i = 0; !err && i < emf_runtime__plugin_cnt(m->rt); i++) {
		struct emf_plugin *p = emf_runtime__plugin(m->rt, i);

		for (s = EMF_PLUGIN_NEW; !err && s <= EMF_PLUGIN_FAILED; s++) {
			err = labels2(lb, "plugin", emf_plugin__name(p), "state",
				      emf_plugin_state_str((enum emf_plugin_state)s));
			err = err ?: emf__expo_sample(b, name, sizeof(name) - 1, lb->data, lb->len,
						      EMF__MVAL_U64,
						      (union emf__mnum){ .u = emf_plugin__state(p) ==
									     (enum emf_plugin_state)s });
		}
	}
	return err;
}

static int render_slots(struct emf_metrics *m, struct emf_buf *b, enum emf_metrics_format fmt,
			struct emf_buf *lb)
{
	static const char name[] = "emf_slot_missed_calls_total";
	struct emf_slot_info si;
	size_t i;
	int err;

	err = emf__expo_head(b, fmt, name, "counter",
			     "Tail calls through the slot that missed: the slot was empty, or the chain at the kernel's limit");
	for (i = 0; !err && i < emf_runtime__slot_cnt(m->rt); i++) {
		if (emf_runtime__slot(m->rt, i, &si))
			continue;
		err = labels2(lb, "slot", si.name, "kind", si.kind);
		err = err ?: emf__expo_sample(b, name, sizeof(name) - 1, lb->data, lb->len,
					      EMF__MVAL_U64, (union emf__mnum){ .u = si.missed });
	}
	return err;
}

static int render_bus(struct emf_metrics *m, struct emf_buf *b, enum emf_metrics_format fmt,
		      struct emf_buf *lb)
{
	static const char pub[] = "emf_bus_published_messages_total",
			  del[] = "emf_bus_delivered_messages_total",
			  drop[] = "emf_bus_dropped_messages_total";
	/* The runtime's bus if it was created; asking emf_runtime__bus() would create it. */
	struct emf_bus *bus = m->rt->bus;
	EMF_OPTS(emf_bus_stats, st);
	static const char *const policies[] = { "drop_new", "drop_old", "block" };
	size_t i;
	int err;

	if (bus)
		emf_bus__stats(bus, &st);
	err = emf__expo_head(b, fmt, pub, "counter",
			     "Messages published on the runtime's bus (every decoded event once the bus exists)");
	err = err ?: emf__expo_sample(b, pub, sizeof(pub) - 1, "", 0, EMF__MVAL_U64,
				      (union emf__mnum){ .u = st.published });
	err = err ?: emf__expo_head(b, fmt, del, "counter",
				    "Subscription callbacks run on the runtime's bus");
	err = err ?: emf__expo_sample(b, del, sizeof(del) - 1, "", 0, EMF__MVAL_U64,
				      (union emf__mnum){ .u = st.delivered });
	err = err ?: emf__expo_head(b, fmt, drop, "counter",
				    "Messages a full subscription queue dropped, by its policy");
	for (i = 0; !err && i < 3; i++) {
		uint64_t n = i == 0 ? st.dropped_new : i == 1 ? st.dropped_old : st.dropped_block;

		err = labels2(lb, "policy", policies[i], NULL, NULL);
		err = err ?: emf__expo_sample(b, drop, sizeof(drop) - 1, lb->data, lb->len,
					      EMF__MVAL_U64, (union emf__mnum){ .u = n });
	}
	return err;
}

static int render_overflow(struct emf_metrics *m, struct emf_buf *b, enum emf_metrics_format fmt,
			   struct emf_buf *lb)
{
	static const char name[] = "emf_metrics_overflow_total";
	char fam[300];
	size_t i;
	int err;

	err = emf__expo_head(b, fmt, name, "counter",
			     "Observations folded into the series labelled \"other\": the family had its most series");
	for (i = 0; !err && i < m->n_rules; i++) {
		err = labels2(lb, "metric", emf__mrule_name(m->rules[i]), NULL, NULL);
		err = err ?: emf__expo_sample(b, name, sizeof(name) - 1, lb->data, lb->len,
					      EMF__MVAL_U64,
					      (union emf__mnum){ .u = emf__mrule_overflow(m->rules[i]) });
	}
	for (i = 0; !err && i < m->n_samples; i++) {
		if (m->samples[i]->s->kind != EMF_SAMPLE_COUNTERS)
			continue;
		snprintf(fam, sizeof(fam), "%s", m->samples[i]->base);
		err = labels2(lb, "metric", fam, NULL, NULL);
		err = err ?: emf__expo_sample(b, name, sizeof(name) - 1, lb->data, lb->len,
					      EMF__MVAL_U64,
					      (union emf__mnum){ .u = m->samples[i]->tab.overflow });
	}
	return err;
}

int emf_metrics__render(struct emf_metrics *m, struct emf_buf *b, enum emf_metrics_format fmt)
{
	struct emf_buf lb = {};
	size_t i;
	int err;

	if (!m || !b || (fmt != EMF_METRICS_TEXT && fmt != EMF_METRICS_OPENMETRICS))
		return emf_err(-EINVAL);
	gc_samples(m);
	err = render_outputs(m, b, fmt, &lb);
	err = err ?: render_states(m, b, fmt, &lb);
	err = err ?: render_slots(m, b, fmt, &lb);
	err = err ?: render_bus(m, b, fmt, &lb);
	for (i = 0; !err && i < m->n_samples; i++)
		err = render_sample(b, fmt, m->samples[i]);
	for (i = 0; !err && i < m->n_rules; i++)
		err = emf__mrule_render(m->rules[i], b, fmt);
	err = err ?: render_overflow(m, b, fmt, &lb);
	if (!err && fmt == EMF_METRICS_OPENMETRICS)
		err = emf_buf__append(b, "# EOF\n", 6);
	emf_buf__free(&lb);
	return emf_err(err);
}

/* ---- snapshots ------------------------------------------------------------------ */

int emf_metrics__fd(const struct emf_metrics *m)
{
	return m ? m->efd : emf_err(-EINVAL);
}

int emf_metrics__publish(struct emf_metrics *m)
{
	struct emf__msnap *snap[2] = {}, *old;
	uint64_t take[2], cnt;
	int f, err = 0;

	if (!m)
		return emf_err(-EINVAL);
	if (!__atomic_load_n(&m->want, __ATOMIC_ACQUIRE))
		return 0;
	pthread_mutex_lock(&m->lock);
	m->want = false;
	take[0] = m->req[0];
	take[1] = m->req[1];
	pthread_mutex_unlock(&m->lock);
	if (read(m->efd, &cnt, sizeof(cnt)) < 0 && errno != EAGAIN)
		pr_debug("metrics: failed to read the scrape eventfd: %s\n", strerror(errno));
	for (f = 0; f < 2 && !err; f++) {
		if (take[f] == m->done[f])
			continue;
		emf_buf__reset(&m->out);
		err = emf_metrics__render(m, &m->out, (enum emf_metrics_format)f);
		if (err)
			break;
		snap[f] = malloc(sizeof(*snap[f]) + m->out.len);
		if (!snap[f]) {
			err = -ENOMEM;
			break;
		}
		snap[f]->refs = 1;
		snap[f]->len = m->out.len;
		memcpy(snap[f]->data, m->out.data, m->out.len);
	}
	/* Waiters are released even on error: they get the previous rendering. */
	pthread_mutex_lock(&m->lock);
	for (f = 0; f < 2; f++) {
		m->done[f] = take[f];
		if (!snap[f])
			continue;
		old = m->snap[f];
		m->snap[f] = snap[f];
		snap[f] = old;
	}
	pthread_cond_broadcast(&m->cond);
	pthread_mutex_unlock(&m->lock);
	emf__msnap_put(snap[0]);
	emf__msnap_put(snap[1]);
	/* Keep the buffer of a huge scrape from pinning memory between scrapes. */
	if (m->out.cap > (4U << 20))
		emf_buf__free(&m->out);
	return err ? emf_err(err) : 1;
}

struct emf__msnap *emf__metrics_snapshot(struct emf_metrics *m, enum emf_metrics_format fmt,
					 unsigned int wait_ms)
{
	struct emf__msnap *s;
	struct timespec ts;
	uint64_t my, one = 1;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += wait_ms / 1000;
	ts.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&m->lock);
	my = ++m->req[fmt];
	if (!m->want && write(m->efd, &one, sizeof(one)) < 0)
		pr_debug("metrics: failed to wake the runtime's thread: %s\n", strerror(errno));
	__atomic_store_n(&m->want, true, __ATOMIC_RELEASE);
	/* One rendering taken after this request serves every scrape waiting for it. */
	while (m->done[fmt] < my)
		if (pthread_cond_timedwait(&m->cond, &m->lock, &ts))
			break;
	s = m->snap[fmt];
	if (s)
		__atomic_add_fetch(&s->refs, 1, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&m->lock);
	return s;
}
