// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * ebus: the bus object, its executors (host loop and worker threads),
 * messages, topics and signals. Services and calls live in bus_svc.c.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* pthread_setname_np, pthread_rwlockattr_setkind_np */
#endif
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <jansson.h>

#include <emf/bus.h>
#include <emf/errno.h>
#include <emf/event.h>

#include "bus_internal.h"
#include "log_internal.h"
#include "opts_internal.h"

#define BUS_DEF_QUEUE_LEN 1024
#define BUS_MAX_QUEUE_LEN (1U << 24)
#define BUS_DEF_SPIN_US 50
#define BUS_DEF_BLOCK_MS 1000
#define BUS_MAX_WORKERS 64
#define BUS_BATCH 256 /* messages taken from a queue under one lock */
#define BUS_BUDGET (4 * BUS_BATCH) /* callbacks a worker runs for one receiver in a row */

/* --- time and small helpers ------------------------------------------ */

uint64_t emf__bus_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

void emf__bus_deadline(struct timespec *ts, uint64_t ns)
{
	ts->tv_sec = ns / 1000000000ULL;
	ts->tv_nsec = ns % 1000000000ULL;
}

int emf__bus_cond_init(pthread_cond_t *cond)
{
	pthread_condattr_t attr;
	int err;

	err = pthread_condattr_init(&attr);
	if (err)
		return -err;
	err = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	if (!err)
		err = pthread_cond_init(cond, &attr);
	pthread_condattr_destroy(&attr);
	return -err;
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#else
	__asm__ __volatile__("" ::: "memory");
#endif
}

/*
 * What the current thread is doing for which bus, to refuse waits that only
 * this thread could end (see EMF_BUS_POLICY_BLOCK, emf_bus__call()).
 */
struct bus_tls {
	struct emf_bus *dispatching;
	struct emf_bus *worker_of;
};
static __thread struct bus_tls bus_tls;

bool emf__bus_is_host_thread(struct emf_bus *bus)
{
	pthread_t host = __atomic_load_n(&bus->host_tid, __ATOMIC_RELAXED);

	return bus_tls.dispatching == bus || (host && pthread_equal(host, pthread_self()));
}

/*
 * Topic and service names: segments joined by '.', each non-empty, no '*'.
 * Returns the length, or -EINVAL.
 */
int emf__bus_check_name(const char *name, size_t max_len)
{
	const char *p = name;
	bool seg_start = true;

	if (!name)
		return -EINVAL;
	for (; *p; p++) {
		if ((size_t)(p - name) >= max_len || *p == '*')
			return -EINVAL;
		if (*p == '.') {
			if (seg_start)
				return -EINVAL;
			seg_start = true;
		} else {
			seg_start = false;
		}
	}
	if (seg_start) /* empty, or ends in '.' */
		return -EINVAL;
	return p - name;
}

/* --- messages and their pool ----------------------------------------- */

/*
 * A message and its payload are one allocation: header, payload (16-byte
 * aligned), a NUL, the topic and its NUL.
 */
struct emf_msg {
	int refs;
	unsigned char cls; /* size class in the pool */
	unsigned short topic_len;
	size_t size;
	struct bus_msg_pool *pool; /* NULL: from malloc, goes back to free() */
	const struct emf_event_type *type;
	struct emf_msg *next; /* free lists */
	char *topic;
	_Alignas(16) unsigned char data[];
};

/*
 * Freed messages are reused instead of going back to malloc: with one thread
 * allocating and another freeing, glibc would make them fight over the arena
 * lock for every message. Releasers push whole batches with one CAS on a
 * lock-free stack; the allocator (under a mutex, publishers only) takes the
 * stack whole with one exchange, so there is no ABA problem. The pool lives
 * as long as the bus or the last message from it, whichever is later: "live"
 * counts the bus plus messages out of the pool, in credits of BUS_CREDITS
 * taken under the allocator's lock so the hot path stays cheap.
 */
#define BUS_NCLASS 3
#define BUS_CREDITS 64
static const unsigned int bus_class_size[BUS_NCLASS] = { 256, 1024, 4096 };

struct bus_msg_class {
	pthread_mutex_t lock;
	struct emf_msg *local; /* under lock */
	unsigned int credits; /* under lock */
	_Alignas(64) struct emf_msg *freed; /* lock-free stack */
};

struct bus_msg_pool {
	struct bus_msg_class cls[BUS_NCLASS];
	_Alignas(64) long live;
};

static struct bus_msg_pool *pool_new(void)
{
	struct bus_msg_pool *pool;
	int i;

	pool = aligned_alloc(64, sizeof(*pool));
	if (!pool)
		return NULL;
	memset(pool, 0, sizeof(*pool));
	for (i = 0; i < BUS_NCLASS; i++)
		pthread_mutex_init(&pool->cls[i].lock, NULL);
	pool->live = 1; /* the bus */
	return pool;
}

static void pool_free_list(struct emf_msg *m)
{
	struct emf_msg *next;

	for (; m; m = next) {
		next = m->next;
		free(m);
	}
}

static void pool_free(struct bus_msg_pool *pool)
{
	int i;

	for (i = 0; i < BUS_NCLASS; i++) {
		pool_free_list(pool->cls[i].local);
		pool_free_list(__atomic_load_n(&pool->cls[i].freed, __ATOMIC_ACQUIRE));
		pthread_mutex_destroy(&pool->cls[i].lock);
	}
	free(pool);
}

static void pool_put(struct bus_msg_pool *pool, long n)
{
	if (__atomic_sub_fetch(&pool->live, n, __ATOMIC_ACQ_REL) == 0)
		pool_free(pool);
}

/* The bus lets go of its pool; messages still out keep it alive. */
static void pool_release(struct bus_msg_pool *pool)
{
	long n = 1;
	int i;

	if (!pool)
		return;
	for (i = 0; i < BUS_NCLASS; i++) {
		pthread_mutex_lock(&pool->cls[i].lock);
		n += pool->cls[i].credits;
		pool->cls[i].credits = 0;
		pthread_mutex_unlock(&pool->cls[i].lock);
	}
	pool_put(pool, n);
}

