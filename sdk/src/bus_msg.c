// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * ebus messages: one refcounted allocation per published payload, shared by
 * every subscriber, and the pool that recycles them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include <emf/bus.h>
#include <emf/event.h>

#include "bus_internal.h"
#include "log_internal.h"

/*
 * A message and its payload are one allocation: a 48-byte header, the payload
 * (16-byte aligned), a NUL, the topic and its NUL. Pooled ones are 64-byte
 * aligned. A view (emf__bus_msg_init()) has neither: it points at the
 * publisher's payload and topic, which outlive it.
 */
struct emf_msg {
	int refs;
	unsigned char cls; /* size class in the pool */
	size_t size;
	struct bus_msg_pool *pool; /* NULL: from malloc, goes back to free() */
	const struct emf_event_type *type;
	const void *ext; /* a view's payload, NULL otherwise */
	const char *ext_topic; /* a view's topic, NULL otherwise */
	_Alignas(16) unsigned char data[];
};

static inline char *msg_topic(const struct emf_msg *m)
{
	return m->ext_topic ? (char *)m->ext_topic : (char *)m->data + m->size + 1;
}

static inline const unsigned char *msg_data(const struct emf_msg *m)
{
	return m->ext ? m->ext : m->data;
}

/*
 * Freed messages are reused instead of going back to malloc: with one thread
 * allocating and another freeing, glibc would make them fight over the arena
 * lock for every message.
 *
 * Each size class keeps its free messages in a lock-free ring: releasers (any
 * thread) push, allocators (publishers, under the class mutex) pop, and a
 * full ring sends the surplus back to free(). Releasers never write into the
 * messages (the last owner of a message with one reference does not even
 * touch its count), so a message's cache line comes back to the publisher
 * cheaply, and the allocator peeks ahead in the ring to prefetch.
 *
 * The pool lives as long as the bus or the last message from it, whichever
 * is later: "live" counts the bus plus the messages out of the pool. An
 * allocation takes a credit; when credits run out it adds BUS_CREDITS to
 * "live" before it hands the message out, so "live" never counts short, and
 * the bus gives back the credits left when it lets go.
 */
#define BUS_NCLASS 3
#define BUS_CREDITS 64
#define BUS_PREFETCH 4
static const unsigned int bus_class_size[BUS_NCLASS] = { 256, 1024, 4096 };
static const unsigned int bus_class_keep[BUS_NCLASS] = { 16384, 2048, 256 };

struct bus_msg_class {
	struct bus_ring free;
	_Alignas(64) long credits; /* atomic */
};

struct bus_msg_pool {
	struct bus_msg_class cls[BUS_NCLASS];
	_Alignas(64) long live;
};

static void pool_free(struct bus_msg_pool *pool)
{
	struct emf_msg *m;
	int i;

	for (i = 0; i < BUS_NCLASS; i++) {
		if (!pool->cls[i].free.cells)
			continue;
		while ((m = bus_ring_pop(&pool->cls[i].free)))
			free(m);
		bus_ring_fini(&pool->cls[i].free);
	}
	free(pool);
}

struct bus_msg_pool *emf__bus_pool_new(void)
{
	struct bus_msg_pool *pool;
	int i;

	pool = aligned_alloc(64, sizeof(*pool));
	if (!pool)
		return NULL;
	memset(pool, 0, sizeof(*pool));
	for (i = 0; i < BUS_NCLASS; i++) {
		if (bus_ring_init(&pool->cls[i].free, bus_class_keep[i])) {
			pool_free(pool);
			return NULL;
		}
	}
	pool->live = 1; /* the bus */
	return pool;
}

static void pool_put(struct bus_msg_pool *pool, long n)
{
	if (__atomic_sub_fetch(&pool->live, n, __ATOMIC_ACQ_REL) == 0)
		pool_free(pool);
}

/* The bus lets go of its pool; messages still out keep it alive. */
void emf__bus_pool_release(struct bus_msg_pool *pool)
{
	long n = 1;
	int i;

	if (!pool)
		return;
	/* no publisher is left: the credits are settled */
	for (i = 0; i < BUS_NCLASS; i++)
		n += __atomic_exchange_n(&pool->cls[i].credits, 0, __ATOMIC_ACQ_REL);
	pool_put(pool, n);
}

static struct emf_msg *msg_alloc(struct bus_msg_pool *pool, size_t total)
{
	struct bus_msg_class *c;
	struct emf_msg *m;
	void *next;
	int i;

	for (i = 0; i < BUS_NCLASS; i++) {
		if (total <= bus_class_size[i])
			break;
	}
	if (i == BUS_NCLASS) {
		m = malloc(total);
		if (m)
			m->pool = NULL;
		return m;
	}
	c = &pool->cls[i];
	m = bus_ring_pop(&c->free);
	if (m) {
		/* a later publish writes it: start taking it back from the releaser's cache */
		next = bus_ring_peek(&c->free, BUS_PREFETCH);
		if (next)
			__builtin_prefetch(next, 1);
	} else {
		m = aligned_alloc(64, bus_class_size[i]);
		if (!m)
			return NULL;
	}
	if (__atomic_fetch_sub(&c->credits, 1, __ATOMIC_RELAXED) <= 0) {
		__atomic_add_fetch(&pool->live, BUS_CREDITS, __ATOMIC_RELAXED);
		__atomic_add_fetch(&c->credits, BUS_CREDITS, __ATOMIC_RELAXED);
	}
	m->pool = pool;
	m->cls = i;
	return m;
}

