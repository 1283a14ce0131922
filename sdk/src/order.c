// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Event order: with emf_runtime_opts.ordered, the reader hands each event
 * here instead of to the host; once every output of a poll has been read,
 * the batch goes to the host sorted by time (ties in read order). Records
 * are copied, since a ring buffer's space is the producer's again once read.
 * Offsets, not pointers, name a copy: the arena moves as it grows.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "runtime_internal.h"

struct emf_order_ev {
	uint64_t time_ns;
	uint64_t seq;
	const struct emf_plugin *plugin;
	const struct emf_event_type *type;
	size_t off; /* into the arena */
	size_t size;
};

static int grow_arena(struct emf_order *o, size_t need)
{
	size_t cap = o->arena_cap ?: 64 * 1024;
	void *p;

	while (cap < need)
		cap *= 2;
	if (posix_memalign(&p, EMF_EVENT_ALIGN, cap))
		return -ENOMEM;
	if (o->arena_len)
		memcpy(p, o->arena, o->arena_len);
	free(o->arena);
	o->arena = p;
	o->arena_cap = cap;
	return 0;
}

int emf__order_push(struct emf_order *o, const struct emf_event *ev)
{
	size_t off = (o->arena_len + EMF_EVENT_ALIGN - 1) & ~(size_t)(EMF_EVENT_ALIGN - 1);
	struct emf_order_ev *e;

	if (o->n == o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 1024;

		e = realloc(o->evs, cap * sizeof(*e));
		if (!e)
			return -ENOMEM;
		o->evs = e;
		o->cap = cap;
	}
	if (off + ev->size > o->arena_cap && grow_arena(o, off + ev->size))
		return -ENOMEM;
	memcpy(o->arena + off, ev->data, ev->size);
	o->arena_len = off + ev->size;
	e = &o->evs[o->n++];
	e->time_ns = ev->time_ns;
	e->seq = o->seq++;
	e->plugin = ev->plugin;
	e->type = ev->type;
	e->off = off;
	e->size = ev->size;
	return 0;
}

static int cmp_ev(const void *a, const void *b)
{
	const struct emf_order_ev *x = a, *y = b;

	if (x->time_ns != y->time_ns)
		return x->time_ns < y->time_ns ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

int emf__order_flush(struct emf_order *o, emf_event_fn cb, void *ctx)
{
	struct emf_event ev;
	size_t i;
	int err = 0;

	if (o->n > 1)
		qsort(o->evs, o->n, sizeof(*o->evs), cmp_ev);
	for (i = 0; i < o->n && err >= 0; i++) {
		ev.plugin = o->evs[i].plugin;
		ev.type = o->evs[i].type;
		ev.data = o->arena + o->evs[i].off;
		ev.size = o->evs[i].size;
		ev.time_ns = o->evs[i].time_ns;
		err = cb(ctx, &ev);
	}
	/*
	 * The host asked to stop: the rest waits for the next flush, still in
	 * the arena, as unread records wait in a ring.
	 */
	o->n -= i;
	memmove(o->evs, o->evs + i, o->n * sizeof(*o->evs));
	if (!o->n)
		o->arena_len = 0;
	return err < 0 ? err : 0;
}

void emf__order_free(struct emf_order *o)
{
	free(o->evs);
	free(o->arena);
	memset(o, 0, sizeof(*o));
}