static struct emf_msg *msg_alloc(struct bus_msg_pool *pool, size_t total)
{
	struct bus_msg_class *c;
	struct emf_msg *m;
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
	pthread_mutex_lock(&c->lock);
	m = c->local;
	if (!m)
		m = __atomic_exchange_n(&c->freed, NULL, __ATOMIC_ACQUIRE);
	if (m) {
		c->local = m->next;
		/* the next publish writes it: start fetching it from the releaser's cache */
		if (c->local)
			__builtin_prefetch(c->local, 1);
	} else {
		m = malloc(bus_class_size[i]);
		if (!m) {
			pthread_mutex_unlock(&c->lock);
			return NULL;
		}
	}
	if (!c->credits) {
		__atomic_add_fetch(&pool->live, BUS_CREDITS, __ATOMIC_RELAXED);
		c->credits = BUS_CREDITS;
	}
	c->credits--;
	pthread_mutex_unlock(&c->lock);
	m->pool = pool;
	m->cls = i;
	return m;
}

/* Give back messages whose last reference is gone; one CAS per class. */
static void msg_free_batch(struct emf_msg **msgs, unsigned int n)
{
	struct emf_msg *first[BUS_NCLASS] = {}, *last[BUS_NCLASS] = {};
	struct bus_msg_pool *pool = NULL;
	unsigned int i, cnt = 0;
	struct emf_msg *m, *old;
	int c;

	for (i = 0; i <= n; i++) {
		m = i < n ? msgs[i] : NULL;
		if (m && !m->pool) {
			free(m);
			continue;
		}
		if (pool && (!m || m->pool != pool)) {
			for (c = 0; c < BUS_NCLASS; c++) {
				if (!first[c])
					continue;
				old = __atomic_load_n(&pool->cls[c].freed, __ATOMIC_RELAXED);
				do {
					last[c]->next = old;
				} while (!__atomic_compare_exchange_n(
					&pool->cls[c].freed, &old, first[c], true, __ATOMIC_RELEASE,
					__ATOMIC_RELAXED));
				first[c] = last[c] = NULL;
			}
			pool_put(pool, cnt);
			cnt = 0;
		}
		if (!m)
			break;
		pool = m->pool;
		m->next = first[m->cls];
		first[m->cls] = m;
		if (!last[m->cls])
			last[m->cls] = m;
		cnt++;
	}
}

static struct emf_msg *msg_new(struct bus_msg_pool *pool, const char *topic, size_t topic_len,
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
	m->refs = refs;
	m->type = type;
	m->size = size;
	m->topic_len = topic_len;
	if (size)
		memcpy(m->data, data, size);
	m->data[size] = 0;
	m->topic = (char *)m->data + size + 1;
	memcpy(m->topic, topic, topic_len + 1);
	return m;
}

const char *emf_msg__topic(const struct emf_msg *msg)
{
	return msg->topic;
}

const void *emf_msg__data(const struct emf_msg *msg)
{
	return msg->data;
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
	if (msg && __atomic_sub_fetch(&msg->refs, 1, __ATOMIC_ACQ_REL) == 0)
		msg_free_batch(&msg, 1);
}

static void msg_unref_batch(struct emf_msg **msgs, unsigned int n)
{
	unsigned int i, k = 0;

	for (i = 0; i < n; i++) {
		if (__atomic_sub_fetch(&msgs[i]->refs, 1, __ATOMIC_ACQ_REL) == 0)
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
		json = json_loadb((const char *)msg->data, msg->size, JSON_DECODE_ANY, &jerr);
		if (!json) {
			pr_debug("bus: failed to parse message of %s as JSON: %s\n", msg->topic,
				 jerr.text);
			return emf_err_ptr(-EBADMSG);
		}
		return json;
	}
	if (type->to_json) {
		json = type->to_json(msg->data, msg->size);
		return json ? json : emf_err_ptr(-ENOMEM);
	}
	if (!type->render_json)
		return emf_err_ptr(-EOPNOTSUPP);
	buf = malloc(type->json_max + 3);
	if (!buf)
		return emf_err_ptr(-ENOMEM);
	p = buf;
	*p++ = '{';
	p = type->render_json(p, msg->data, msg->size);
	*p++ = '}';
	json = json_loadb(buf, p - buf, 0, &jerr);
	free(buf);
	return json ? json : emf_err_ptr(-EBADMSG);
}

/* --- executors ------------------------------------------------------- */

static int exec_init(struct bus_exec *ex, bool host)
{
	int err;

	memset(ex, 0, sizeof(*ex));
	ex->host = host;
	ex->tail = &ex->head;
	ex->efd = -1;
	err = pthread_mutex_init(&ex->lock, NULL);
	if (err)
		return -err;
	err = emf__bus_cond_init(&ex->cond);
	if (err) {
		pthread_mutex_destroy(&ex->lock);
		return err;
	}
	if (host) {
		ex->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (ex->efd < 0) {
			err = -errno;
			pthread_cond_destroy(&ex->cond);
			pthread_mutex_destroy(&ex->lock);
			return err;
		}
	}
	return 0;
}

static void exec_fini(struct bus_exec *ex)
{
	if (ex->efd >= 0)
		close(ex->efd);
	pthread_cond_destroy(&ex->cond);
	pthread_mutex_destroy(&ex->lock);
	free(ex->threads);
}

void emf__bus_exec_schedule(struct bus_exec *ex, struct bus_task *t)
{
	uint64_t one = 1;

	pthread_mutex_lock(&ex->lock);
	t->next = NULL;
	*ex->tail = t;
	ex->tail = &t->next;
	__atomic_store_n(&ex->n_ready, ex->n_ready + 1, __ATOMIC_RELEASE);
	if (ex->host) {
		/* under the lock, so dispatch's read cannot miss it */
		if (!ex->armed && write(ex->efd, &one, sizeof(one)) == sizeof(one))
			ex->armed = true;
	} else if (ex->n_sleepers) {
		pthread_cond_signal(&ex->cond);
	}
	pthread_mutex_unlock(&ex->lock);
}

static struct bus_task *exec_pop(struct bus_exec *ex)
{
	struct bus_task *t = ex->head;

	if (t) {
		ex->head = t->next;
		if (!ex->head)
			ex->tail = &ex->head;
		__atomic_store_n(&ex->n_ready, ex->n_ready - 1, __ATOMIC_RELAXED);
	}
	return t;
}

void emf__bus_exec_kick(struct bus_exec *ex)
{
	pthread_mutex_lock(&ex->lock);
	ex->kick = true;
	if (ex->n_sleepers)
		pthread_cond_broadcast(&ex->cond);
	pthread_mutex_unlock(&ex->lock);
}