/* Give back messages whose last reference is gone. */
static void msg_free_batch(struct emf_msg **msgs, unsigned int n)
{
	struct bus_msg_pool *pool = NULL;
	unsigned long pos;
	unsigned int i;
	long cnt = 0;

	for (i = 0; i < n; i++) {
		if (!msgs[i]->pool) {
			free(msgs[i]);
			continue;
		}
		if (pool && msgs[i]->pool != pool) {
			pool_put(pool, cnt);
			cnt = 0;
		}
		pool = msgs[i]->pool;
		if (!bus_ring_push(&pool->cls[msgs[i]->cls].free, msgs[i], &pos, false))
			free(msgs[i]);
		cnt++;
	}
	if (pool)
		pool_put(pool, cnt);
}

/*
 * Drop one reference; true when it was the last. A sole owner needs no
 * atomic write: nobody else may take a reference to a message without one.
 */
static inline bool msg_put(struct emf_msg *m)
{
	return __atomic_load_n(&m->refs, __ATOMIC_ACQUIRE) == 1 ||
	       __atomic_sub_fetch(&m->refs, 1, __ATOMIC_ACQ_REL) == 0;
}

static struct emf_msg *msg_fill(struct emf_msg *m, const char *topic, size_t topic_len,
				const struct emf_event_type *type, const void *data, size_t size,
				int refs)
{
	m->refs = refs;
	m->type = type;
	m->size = size;
	m->ext = NULL;
	m->ext_topic = NULL;
	if (size)
		memcpy(m->data, data, size);
	m->data[size] = 0;
	memcpy(msg_topic(m), topic, topic_len + 1);
	return m;
}

struct emf_msg *emf__bus_msg_new(struct bus_msg_pool *pool, const char *topic, size_t topic_len,
				 const struct emf_event_type *type, const void *data, size_t size,
				 int refs)
{
	size_t off = offsetof(struct emf_msg, data);
	struct emf_msg *m;

	if (size > SIZE_MAX / 2)
		return NULL;
	m = msg_alloc(pool, off + size + 1 + topic_len + 1);
	if (!m)
		return NULL;
	return msg_fill(m, topic, topic_len, type, data, size, refs);
}

struct emf_msg *emf__bus_msg_init(void *buf, size_t cap, const char *topic,
				  const struct emf_event_type *type, const void *data, size_t size)
{
	struct emf_msg *m = buf;

	if (cap < sizeof(*m))
		return NULL;
	m->refs = 1;
	m->pool = NULL;
	m->type = type;
	m->size = size;
	m->ext = size ? data : m->data;
	m->ext_topic = topic;
	return m;
}

const char *emf_msg__topic(const struct emf_msg *msg)
{
	return msg_topic(msg);
}

const void *emf_msg__data(const struct emf_msg *msg)
{
	return msg_data(msg);
}

size_t emf_msg__size(const struct emf_msg *msg)
{
	return msg->size;
}

const struct emf_event_type *emf_msg__type(const struct emf_msg *msg)
{
	return msg->type;
}

struct emf_msg *emf_msg__ref(struct emf_msg *msg)
{
	__atomic_add_fetch(&msg->refs, 1, __ATOMIC_RELAXED);
	return msg;
}

void emf_msg__unref(struct emf_msg *msg)
{
	if (msg && msg_put(msg))
		msg_free_batch(&msg, 1);
}

void emf__bus_msg_unref_batch(struct emf_msg **msgs, unsigned int n)
{
	unsigned int i, k = 0;

	for (i = 0; i < n; i++) {
		if (msg_put(msgs[i]))
			msgs[k++] = msgs[i];
	}
	if (k)
		msg_free_batch(msgs, k);
}

struct json_t *emf_msg__to_json(const struct emf_msg *msg)
{
	const struct emf_event_type *type;
	json_error_t jerr;
	json_t *json;
	char *buf, *p;

	if (!msg)
		return emf_err_ptr(-EINVAL);
	type = msg->type;
	if (!type) {
		json = json_loadb((const char *)msg_data(msg), msg->size, JSON_DECODE_ANY, &jerr);
		if (!json) {
			pr_debug("bus: failed to parse message of %s as JSON: %s\n", msg_topic(msg),
				 jerr.text);
			return emf_err_ptr(-EBADMSG);
		}
		return json;
	}
	if (type->to_json) {
		json = type->to_json(msg_data(msg), msg->size);
		return json ? json : emf_err_ptr(-ENOMEM);
	}
	if (!type->render_json)
		return emf_err_ptr(-EOPNOTSUPP);
	buf = malloc(type->json_max + 3);
	if (!buf)
		return emf_err_ptr(-ENOMEM);
	p = buf;
	*p++ = '{';
	p = type->render_json(p, msg_data(msg), msg->size);
	*p++ = '}';
	json = json_loadb(buf, p - buf, 0, &jerr);
	free(buf);
	return json ? json : emf_err_ptr(-EBADMSG);
}
