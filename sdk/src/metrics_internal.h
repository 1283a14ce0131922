/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Private parts of the metrics: metrics.c (the object, sampled maps, the
 * runtime's counters, the snapshot handed to servers), metrics_expo.c (the
 * exposition writer and the series table), metrics_rule.c (event-derived
 * metrics) and metrics_http.c (the libmicrohttpd server).
 */
#ifndef __EMF_METRICS_INTERNAL_H
#define __EMF_METRICS_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <emf/event.h>
#include <emf/fmt.h>
#include <emf/metrics.h>

#define EMF_HIDDEN __attribute__((visibility("hidden")))

union emf__mnum {
	uint64_t u;
	int64_t i;
	double f;
};

enum emf__mval {
	EMF__MVAL_U64,
	EMF__MVAL_I64,
	EMF__MVAL_F64,
};

/* One series: its label set, rendered once when it is created, and its values. */
struct emf__series {
	uint64_t hash;
	char *labels; /* "{a=\"x\"}", or "" without labels */
	uint32_t labels_len;
	union emf__mnum vals[]; /* the table's nvals, then its ksz bytes of key */
};

/* Writes the label set of a new series for @key into @b; 0 or -ENOMEM. */
typedef int (*emf__labels_fn)(void *ctx, struct emf_buf *b, const void *key);

/*
 * Series of one or more families sharing a key (open addressing, keys
 * compared as bytes). Past @max series, keys go to @other and are counted.
 */
struct emf__mtable {
	uint32_t ksz;
	uint32_t nvals;
	uint32_t max;
	struct emf__series **slots;
	size_t cap;
	size_t n;
	struct emf__series *other; /* created on the first overflow */
	char *other_labels; /* every label "other" */
	uint64_t overflow; /* observations folded into @other */
};

int emf__mtable_init(struct emf__mtable *t, uint32_t ksz, uint32_t nvals, uint32_t max,
		     const char *other_labels) EMF_HIDDEN;
/* Forget every series (the overflow count stays). */
void emf__mtable_reset(struct emf__mtable *t) EMF_HIDDEN;
void emf__mtable_free(struct emf__mtable *t) EMF_HIDDEN;
/*
 * The series of @key, created (labels from @fn) when new; past the limit the
 * "other" series. NULL only when even that cannot be allocated.
 */
struct emf__series *emf__mtable_get(struct emf__mtable *t, const void *key, emf__labels_fn fn,
				    void *ctx) EMF_HIDDEN;

static inline const void *emf__series_key(const struct emf__mtable *t, const struct emf__series *s)
{
	return s->vals + t->nvals;
}

/* ---- exposition writer ---------------------------------------------------- */

/*
 * HELP and TYPE lines of a family. @name is the samples' name; in OpenMetrics a
 * counter family drops its "_total". @type: "counter", "gauge", "histogram".
 */
int emf__expo_head(struct emf_buf *b, enum emf_metrics_format fmt, const char *name,
		   const char *type, const char *help) EMF_HIDDEN;
/* One sample line: NAME LABELS VALUE. */
int emf__expo_sample(struct emf_buf *b, const char *name, size_t nlen, const char *labels,
		     size_t llen, enum emf__mval kind, union emf__mnum v) EMF_HIDDEN;
/* The same for an integer in units of 10^-@decimals (nanoseconds as seconds: 9). */
int emf__expo_sample_scaled(struct emf_buf *b, const char *name, size_t nlen, const char *labels,
			    size_t llen, uint64_t v, bool sign, unsigned int decimals) EMF_HIDDEN;
/* Write v / 10^decimals exactly; returns the end. At most 42 bytes. */
char *emf__fmt_scaled(char *o, uint64_t v, bool neg, unsigned int decimals) EMF_HIDDEN;
/* Append name="value" to a label set being built ("{" and "}" are the caller's). */
int emf__expo_label(struct emf_buf *b, const char *name, const char *value, size_t vlen)
	EMF_HIDDEN;
/* Append name="value" with the value of field @f of the object at @base. */
int emf__expo_field_label(struct emf_buf *b, const char *name, const struct emf_field *f,
			  const void *base) EMF_HIDDEN;
/* A field usable as a label: scalars, strings, addresses. */
bool emf__field_labelable(const struct emf_field *f) EMF_HIDDEN;
/* Read an integer field (bitfields included) as unsigned or sign-extended. */
uint64_t emf__field_u64(const struct emf_field *f, const void *base, bool sign) EMF_HIDDEN;
/* A metric or label name: [a-zA-Z_:][a-zA-Z0-9_:]* (no ':' for labels). */
bool emf__metric_name_ok(const char *s, size_t len, bool label) EMF_HIDDEN;

/* ---- rules ---------------------------------------------------------------- */

struct emf__mrule;

struct emf__mrule *emf__mrule_new(struct emf_runtime *rt, const char *spec, uint32_t max)
	EMF_HIDDEN;
void emf__mrule_free(struct emf__mrule *r) EMF_HIDDEN;
const char *emf__mrule_name(const struct emf__mrule *r) EMF_HIDDEN;
void emf__mrule_event(struct emf__mrule *r, const struct emf_event *ev) EMF_HIDDEN;
int emf__mrule_render(struct emf__mrule *r, struct emf_buf *b, enum emf_metrics_format fmt)
	EMF_HIDDEN;
uint64_t emf__mrule_overflow(const struct emf__mrule *r) EMF_HIDDEN;

/* ---- snapshots, for the server --------------------------------------------- */

/* A rendering handed from the runtime's thread to the server's. */
struct emf__msnap {
	int refs; /* atomic */
	size_t len;
	char data[];
};

/*
 * The freshest rendering in @fmt: asks the runtime's thread for one and waits
 * up to @wait_ms for it, else returns the previous one. NULL when there is
 * none. The caller drops it with emf__msnap_put().
 */
struct emf__msnap *emf__metrics_snapshot(struct emf_metrics *m, enum emf_metrics_format fmt,
					 unsigned int wait_ms) EMF_HIDDEN;
void emf__msnap_put(struct emf__msnap *s) EMF_HIDDEN;

#endif /* __EMF_METRICS_INTERNAL_H */