static int run_sub_task(struct emf_bus *bus, struct bus_task *t, int budget);

static int run_task(struct emf_bus *bus, struct bus_task *t, int budget)
{
	switch (t->kind) {
	case BUS_TASK_SUB:
		return run_sub_task(bus, t, budget);
	case BUS_TASK_SVC:
		return emf__bus_run_svc(bus, t, budget);
	case BUS_TASK_REPLY:
		return emf__bus_run_reply(bus, t);
	}
	return 0;
}

/* Poll for work for up to spin_ns; true when there is some (or we must stop). */
static bool exec_spin(struct emf_bus *bus, struct bus_exec *ex)
{
	uint64_t end;
	int i;

	if (!bus->spin_ns)
		return false;
	end = emf__bus_now_ns() + bus->spin_ns;
	do {
		for (i = 0; i < 64; i++) {
			if (__atomic_load_n(&ex->n_ready, __ATOMIC_ACQUIRE))
				return true;
			cpu_relax();
		}
	} while (emf__bus_now_ns() < end);
	return false;
}

static void *worker_main(void *arg)
{
	struct emf_bus *bus = arg;
	struct bus_exec *ex = &bus->thread;
	struct bus_task *t;
	struct timespec ts;
	uint64_t next;

	bus_tls.worker_of = bus;
	pthread_mutex_lock(&ex->lock);
	while (!ex->stop) {
		t = exec_pop(ex);
		if (t) {
			pthread_mutex_unlock(&ex->lock);
			run_task(bus, t, BUS_BUDGET);
			pthread_mutex_lock(&ex->lock);
			continue;
		}
		ex->kick = false;
		pthread_mutex_unlock(&ex->lock);
		next = emf__bus_expire_calls(bus);
		exec_spin(bus, ex);
		pthread_mutex_lock(&ex->lock);
		if (ex->head || ex->stop || ex->kick)
			continue;
		ex->n_sleepers++;
		if (next == UINT64_MAX) {
			pthread_cond_wait(&ex->cond, &ex->lock);
		} else {
			emf__bus_deadline(&ts, next);
			pthread_cond_timedwait(&ex->cond, &ex->lock, &ts);
		}
		ex->n_sleepers--;
	}
	pthread_mutex_unlock(&ex->lock);
	return NULL;
}

int emf__bus_start_workers(struct emf_bus *bus)
{
	struct bus_exec *ex = &bus->thread;
	sigset_t all, old;
	char name[16];
	unsigned int i;
	int err = 0;

	if (__atomic_load_n(&bus->workers_started, __ATOMIC_ACQUIRE))
		return 0;
	pthread_mutex_lock(&bus->start_lock);
	if (bus->workers_started)
		goto out;
	ex->threads = calloc(bus->n_workers, sizeof(*ex->threads));
	if (!ex->threads) {
		err = -ENOMEM;
		goto out;
	}
	/* the host application's signals must not land on our threads */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (i = 0; i < bus->n_workers; i++) {
		err = -pthread_create(&ex->threads[i], NULL, worker_main, bus);
		if (err)
			break;
		snprintf(name, sizeof(name), "emf-bus/%u", i % BUS_MAX_WORKERS);
		pthread_setname_np(ex->threads[i], name);
		ex->n_threads++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		/* keep the ones that started: they are enough to deliver */
		pr_warn("bus: failed to start worker thread %u: %s\n", i, emf_strerror(err));
		if (ex->n_threads)
			err = 0;
	}
	if (!err)
		__atomic_store_n(&bus->workers_started, true, __ATOMIC_RELEASE);
out:
	pthread_mutex_unlock(&bus->start_lock);
	return err;
}

static void stop_workers(struct emf_bus *bus)
{
	struct bus_exec *ex = &bus->thread;
	unsigned int i;

	pthread_mutex_lock(&ex->lock);
	ex->stop = true;
	pthread_cond_broadcast(&ex->cond);
	pthread_mutex_unlock(&ex->lock);
	for (i = 0; i < ex->n_threads; i++)
		pthread_join(ex->threads[i], NULL);
	ex->n_threads = 0;
}

/* --- subscriptions --------------------------------------------------- */

enum sub_kind {
	SUB_TOPIC,
	SUB_SIGNAL,
};

enum sub_match {
	MATCH_ALL, /* "*" */
	MATCH_EXACT, /* "a.b" */
	MATCH_PREFIX, /* "a.b.*", stored as "a.b." */
};

enum bus_policy_internal {
	POLICY_GROW = 100, /* signals: never drop, grow the ring */
};

struct emf_bus_sub {
	struct bus_task task;
	struct emf_bus *bus;
	struct bus_exec *exec;
	int refs; /* atomic: the bus's list, the executor while scheduled, waiting publishers */
	enum sub_kind kind;
	int policy;
	int block_timeout_ms;
	enum sub_match match;
	size_t plen;
	char *pattern;
	union {
		emf_bus_msg_fn msg_cb;
		emf_bus_signal_fn sig_cb;
	};
	void *ctx;
	int signo;
	char *sig_name;

	pthread_mutex_t lock;
	pthread_cond_t not_full; /* blocked publishers */
	pthread_cond_t idle; /* unsubscribe waiting for a running callback */
	struct emf_msg **ring;
	unsigned int cap; /* power of 2 */
	unsigned int head, tail; /* free-running */
	unsigned int count; /* tail - head; read without lock while polling */
	unsigned int n_blocked;
	unsigned int n_idle_waiters;
	bool scheduled; /* on an executor's ready list, or being run */
	bool running; /* a batch of callbacks is running on @runner */
	bool dead; /* unsubscribed: written under lock, read without while delivering */
	pthread_t runner;
	uint64_t delivered, dropped, timeouts, high_water;
};

static void sub_get(struct emf_bus_sub *sub)
{
	__atomic_add_fetch(&sub->refs, 1, __ATOMIC_RELAXED);
}

static void sub_put(struct emf_bus_sub *sub)
{
	if (__atomic_sub_fetch(&sub->refs, 1, __ATOMIC_ACQ_REL))
		return;
	pthread_cond_destroy(&sub->idle);
	pthread_cond_destroy(&sub->not_full);
	pthread_mutex_destroy(&sub->lock);
	free(sub->ring);
	free(sub->pattern);
	free(sub->sig_name);
	free(sub);
}

static unsigned int roundup_pow2(unsigned int n)
{
	unsigned int p = 1;

	while (p < n)
		p <<= 1;
	return p;
}

static struct emf_bus_sub *sub_new(struct emf_bus *bus, enum sub_kind kind,
				   enum emf_bus_deliver deliver, unsigned int queue_len)
{
	struct emf_bus_sub *sub;
	int err;

	if (deliver != EMF_BUS_DELIVER_HOST && deliver != EMF_BUS_DELIVER_THREAD)
		return emf_err_ptr(-EINVAL);
	if (deliver == EMF_BUS_DELIVER_THREAD) {
		err = emf__bus_start_workers(bus);
		if (err)
			return emf_err_ptr(err);
	}
	sub = calloc(1, sizeof(*sub));
	if (!sub)
		return emf_err_ptr(-ENOMEM);
	sub->cap = roundup_pow2(queue_len);
	sub->ring = malloc(sub->cap * sizeof(*sub->ring));
	if (!sub->ring)
		goto err_free;
	if (pthread_mutex_init(&sub->lock, NULL))
		goto err_free_ring;
	if (emf__bus_cond_init(&sub->not_full))
		goto err_destroy_lock;
	if (emf__bus_cond_init(&sub->idle))
		goto err_destroy_not_full;
	sub->task.kind = BUS_TASK_SUB;
	sub->bus = bus;
	sub->exec = deliver == EMF_BUS_DELIVER_THREAD ? &bus->thread : &bus->host;
	sub->kind = kind;
	sub->refs = 1;
	return sub;

err_destroy_not_full:
	pthread_cond_destroy(&sub->not_full);
err_destroy_lock:
	pthread_mutex_destroy(&sub->lock);
err_free_ring:
	free(sub->ring);
err_free:
	free(sub);
	return emf_err_ptr(-ENOMEM);
}

static int sub_list_add(struct emf_bus *bus, struct emf_bus_sub *sub)
{
	struct emf_bus_sub ***list = sub->kind == SUB_TOPIC ? &bus->subs : &bus->sigs;
	size_t *n = sub->kind == SUB_TOPIC ? &bus->n_subs : &bus->n_sigs;
	size_t *cap = sub->kind == SUB_TOPIC ? &bus->cap_subs : &bus->cap_sigs;
	struct emf_bus_sub **tmp;
	int err = 0;

	pthread_rwlock_wrlock(&bus->sub_lock);
	if (__atomic_load_n(&bus->destroying, __ATOMIC_RELAXED)) {
		err = -ESHUTDOWN;
		goto out;
	}
	if (*n == *cap) {
		tmp = realloc(*list, (*cap ? *cap * 2 : 8) * sizeof(**list));
		if (!tmp) {
			err = -ENOMEM;
			goto out;
		}
		*list = tmp;
		*cap = *cap ? *cap * 2 : 8;
	}
	(*list)[(*n)++] = sub;
out:
	pthread_rwlock_unlock(&bus->sub_lock);
	return err;
}

static bool sub_list_del(struct emf_bus *bus, struct emf_bus_sub *sub)
{
	struct emf_bus_sub **list = sub->kind == SUB_TOPIC ? bus->subs : bus->sigs;
	size_t *n = sub->kind == SUB_TOPIC ? &bus->n_subs : &bus->n_sigs;
	bool found = false;
	size_t i;

	pthread_rwlock_wrlock(&bus->sub_lock);
	for (i = 0; i < *n; i++) {
		if (list[i] == sub) {
			/* keep the order: delivery order between subscribers is registration order */
			memmove(&list[i], &list[i + 1], (*n - i - 1) * sizeof(*list));
			(*n)--;
			found = true;
			break;
		}
	}
	pthread_rwlock_unlock(&bus->sub_lock);
	return found;
}

/* Mark dead, drop what is queued, wake blocked publishers; optionally wait for a running batch. */
static void sub_kill(struct emf_bus_sub *sub, bool wait)
{
	struct emf_msg *batch[BUS_BATCH];
	unsigned int n;

	pthread_mutex_lock(&sub->lock);
	__atomic_store_n(&sub->dead, true, __ATOMIC_RELEASE);
	if (sub->n_blocked)
		pthread_cond_broadcast(&sub->not_full);
	while (sub->count) {
		for (n = 0; n < BUS_BATCH && sub->count; n++, sub->count--)
			batch[n] = sub->ring[sub->head++ & (sub->cap - 1)];
		msg_unref_batch(batch, n);
	}
	if (wait && sub->running && !pthread_equal(sub->runner, pthread_self())) {
		sub->n_idle_waiters++;
		while (sub->running)
			pthread_cond_wait(&sub->idle, &sub->lock);
		sub->n_idle_waiters--;
	}
	pthread_mutex_unlock(&sub->lock);
}

static void sub_schedule(struct emf_bus_sub *sub)
{
	emf__bus_exec_schedule(sub->exec, &sub->task);
}

/* Under sub->lock: may this thread wait for @sub's queue to drain? */
static bool sub_can_wait(struct emf_bus_sub *sub)
{
	struct emf_bus *bus = sub->bus;

	if (sub->running && pthread_equal(sub->runner, pthread_self()))
		return false;
	if (sub->exec->host)
		return !emf__bus_is_host_thread(bus);
	return !(bus_tls.worker_of == bus && bus->n_workers == 1);
}

static int sub_grow(struct emf_bus_sub *sub)
{
	unsigned int i, cap = sub->cap * 2;
	struct emf_msg **ring;

	if (cap > BUS_MAX_QUEUE_LEN)
		return -ENOSPC;
	ring = malloc(cap * sizeof(*ring));
	if (!ring)
		return -ENOMEM;
	for (i = 0; i < sub->count; i++)
		ring[i] = sub->ring[(sub->head + i) & (sub->cap - 1)];
	free(sub->ring);
	sub->ring = ring;
	sub->head = 0;
	sub->tail = sub->count;
	sub->cap = cap;
	return 0;
}

enum enq_result {
	ENQ_QUEUED,
	ENQ_DROPPED, /* counted, the caller drops its reference */
	ENQ_WAIT, /* full and blocking: retry with enqueue_wait() outside the bus lock */
};

static enum enq_result sub_push_locked(struct emf_bus_sub *sub, struct emf_msg *m, bool *sched)
{
	sub->ring[sub->tail++ & (sub->cap - 1)] = m;
	__atomic_store_n(&sub->count, sub->count + 1, __ATOMIC_RELAXED);
	if (sub->count > sub->high_water)
		sub->high_water = sub->count;
	if (!sub->scheduled) {
		sub->scheduled = true;
		sub_get(sub); /* the executor's */
		*sched = true;
	}
	return ENQ_QUEUED;
}

static enum enq_result sub_enqueue(struct emf_bus_sub *sub, struct emf_msg *m)
{
	struct emf_msg *old = NULL;
	enum enq_result ret;
	bool sched = false;

	pthread_mutex_lock(&sub->lock);
	if (sub->dead) {
		ret = ENQ_DROPPED;
		goto out;
	}
	if (sub->count == sub->cap) {
		switch (sub->policy) {
		case EMF_BUS_POLICY_DROP_OLD:
			old = sub->ring[sub->head++ & (sub->cap - 1)];
			sub->count--;
			sub->dropped++;
			break;
		case EMF_BUS_POLICY_BLOCK:
			ret = ENQ_WAIT;
			goto out;
		case POLICY_GROW:
			if (!sub_grow(sub))
				break;
			/* fall through */
		default:
			sub->dropped++;
			ret = ENQ_DROPPED;
			goto out;
		}
	}
	ret = sub_push_locked(sub, m, &sched);
out:
	pthread_mutex_unlock(&sub->lock);
	if (sched)
		sub_schedule(sub);
	emf_msg__unref(old);
	return ret;
}

static enum enq_result sub_enqueue_wait(struct emf_bus_sub *sub, struct emf_msg *m)
{
	enum enq_result ret = ENQ_DROPPED;
	uint64_t deadline = 0;
	bool sched = false;
	struct timespec ts;
	int err = 0;

	if (sub->block_timeout_ms > 0)
		deadline = emf__bus_now_ns() + sub->block_timeout_ms * 1000000ULL;
	pthread_mutex_lock(&sub->lock);
	if (sub->count == sub->cap && !sub->dead && !sub_can_wait(sub)) {
		pr_debug(
			"bus: dropping message of %s: its subscriber's queue is full and only this thread could drain it\n",
			m->topic);
		sub->dropped++;
		goto out;
	}
	sub->n_blocked++;
	emf__bus_deadline(&ts, deadline);
	while (sub->count == sub->cap && !sub->dead && err != ETIMEDOUT) {
		if (deadline)
			err = pthread_cond_timedwait(&sub->not_full, &sub->lock, &ts);
		else
			err = pthread_cond_wait(&sub->not_full, &sub->lock);
	}
	sub->n_blocked--;
	if (sub->dead)
		goto out;
	if (sub->count == sub->cap) {
		sub->dropped++;
		sub->timeouts++;
		goto out;
	}
	ret = sub_push_locked(sub, m, &sched);
out:
	pthread_mutex_unlock(&sub->lock);
	if (sched)
		sub_schedule(sub);
	return ret;
}

static void sub_deliver_one(struct emf_bus_sub *sub, struct emf_msg *m)
{
	if (sub->kind == SUB_TOPIC)
		sub->msg_cb(sub->ctx, sub, m);
	else
		sub->sig_cb(sub->ctx, *(const int *)m->data, m->topic);
}

/* Poll a worker's only busy queue a little before giving it up; see emf_bus_opts.spin_us. */
static bool sub_spin(struct emf_bus_sub *sub)
{
	struct emf_bus *bus = sub->bus;
	uint64_t end;
	int i;

	if (!bus->spin_ns || sub->exec->host)
		return false;
	end = emf__bus_now_ns() + bus->spin_ns;
	do {
		for (i = 0; i < 64; i++) {
			if (__atomic_load_n(&sub->count, __ATOMIC_RELAXED))
				return true;
			if (__atomic_load_n(&sub->exec->n_ready, __ATOMIC_RELAXED) ||
			    __atomic_load_n(&sub->dead, __ATOMIC_RELAXED))
				return false;
			cpu_relax();
		}
	} while (emf__bus_now_ns() < end);
	return false;
}

/*
 * Deliver queued messages in batches: one lock round per batch, callbacks
 * outside the lock. Called by an executor with the sub's "scheduled"
 * reference, which it gives back or passes on by rescheduling.
 */
static int run_sub(struct emf_bus *bus, struct emf_bus_sub *sub, int budget)
{
	struct emf_msg *batch[BUS_BATCH];
	unsigned int i, n, ran;
	bool resched = false;
	int done = 0;

	(void)bus;
	pthread_mutex_lock(&sub->lock);
	while (!sub->dead && done < budget) {
		n = sub->count;
		if (!n) {
			pthread_mutex_unlock(&sub->lock);
			if (sub_spin(sub)) {
				pthread_mutex_lock(&sub->lock);
				continue;
			}
			pthread_mutex_lock(&sub->lock);
			if (!sub->count)
				break;
			continue;
		}
		if (n > BUS_BATCH)
			n = BUS_BATCH;
		if (n > (unsigned int)(budget - done))
			n = budget - done;
		for (i = 0; i < n; i++)
			batch[i] = sub->ring[sub->head++ & (sub->cap - 1)];
		__atomic_store_n(&sub->count, sub->count - n, __ATOMIC_RELAXED);
		sub->running = true;
		sub->runner = pthread_self();
		if (sub->n_blocked)
			pthread_cond_broadcast(&sub->not_full);
		pthread_mutex_unlock(&sub->lock);

		for (ran = 0; ran < n; ran++) {
			if (ran + 4 < n)
				__builtin_prefetch(batch[ran + 4], 1);
			if (__atomic_load_n(&sub->dead, __ATOMIC_ACQUIRE))
				break;
			sub_deliver_one(sub, batch[ran]);
		}
		msg_unref_batch(batch, n);

		pthread_mutex_lock(&sub->lock);
		sub->delivered += ran;
		sub->running = false;
		if (sub->n_idle_waiters)
			pthread_cond_broadcast(&sub->idle);
		done += ran;
	}
	if (!sub->dead && sub->count)
		resched = true;
	else
		sub->scheduled = false;
	pthread_mutex_unlock(&sub->lock);
	if (resched)
		sub_schedule(sub);
	else
		sub_put(sub);
	return done;
}

static int run_sub_task(struct emf_bus *bus, struct bus_task *t, int budget)
{
	return run_sub(bus, container_of(t, struct emf_bus_sub, task), budget);
}

static int parse_pattern(struct emf_bus_sub *sub, const char *pattern)
{
	size_t len;
	int ret;

	if (!pattern)
		return -EINVAL;
	if (!strcmp(pattern, "*")) {
		sub->match = MATCH_ALL;
		sub->pattern = strdup(pattern);
		return sub->pattern ? 0 : -ENOMEM;
	}
	len = strlen(pattern);
	if (len >= 2 && !strcmp(pattern + len - 2, ".*")) {
		sub->match = MATCH_PREFIX;
		len--; /* keep the '.' */
	} else {
		sub->match = MATCH_EXACT;
	}
	sub->pattern = strndup(pattern, len);
	if (!sub->pattern)
		return -ENOMEM;
	if (sub->match == MATCH_PREFIX)
		sub->pattern[len - 1] = 0; /* check "a.b" as a name */
	ret = emf__bus_check_name(sub->pattern, EMF_BUS_NAME_MAX);
	if (ret < 0)
		return ret;
	if (sub->match == MATCH_PREFIX)
		sub->pattern[len - 1] = '.';
	sub->plen = len;
	return 0;
}

static inline bool topic_matches(const struct emf_bus_sub *sub, const char *topic, size_t len)
{
	switch (sub->match) {
	case MATCH_ALL:
		return true;
	case MATCH_EXACT:
		return len == sub->plen && !memcmp(topic, sub->pattern, len);
	case MATCH_PREFIX:
		return len > sub->plen && !memcmp(topic, sub->pattern, sub->plen);
	}
	return false;
}

static inline bool signal_matches(const struct emf_bus_sub *sub, int signo, const char *name)
{
	return (!sub->signo || sub->signo == signo) &&
	       (!sub->sig_name || !strcmp(sub->sig_name, name));
}

struct emf_bus_sub *emf_bus__subscribe(struct emf_bus *bus, const char *pattern, emf_bus_msg_fn cb,
				       void *ctx, const struct emf_bus_sub_opts *opts)
{
	enum emf_bus_policy policy;
	struct emf_bus_sub *sub;
	unsigned int qlen;
	int err, tmo;

	if (!bus || !cb || !OPTS_VALID(opts, emf_bus_sub_opts))
		return emf_err_ptr(-EINVAL);
	policy = OPTS_GET(opts, policy, EMF_BUS_POLICY_DROP_NEW);
	qlen = OPTS_GET(opts, queue_len, 0) ?: bus->queue_len;
	tmo = OPTS_GET(opts, block_timeout_ms, 0) ?: bus->block_timeout_ms;
	if (policy > EMF_BUS_POLICY_BLOCK || qlen > BUS_MAX_QUEUE_LEN) {
		pr_warn("bus: failed to subscribe to %s: bad policy or queue length\n",
			pattern ?: "(null)");
		return emf_err_ptr(-EINVAL);
	}
	sub = sub_new(bus, SUB_TOPIC, OPTS_GET(opts, deliver, EMF_BUS_DELIVER_HOST), qlen);
	if (!sub)
		return NULL;
	sub->policy = policy;
	sub->block_timeout_ms = tmo < 0 ? 0 : tmo;
	sub->msg_cb = cb;
	sub->ctx = ctx;
	err = parse_pattern(sub, pattern);
	if (err) {
		pr_warn("bus: failed to subscribe to '%s': not a topic, 'prefix.*' or '*'\n",
			pattern ?: "(null)");
		goto err_put;
	}
	err = sub_list_add(bus, sub);
	if (err)
		goto err_put;
	return sub;

err_put:
	sub_put(sub);
	return emf_err_ptr(err);
}

int emf_bus__unsubscribe(struct emf_bus *bus, struct emf_bus_sub *sub)
{
	if (!sub)
		return 0;
	if (!bus || sub->bus != bus)
		return emf_err(-EINVAL);
	if (!sub_list_del(bus, sub))
		return emf_err(-EINVAL);
	sub_kill(sub, true);
	sub_put(sub);
	return 0;
}

int emf_bus_sub__stats(const struct emf_bus_sub *csub, struct emf_bus_sub_stats *stats)
{
	struct emf_bus_sub *sub = (struct emf_bus_sub *)csub;
	struct emf_bus_sub_stats s = {};

	if (!sub || !stats || !OPTS_VALID(stats, emf_bus_sub_stats))
		return emf_err(-EINVAL);
	pthread_mutex_lock(&sub->lock);
	s.delivered = sub->delivered;
	s.dropped = sub->dropped;
	s.timeouts = sub->timeouts;
	s.high_water = sub->high_water;
	s.queued = sub->count;
	s.queue_len = sub->cap;
	pthread_mutex_unlock(&sub->lock);
	OPTS_SET(stats, delivered, s.delivered);
	OPTS_SET(stats, dropped, s.dropped);
	OPTS_SET(stats, timeouts, s.timeouts);
	OPTS_SET(stats, high_water, s.high_water);
	OPTS_SET(stats, queued, s.queued);
	OPTS_SET(stats, queue_len, s.queue_len);
	return 0;
}

/* --- publishing ------------------------------------------------------ */

#define BUS_MATCH_STACK 16

/*
 * Match under the read lock, build the message once with one reference per
 * match, queue it; subscribers that are full and blocking are retried after
 * the lock is dropped, so a waiting publisher never holds up (un)subscribers.
 */
static int bus_publish(struct emf_bus *bus, bool is_signal, const char *topic, size_t tlen,
		       int signo, const struct emf_event_type *type, const void *data, size_t size)
{
	struct emf_bus_sub *stack[BUS_MATCH_STACK], **match = stack, **list;
	size_t i, n = 0, n_list, n_wait = 0;
	int queued = 0;
	struct emf_msg *m;

	pthread_rwlock_rdlock(&bus->sub_lock);
	list = is_signal ? bus->sigs : bus->subs;
	n_list = is_signal ? bus->n_sigs : bus->n_subs;
	if (n_list > BUS_MATCH_STACK) {
		match = malloc(n_list * sizeof(*match));
		if (!match) {
			pthread_rwlock_unlock(&bus->sub_lock);
			return -ENOMEM;
		}
	}
	for (i = 0; i < n_list; i++) {
		if (is_signal ? signal_matches(list[i], signo, topic) :
				topic_matches(list[i], topic, tlen))
			match[n++] = list[i];
	}
	if (!n)
		goto out_unlock;
	m = msg_new(bus->pool, topic, tlen, type, data, size, n);
	if (!m) {
		queued = -ENOMEM;
		goto out_unlock;
	}
	for (i = 0; i < n; i++) {
		switch (sub_enqueue(match[i], m)) {
		case ENQ_QUEUED:
			queued++;
			break;
		case ENQ_WAIT:
			sub_get(match[i]);
			match[n_wait++] = match[i];
			break;
		case ENQ_DROPPED:
			emf_msg__unref(m);
			break;
		}
	}
	pthread_rwlock_unlock(&bus->sub_lock);
	for (i = 0; i < n_wait; i++) {
		if (sub_enqueue_wait(match[i], m) == ENQ_QUEUED)
			queued++;
		else
			emf_msg__unref(m);
		sub_put(match[i]);
	}
	goto out;

out_unlock:
	pthread_rwlock_unlock(&bus->sub_lock);
out:
	if (match != stack)
		free(match);
	return queued;
}

int emf_bus__publish(struct emf_bus *bus, const char *topic, const struct emf_event_type *type,
		     const void *data, size_t size)
{
	int len;

	if (!bus || (!data && size))
		return emf_err(-EINVAL);
	len = emf__bus_check_name(topic, EMF_BUS_NAME_MAX);
	if (len < 0) {
		pr_warn("bus: failed to publish on '%s': not a valid topic\n", topic ?: "(null)");
		return emf_err(-EINVAL);
	}
	if (type && size < type->min_size) {
		pr_warn("bus: failed to publish %s on %s: %zu bytes, type needs %u\n", type->name,
			topic, size, type->min_size);
		return emf_err(-EMF_ERRNO__TRUNC);
	}
	return emf_err(bus_publish(bus, false, topic, len, 0, type, data, size));
}

int emf_bus__publish_json(struct emf_bus *bus, const char *topic, const struct json_t *json)
{
	const size_t flags = JSON_COMPACT | JSON_ENCODE_ANY;
	char stack[1024], *buf = stack;
	size_t len;
	int ret;

	if (!bus || !json)
		return emf_err(-EINVAL);
	len = json_dumpb(json, stack, sizeof(stack), flags);
	if (!len)
		return emf_err(-EINVAL);
	if (len > sizeof(stack)) {
		buf = malloc(len);
		if (!buf)
			return emf_err(-ENOMEM);
		if (json_dumpb(json, buf, len, flags) != len) {
			free(buf);
			return emf_err(-EINVAL);
		}
	}
	ret = emf_bus__publish(bus, topic, NULL, buf, len);
	if (buf != stack)
		free(buf);
	return ret;
}

/* --- signals --------------------------------------------------------- */

static const char *const sig_names[] = {
	[EMF_BUS_SIG_PAUSE] = "pause",
	[EMF_BUS_SIG_RESUME] = "resume",
	[EMF_BUS_SIG_RELOAD] = "reload",
};

static bool signo_valid(int signo)
{
	return signo == EMF_BUS_SIG_PAUSE || signo == EMF_BUS_SIG_RESUME ||
	       signo == EMF_BUS_SIG_RELOAD || signo >= EMF_BUS_SIG_USER;
}

struct emf_bus_sub *emf_bus__on_signal(struct emf_bus *bus, emf_bus_signal_fn fn, void *ctx,
				       const struct emf_bus_sig_opts *opts)
{
	const char *name = OPTS_GET(opts, name, NULL);
	int signo = OPTS_GET(opts, signo, 0);
	struct emf_bus_sub *sub;
	int err;

	if (!bus || !fn || !OPTS_VALID(opts, emf_bus_sig_opts))
		return emf_err_ptr(-EINVAL);
	if ((signo && !signo_valid(signo)) ||
	    (name && emf__bus_check_name(name, EMF_BUS_NAME_MAX) < 0)) {
		pr_warn("bus: failed to add signal handler: bad signal number %d or name\n", signo);
		return emf_err_ptr(-EINVAL);
	}
	sub = sub_new(bus, SUB_SIGNAL, OPTS_GET(opts, deliver, EMF_BUS_DELIVER_HOST), 16);
	if (!sub)
		return NULL;
	sub->policy = POLICY_GROW;
	sub->sig_cb = fn;
	sub->ctx = ctx;
	sub->signo = signo;
	err = -ENOMEM;
	sub->pattern = strdup("signal");
	if (!sub->pattern || (name && !(sub->sig_name = strdup(name))))
		goto err_put;
	err = sub_list_add(bus, sub);
	if (err)
		goto err_put;
	return sub;

err_put:
	sub_put(sub);
	return emf_err_ptr(err);
}

int emf_bus__signal(struct emf_bus *bus, int signo, const char *name)
{
	char buf[32];
	int len;

	if (!bus || !signo_valid(signo))
		return emf_err(-EINVAL);
	if (!name) {
		if (signo < EMF_BUS_SIG_USER) {
			name = sig_names[signo];
		} else {
			snprintf(buf, sizeof(buf), "sig%d", signo);
			name = buf;
		}
	}
	len = emf__bus_check_name(name, EMF_BUS_NAME_MAX);
	if (len < 0) {
		pr_warn("bus: failed to raise signal %d: bad name\n", signo);
		return emf_err(-EINVAL);
	}
	return emf_err(bus_publish(bus, true, name, len, signo, NULL, &signo, sizeof(signo)));
}

/* --- the bus --------------------------------------------------------- */

struct emf_bus *emf_bus__new(const struct emf_bus_opts *opts)
{
	pthread_rwlockattr_t rwattr;
	unsigned int spin_us;
	struct emf_bus *bus;
	int err;

	if (!OPTS_VALID(opts, emf_bus_opts))
		return emf_err_ptr(-EINVAL);
	bus = calloc(1, sizeof(*bus));
	if (!bus)
		return emf_err_ptr(-ENOMEM);
	bus->queue_len = OPTS_GET(opts, queue_len, 0) ?: BUS_DEF_QUEUE_LEN;
	bus->n_workers = OPTS_GET(opts, n_workers, 0) ?: 1;
	spin_us = OPTS_GET(opts, spin_us, 0) ?: BUS_DEF_SPIN_US;
	bus->spin_ns = spin_us == EMF_BUS_NO_SPIN ? 0 : spin_us * 1000ULL;
	bus->block_timeout_ms = OPTS_GET(opts, block_timeout_ms, 0) ?: BUS_DEF_BLOCK_MS;
	if (bus->queue_len > BUS_MAX_QUEUE_LEN || bus->n_workers > BUS_MAX_WORKERS ||
	    (spin_us > 1000000 && spin_us != EMF_BUS_NO_SPIN)) {
		pr_warn("bus: failed to create bus: queue_len, n_workers or spin_us out of range\n");
		free(bus);
		return emf_err_ptr(-EINVAL);
	}
	if (bus->block_timeout_ms < 0)
		bus->block_timeout_ms = 0; /* no limit */

	err = -ENOMEM;
	bus->pool = pool_new();
	if (!bus->pool)
		goto err_free;
	/* publishers never nest the read lock: let (un)subscribers in first */
	pthread_rwlockattr_init(&rwattr);
	pthread_rwlockattr_setkind_np(&rwattr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	err = -pthread_rwlock_init(&bus->sub_lock, &rwattr);
	pthread_rwlockattr_destroy(&rwattr);
	if (err)
		goto err_free_pool;
	err = -pthread_mutex_init(&bus->svc_lock, NULL);
	if (err)
		goto err_destroy_sub_lock;
	err = -pthread_mutex_init(&bus->start_lock, NULL);
	if (err)
		goto err_destroy_svc_lock;
	err = emf__bus_cond_init(&bus->svc_cond);
	if (err)
		goto err_destroy_start_lock;
	err = exec_init(&bus->host, true);
	if (err) {
		pr_warn("bus: failed to create event fd: %s\n", emf_strerror(err));
		goto err_destroy_svc_cond;
	}
	err = exec_init(&bus->thread, false);
	if (err)
		goto err_fini_host;
	return bus;

err_fini_host:
	exec_fini(&bus->host);
err_destroy_svc_cond:
	pthread_cond_destroy(&bus->svc_cond);
err_destroy_start_lock:
	pthread_mutex_destroy(&bus->start_lock);
err_destroy_svc_lock:
	pthread_mutex_destroy(&bus->svc_lock);
err_destroy_sub_lock:
	pthread_rwlock_destroy(&bus->sub_lock);
err_free_pool:
	pool_release(bus->pool);
err_free:
	free(bus);
	return emf_err_ptr(err);
}

int emf_bus__fd(const struct emf_bus *bus)
{
	if (!bus)
		return emf_err(-EINVAL);
	return bus->host.efd;
}

int emf_bus__dispatch(struct emf_bus *bus, int max)
{
	struct bus_exec *ex;
	struct emf_bus *saved;
	struct bus_task *t;
	uint64_t cnt;
	int done = 0;

	if (!bus)
		return emf_err(-EINVAL);
	if (max <= 0)
		max = INT_MAX;
	ex = &bus->host;
	saved = bus_tls.dispatching;
	bus_tls.dispatching = bus;
	__atomic_store_n(&bus->host_tid, pthread_self(), __ATOMIC_RELAXED);
	while (done < max) {
		pthread_mutex_lock(&ex->lock);
		t = exec_pop(ex);
		pthread_mutex_unlock(&ex->lock);
		if (!t)
			break;
		done += run_task(bus, t, max - done);
	}
	/* clear the fd only when nothing is left, so it stays readable otherwise */
	pthread_mutex_lock(&ex->lock);
	if (!ex->head && ex->armed) {
		if (read(ex->efd, &cnt, sizeof(cnt)) == sizeof(cnt) || errno == EAGAIN)
			ex->armed = false;
	}
	pthread_mutex_unlock(&ex->lock);
	bus_tls.dispatching = saved;
	return done;
}

static void drain_exec(struct emf_bus *bus, struct bus_exec *ex)
{
	struct bus_task *t;

	for (;;) {
		pthread_mutex_lock(&ex->lock);
		t = exec_pop(ex);
		pthread_mutex_unlock(&ex->lock);
		if (!t)
			break;
		run_task(bus, t, INT_MAX);
	}
}

/*
 * Take everything apart without waiting on anything a worker could be stuck
 * behind: receivers die first (which wakes blocked publishers), calls are
 * cancelled (which wakes blocked callers), then the workers can be joined.
 */
void emf_bus__destroy(struct emf_bus *bus)
{
	struct emf_bus_sub **subs, **sigs;
	size_t i, n_subs, n_sigs;

	if (!bus)
		return;
	if (bus_tls.worker_of == bus || bus_tls.dispatching == bus) {
		pr_warn("bus: failed to destroy bus: called from one of its own callbacks\n");
		return;
	}
	pthread_rwlock_wrlock(&bus->sub_lock);
	__atomic_store_n(&bus->destroying, true, __ATOMIC_RELEASE);
	subs = bus->subs;
	n_subs = bus->n_subs;
	sigs = bus->sigs;
	n_sigs = bus->n_sigs;
	bus->subs = bus->sigs = NULL;
	bus->n_subs = bus->n_sigs = 0;
	pthread_rwlock_unlock(&bus->sub_lock);

	for (i = 0; i < n_subs; i++)
		sub_kill(subs[i], false);
	for (i = 0; i < n_sigs; i++)
		sub_kill(sigs[i], false);
	emf__bus_svc_shutdown(bus);
	stop_workers(bus);
	drain_exec(bus, &bus->thread);
	drain_exec(bus, &bus->host);

	for (i = 0; i < n_subs; i++)
		sub_put(subs[i]);
	for (i = 0; i < n_sigs; i++)
		sub_put(sigs[i]);
	free(subs);
	free(sigs);
	emf__bus_svc_release(bus);

	exec_fini(&bus->thread);
	exec_fini(&bus->host);
	pthread_cond_destroy(&bus->svc_cond);
	pthread_mutex_destroy(&bus->start_lock);
	pthread_mutex_destroy(&bus->svc_lock);
	pthread_rwlock_destroy(&bus->sub_lock);
	pool_release(bus->pool);
	free(bus);
}
