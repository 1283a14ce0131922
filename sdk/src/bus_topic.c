// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * ebus topics: subscriptions, their queues, publishing, and signals (which
 * are subscriptions of their own kind).
 *
 * Each subscriber's queue is a bounded lock-free ring of message pointers
 * (D. Vyukov's MPMC queue: each cell carries a sequence number telling
 * whose turn it is), so publishers and the subscriber's delivery thread never
 * take a common lock for a message. Publishers only touch the executor when
 * the subscriber goes from idle to busy (the "scheduled" flag); the delivery
 * thread drains in batches. sub->lock serves only the slow paths: blocking
 * publishers, unsubscribe waiting for a running callback, the overflow list
 * of signal handlers.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include <emf/bus.h>
#include <emf/errno.h>
#include <emf/event.h>

#include "bus_inline.h"
#include "bus_internal.h"
#include "log_internal.h"
#include "opts_internal.h"

enum sub_kind {
	SUB_TOPIC,
	SUB_SIGNAL,
};

enum sub_match {
	MATCH_ALL, /* "*" */
	MATCH_EXACT, /* "a.b" */
	MATCH_PREFIX, /* "a.b.*", stored as "a.b." */
};

/* Signals are never dropped: past the ring, they wait in an overflow list. */
#define POLICY_GROW 100

struct emf_bus_sub {
	/* read by publishers, rarely written */
	struct bus_task task;
	struct emf_bus *bus;
	struct bus_exec *exec;
	int policy;
	int block_timeout_ms;
	enum sub_kind kind;
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
	bool dead; /* atomic: unsubscribed */
	bool inline_host; /* atomic: called by host-thread publishers, emf__bus_sub_set_inline() */
	bool held; /* atomic: every message counts as dropped, emf__bus_sub_hold() */
	bool scheduled; /* atomic: on an executor's ready list, or being run */
	unsigned int n_over; /* atomic: messages in the overflow list */
	int refs; /* atomic: the bus's list, the executor while scheduled, waiting publishers */

	/* written by publishers */
	_Alignas(64) unsigned long deq_seen; /* a recent ring.deq, to keep high_water cheap */
	uint64_t high_water;
	uint64_t dropped;
	uint64_t timeouts;

	/* enq: publishers; deq: the delivery thread (and DROP_OLD publishers) */
	struct bus_ring ring;

	/* written by the delivery thread */
	_Alignas(64) uint64_t delivered;
	unsigned int n_blocked; /* atomic: publishers waiting for room */
	pthread_mutex_t lock;
	pthread_cond_t not_full;
	pthread_cond_t idle;
	unsigned int n_idle_waiters; /* atomic, changed under lock */
	bool running; /* atomic: a batch of callbacks runs on @runner */
	pthread_t runner; /* atomic */
	struct emf_msg **over; /* under lock */
	size_t over_cap;
};

/* --- the queue ------------------------------------------------------- */

static bool ring_push(struct emf_bus_sub *sub, struct emf_msg *m)
{
	unsigned long pos, deq;
	uint64_t hw, count;

	if (!bus_ring_push(&sub->ring, m, &pos, true))
		return false;
	/*
	 * High water: pos + 1 - (an older ring.deq) bounds the queue length from
	 * above, so only read the consumer's cache line when that bound beats
	 * the mark.
	 */
	hw = __atomic_load_n(&sub->high_water, __ATOMIC_RELAXED);
	if (pos + 1 - __atomic_load_n(&sub->deq_seen, __ATOMIC_RELAXED) <= hw)
		return true;
	deq = __atomic_load_n(&sub->ring.deq, __ATOMIC_RELAXED);
	__atomic_store_n(&sub->deq_seen, deq, __ATOMIC_RELAXED);
	if ((long)(pos + 1 - deq) <= 0)
		return true;
	count = pos + 1 - deq;
	while (count > hw && !__atomic_compare_exchange_n(&sub->high_water, &hw, count, true,
							  __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
	return true;
}

static inline struct emf_msg *ring_pop(struct emf_bus_sub *sub)
{
	return bus_ring_pop(&sub->ring);
}

static inline bool ring_ready(struct emf_bus_sub *sub)
{
	return bus_ring_ready(&sub->ring);
}

static inline uint64_t ring_count(struct emf_bus_sub *sub)
{
	return bus_ring_count(&sub->ring);
}

/* --- subscriptions --------------------------------------------------- */

static void sub_get(struct emf_bus_sub *sub)
{
	__atomic_add_fetch(&sub->refs, 1, __ATOMIC_RELAXED);
}

static void sub_put(struct emf_bus_sub *sub)
{
	struct emf_msg *m;
	size_t i;

	if (__atomic_sub_fetch(&sub->refs, 1, __ATOMIC_ACQ_REL))
		return;
	while ((m = ring_pop(sub)))
		emf_msg__unref(m);
	for (i = 0; i < sub->n_over; i++)
		emf_msg__unref(sub->over[i]);
	pthread_cond_destroy(&sub->idle);
	pthread_cond_destroy(&sub->not_full);
	pthread_mutex_destroy(&sub->lock);
	free(sub->over);
	bus_ring_fini(&sub->ring);
	free(sub->pattern);
	free(sub->sig_name);
	free(sub);
}

static unsigned long roundup_pow2(unsigned long n)
{
	unsigned long p = 2; /* the ring needs two cells at least */

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
	sub = aligned_alloc(64, sizeof(*sub));
	if (!sub)
		return emf_err_ptr(-ENOMEM);
	memset(sub, 0, sizeof(*sub));
	if (bus_ring_init(&sub->ring, roundup_pow2(queue_len)))
		goto err_free;
	if (pthread_mutex_init(&sub->lock, NULL))
		goto err_free_ring;
	if (emf__bus_cond_init(&sub->not_full))
		goto err_destroy_lock;
	if (emf__bus_cond_init(&sub->idle))
		goto err_destroy_not_full;
	sub->task.run = emf__bus_run_sub;
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
	bus_ring_fini(&sub->ring);
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
			/* Its counts stay in the bus's, which must never go down. */
			if (sub->kind == SUB_TOPIC && sub->policy <= EMF_BUS_POLICY_BLOCK) {
				bus->gone_delivered += __atomic_load_n(&sub->delivered, __ATOMIC_ACQUIRE);
				bus->gone_dropped[sub->policy] +=
					__atomic_load_n(&sub->dropped, __ATOMIC_RELAXED);
			}
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

/*
 * Mark dead, drop what is queued, wake blocked publishers; with @wait, also
 * wait for a batch of callbacks running on another thread.
 */
static void sub_kill(struct emf_bus_sub *sub, bool wait)
{
	struct emf_msg *batch[BUS_BATCH];
	struct emf_msg **over;
	unsigned int n;
	size_t i, n_over;

	pthread_mutex_lock(&sub->lock);
	__atomic_store_n(&sub->dead, true, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&sub->n_blocked, __ATOMIC_RELAXED))
		pthread_cond_broadcast(&sub->not_full);
	over = sub->over;
	n_over = sub->n_over;
	sub->over = NULL;
	sub->over_cap = 0;
	__atomic_store_n(&sub->n_over, 0, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&sub->lock);

	do {
		for (n = 0; n < BUS_BATCH && (batch[n] = ring_pop(sub)); n++)
			;
		emf__bus_msg_unref_batch(batch, n);
	} while (n == BUS_BATCH);
	for (i = 0; i < n_over; i++)
		emf_msg__unref(over[i]);
	free(over);

	if (!wait)
		return;
	/*
	 * dead was stored before this look at running, and run_sub() stores
	 * running before it looks at dead, all sequentially consistent: if we
	 * miss a batch starting, that batch sees dead and calls nothing.
	 */
	pthread_mutex_lock(&sub->lock);
	__atomic_add_fetch(&sub->n_idle_waiters, 1, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(&sub->running, __ATOMIC_SEQ_CST) &&
	       !pthread_equal(__atomic_load_n(&sub->runner, __ATOMIC_RELAXED), pthread_self()))
		pthread_cond_wait(&sub->idle, &sub->lock);
	__atomic_sub_fetch(&sub->n_idle_waiters, 1, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&sub->lock);
}

/*
 * After a push: make sure someone will deliver. The push and this load are
 * sequentially consistent, as are run_sub()'s store of "idle" and its look at
 * the queue: either it sees our message or we see it idle.
 */
static void sub_kick(struct emf_bus_sub *sub)
{
	if (__atomic_load_n(&sub->scheduled, __ATOMIC_SEQ_CST) ||
	    __atomic_exchange_n(&sub->scheduled, true, __ATOMIC_SEQ_CST))
		return;
	sub_get(sub); /* the executor's */
	emf__bus_exec_schedule(sub->exec, &sub->task);
}

/* May this thread wait for @sub's queue to drain? */
static bool sub_can_wait(struct emf_bus_sub *sub)
{
	struct emf_bus *bus = sub->bus;
	bool self;

	self = __atomic_load_n(&sub->running, __ATOMIC_ACQUIRE) &&
	       pthread_equal(__atomic_load_n(&sub->runner, __ATOMIC_RELAXED), pthread_self());
	if (self)
		return false;
	if (sub->exec->host)
		return !emf__bus_is_host_thread(bus);
	return !(emf__bus_is_worker(bus) && bus->n_workers == 1);
}

/* Signals: append to the overflow list, under sub->lock. */
static int sub_overflow_locked(struct emf_bus_sub *sub, struct emf_msg *m)
{
	struct emf_msg **tmp;
	size_t cap;

	if (sub->n_over == sub->over_cap) {
		cap = sub->over_cap ? sub->over_cap * 2 : 16;
		tmp = realloc(sub->over, cap * sizeof(*tmp));
		if (!tmp)
			return -ENOMEM;
		sub->over = tmp;
		sub->over_cap = cap;
	}
	sub->over[sub->n_over] = m;
	__atomic_store_n(&sub->n_over, sub->n_over + 1, __ATOMIC_RELEASE);
	return 0;
}

/* Move what fits of the overflow list into the ring, in order. */
static void sub_refill(struct emf_bus_sub *sub)
{
	size_t i = 0;

	pthread_mutex_lock(&sub->lock);
	while (i < sub->n_over && ring_push(sub, sub->over[i]))
		i++;
	memmove(sub->over, sub->over + i, (sub->n_over - i) * sizeof(*sub->over));
	__atomic_store_n(&sub->n_over, sub->n_over - i, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&sub->lock);
}

enum enq_result {
	ENQ_QUEUED,
	ENQ_DROPPED, /* counted where it counts; the caller drops its reference */
	ENQ_WAIT, /* full and blocking: retry with sub_enqueue_wait() outside the bus lock */
};

static enum enq_result sub_enqueue(struct emf_bus_sub *sub, struct emf_msg *m)
{
	struct emf_msg *old;
	int err;

	if (__atomic_load_n(&sub->dead, __ATOMIC_ACQUIRE))
		return ENQ_DROPPED;
	if (sub->policy == POLICY_GROW) {
		/* once messages overflow, the rest follow them there, to keep the order */
		if (__atomic_load_n(&sub->n_over, __ATOMIC_ACQUIRE) || !ring_push(sub, m)) {
			pthread_mutex_lock(&sub->lock);
			err = sub->n_over || !ring_push(sub, m) ? sub_overflow_locked(sub, m) : 0;
			pthread_mutex_unlock(&sub->lock);
			if (err) {
				__atomic_add_fetch(&sub->dropped, 1, __ATOMIC_RELAXED);
				return ENQ_DROPPED;
			}
		}
		sub_kick(sub);
		return ENQ_QUEUED;
	}
	while (!ring_push(sub, m)) {
		switch (sub->policy) {
		case EMF_BUS_POLICY_DROP_OLD:
			/* make room; if the subscriber beat us to it, there is room anyway */
			old = ring_pop(sub);
			if (old) {
				__atomic_add_fetch(&sub->dropped, 1, __ATOMIC_RELAXED);
				emf_msg__unref(old);
			}
			continue;
		case EMF_BUS_POLICY_BLOCK:
			return ENQ_WAIT;
		default:
			__atomic_add_fetch(&sub->dropped, 1, __ATOMIC_RELAXED);
			return ENQ_DROPPED;
		}
	}
	sub_kick(sub);
	return ENQ_QUEUED;
}

/*
 * Wait for room. n_blocked goes up before the retry and the delivery thread
 * reads it after freeing cells, both behind full fences, and the wait starts
 * under sub->lock, which the delivery thread takes to signal: no lost wake-up.
 */
static enum enq_result sub_enqueue_wait(struct emf_bus_sub *sub, struct emf_msg *m)
{
	enum enq_result ret = ENQ_DROPPED;
	struct timespec ts;
	int err = 0;

	if (!sub_can_wait(sub)) {
		if (ring_push(sub, m)) {
			sub_kick(sub);
			return ENQ_QUEUED;
		}
		pr_debug(
			"bus: dropping message of %s: the subscriber's queue is full and only this thread could drain it\n",
			emf_msg__topic(m));
		__atomic_add_fetch(&sub->dropped, 1, __ATOMIC_RELAXED);
		return ENQ_DROPPED;
	}
	if (sub->block_timeout_ms > 0)
		emf__bus_deadline(&ts, emf__bus_now_ns() + sub->block_timeout_ms * 1000000ULL);
	pthread_mutex_lock(&sub->lock);
	__atomic_add_fetch(&sub->n_blocked, 1, __ATOMIC_SEQ_CST);
	for (;;) {
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (__atomic_load_n(&sub->dead, __ATOMIC_ACQUIRE))
			break;
		if (ring_push(sub, m)) {
			ret = ENQ_QUEUED;
			break;
		}
		if (err == ETIMEDOUT) {
			__atomic_add_fetch(&sub->dropped, 1, __ATOMIC_RELAXED);
			__atomic_add_fetch(&sub->timeouts, 1, __ATOMIC_RELAXED);
			break;
		}
		if (sub->block_timeout_ms > 0)
			err = pthread_cond_timedwait(&sub->not_full, &sub->lock, &ts);
		else
			pthread_cond_wait(&sub->not_full, &sub->lock);
	}
	__atomic_sub_fetch(&sub->n_blocked, 1, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&sub->lock);
	if (ret == ENQ_QUEUED)
		sub_kick(sub);
	return ret;
}

static void sub_deliver_one(struct emf_bus_sub *sub, struct emf_msg *m)
{
	if (sub->kind == SUB_TOPIC)
		sub->msg_cb(sub->ctx, sub, m);
	else
		sub->sig_cb(sub->ctx, *(const int *)emf_msg__data(m), emf_msg__topic(m));
}

/*
 * A worker with nothing else to do keeps looking at the queue for spin_ns
 * before letting it go idle (which would cost publishers a wake-up). It looks
 * every BUS_POLL_NS, not all the time: each look takes the publisher's cache
 * line away, and a few messages per look make a batch.
 */
static bool sub_spin(struct emf_bus_sub *sub)
{
	struct emf_bus *bus = sub->bus;
	uint64_t now, end, next;

	if (!bus->spin_ns || sub->exec->host || !emf__bus_worker_flowing())
		return false;
	now = emf__bus_now_ns();
	end = now + bus->spin_ns;
	while (now < end) {
		next = now + BUS_POLL_NS;
		while ((now = emf__bus_now_ns()) < next)
			emf__bus_cpu_relax();
		if (ring_ready(sub) || __atomic_load_n(&sub->n_over, __ATOMIC_RELAXED))
			return true;
		if (__atomic_load_n(&sub->exec->n_ready, __ATOMIC_RELAXED) ||
		    __atomic_load_n(&sub->dead, __ATOMIC_RELAXED))
			return false;
	}
	return false;
}

/*
 * Deliver queued messages in batches, callbacks without any lock held.
 * Called by an executor with the "scheduled" reference, which it gives back
 * when the queue goes idle, or passes on by rescheduling when the budget is
 * spent.
 */
static int run_sub(struct emf_bus_sub *sub, int budget)
{
	struct emf_msg *batch[BUS_BATCH];
	unsigned int n, ran, max;
	int done = 0;

	while (!__atomic_load_n(&sub->dead, __ATOMIC_ACQUIRE)) {
		if (done >= budget) {
			emf__bus_exec_schedule(sub->exec, &sub->task);
			return done;
		}
		max = budget - done < BUS_BATCH ? budget - done : BUS_BATCH;
		for (n = 0; n < max && (batch[n] = ring_pop(sub)); n++)
			;
		if (!n) {
			if (__atomic_load_n(&sub->n_over, __ATOMIC_ACQUIRE)) {
				sub_refill(sub);
				continue;
			}
			if (sub_spin(sub))
				continue;
			/* go idle; see sub_kick() */
			__atomic_store_n(&sub->scheduled, false, __ATOMIC_SEQ_CST);
			if ((!ring_ready(sub) &&
			     !__atomic_load_n(&sub->n_over, __ATOMIC_ACQUIRE)) ||
			    __atomic_exchange_n(&sub->scheduled, true, __ATOMIC_SEQ_CST))
				break; /* idle, or a publisher scheduled it again */
			continue;
		}
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (__atomic_load_n(&sub->n_blocked, __ATOMIC_RELAXED)) {
			pthread_mutex_lock(&sub->lock);
			pthread_cond_broadcast(&sub->not_full);
			pthread_mutex_unlock(&sub->lock);
		}

		/* see sub_kill() */
		__atomic_store_n(&sub->runner, pthread_self(), __ATOMIC_RELAXED);
		__atomic_store_n(&sub->running, true, __ATOMIC_SEQ_CST);
		for (ran = 0; ran < n; ran++) {
			if (ran + 4 < n)
				__builtin_prefetch(batch[ran + 4], 1);
			if (__atomic_load_n(&sub->dead, __ATOMIC_SEQ_CST))
				break;
			sub_deliver_one(sub, batch[ran]);
		}
		emf__bus_msg_unref_batch(batch, n);
		__atomic_store_n(&sub->running, false, __ATOMIC_SEQ_CST);
		if (__atomic_load_n(&sub->n_idle_waiters, __ATOMIC_SEQ_CST)) {
			pthread_mutex_lock(&sub->lock);
			pthread_cond_broadcast(&sub->idle);
			pthread_mutex_unlock(&sub->lock);
		}
		/* Release: who reads the count sees what the callbacks wrote. */
		__atomic_add_fetch(&sub->delivered, ran, __ATOMIC_RELEASE);
		done += ran;
	}
	sub_put(sub);
	return done;
}

int emf__bus_run_sub(struct emf_bus *bus, struct bus_task *t, int budget)
{
	(void)bus;
	return run_sub(container_of(t, struct emf_bus_sub, task), budget);
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

int emf__bus_sub_set_inline(struct emf_bus_sub *sub)
{
	if (!sub || sub->kind != SUB_TOPIC || !sub->exec->host)
		return -EINVAL;
	__atomic_store_n(&sub->inline_host, true, __ATOMIC_RELEASE);
	return 0;
}

void emf__bus_sub_hold(struct emf_bus_sub *sub, bool on)
{
	__atomic_store_n(&sub->held, on, __ATOMIC_RELAXED);
}

uint64_t emf__bus_sub_dropped(const struct emf_bus_sub *sub)
{
	return __atomic_load_n(&sub->dropped, __ATOMIC_RELAXED);
}

int emf_bus_sub__stats(const struct emf_bus_sub *csub, struct emf_bus_sub_stats *stats)
{
	struct emf_bus_sub *sub = (struct emf_bus_sub *)csub;

	if (!sub || !stats || !OPTS_VALID(stats, emf_bus_sub_stats))
		return emf_err(-EINVAL);
	OPTS_SET(stats, delivered, __atomic_load_n(&sub->delivered, __ATOMIC_ACQUIRE));
	OPTS_SET(stats, dropped, __atomic_load_n(&sub->dropped, __ATOMIC_RELAXED));
	OPTS_SET(stats, timeouts, __atomic_load_n(&sub->timeouts, __ATOMIC_RELAXED));
	OPTS_SET(stats, high_water, __atomic_load_n(&sub->high_water, __ATOMIC_RELAXED));
	OPTS_SET(stats, queued, ring_count(sub) + __atomic_load_n(&sub->n_over, __ATOMIC_RELAXED));
	OPTS_SET(stats, queue_len, sub->ring.mask + 1);
	return 0;
}

int emf_bus__stats(const struct emf_bus *cbus, struct emf_bus_stats *stats)
{
	struct emf_bus *bus = (struct emf_bus *)cbus;
	uint64_t delivered, dropped[EMF_BUS_POLICY_BLOCK + 1];
	size_t i;

	if (!bus || !stats || !OPTS_VALID(stats, emf_bus_stats))
		return emf_err(-EINVAL);
	pthread_rwlock_rdlock(&bus->sub_lock);
	delivered = bus->gone_delivered;
	memcpy(dropped, bus->gone_dropped, sizeof(dropped));
	for (i = 0; i < bus->n_subs; i++) {
		struct emf_bus_sub *sub = bus->subs[i];

		delivered += __atomic_load_n(&sub->delivered, __ATOMIC_ACQUIRE);
		if (sub->policy <= EMF_BUS_POLICY_BLOCK)
			dropped[sub->policy] += __atomic_load_n(&sub->dropped, __ATOMIC_RELAXED);
	}
	OPTS_SET(stats, subscriptions, bus->n_subs);
	pthread_rwlock_unlock(&bus->sub_lock);
	OPTS_SET(stats, published, __atomic_load_n(&bus->published, __ATOMIC_RELAXED));
	OPTS_SET(stats, delivered, delivered);
	OPTS_SET(stats, dropped_new, dropped[EMF_BUS_POLICY_DROP_NEW]);
	OPTS_SET(stats, dropped_old, dropped[EMF_BUS_POLICY_DROP_OLD]);
	OPTS_SET(stats, dropped_block, dropped[EMF_BUS_POLICY_BLOCK]);
	return 0;
}

/* --- publishing ------------------------------------------------------ */

#define BUS_MATCH_STACK 16

/*
 * Call the inline subscribers @subs with a view of the message, after the
 * lock is dropped; they are unsubscribed only on this thread, so they are
 * still there. Returns how many took it.
 */
static int deliver_inline(struct emf_bus_sub **subs, size_t n, const char *topic,
			  const struct emf_event_type *type, const void *data, size_t size)
{
	_Alignas(64) unsigned char buf[64];
	struct emf_msg *m = emf__bus_msg_init(buf, sizeof(buf), topic, type, data, size);
	int ran = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		struct emf_bus_sub *sub = subs[i];

		if (__atomic_load_n(&sub->dead, __ATOMIC_ACQUIRE))
			continue;
		sub->msg_cb(sub->ctx, sub, m);
		/* Only this thread delivers to it: no atomic add needed. */
		__atomic_store_n(&sub->delivered,
				 __atomic_load_n(&sub->delivered, __ATOMIC_RELAXED) + 1,
				 __ATOMIC_RELEASE);
		ran++;
	}
	return ran;
}

/*
 * Match under the read lock, build the message once with one reference per
 * match, queue it; subscribers that are full and blocking are retried after
 * the lock is dropped, so a waiting publisher never holds up (un)subscribers.
 * Inline subscribers (emf__bus_sub_set_inline()) with nothing queued are
 * called at once instead when the publisher is the host thread: no copy to
 * keep, no queue, no dispatch.
 */
static int bus_publish(struct emf_bus *bus, bool is_signal, const char *topic, size_t tlen,
		       int signo, const struct emf_event_type *type, const void *data, size_t size)
{
	struct emf_bus_sub *stack[BUS_MATCH_STACK], **match = stack, **list;
	struct emf_bus_sub *inl[BUS_MATCH_STACK];
	size_t i, k, n = 0, n_list, n_wait = 0, n_inl = 0;
	int queued = 0, host = -1;
	struct emf_msg *m;

	if (!is_signal)
		__atomic_add_fetch(&bus->published, 1, __ATOMIC_RELAXED);
	pthread_rwlock_rdlock(&bus->sub_lock);
	list = is_signal ? bus->sigs : bus->subs;
	n_list = is_signal ? bus->n_sigs : bus->n_subs;
	for (i = 0; i < n_list; i++) {
		if (!(is_signal ? signal_matches(list[i], signo, topic) :
				  topic_matches(list[i], topic, tlen)))
			continue;
		if (__atomic_load_n(&list[i]->held, __ATOMIC_RELAXED)) {
			__atomic_add_fetch(&list[i]->dropped, 1, __ATOMIC_RELAXED);
			continue;
		}
		if (n == BUS_MATCH_STACK && match == stack) {
			match = malloc(n_list * sizeof(*match));
			if (!match) {
				pthread_rwlock_unlock(&bus->sub_lock);
				return -ENOMEM;
			}
			memcpy(match, stack, sizeof(stack));
		}
		match[n++] = list[i];
	}
	if (!n)
		goto out_unlock;
	for (i = k = 0; i < n; i++) {
		struct emf_bus_sub *sub = match[i];

		if (__atomic_load_n(&sub->inline_host, __ATOMIC_ACQUIRE) && n_inl < BUS_MATCH_STACK &&
		    !ring_ready(sub) && !__atomic_load_n(&sub->n_over, __ATOMIC_ACQUIRE) &&
		    (host >= 0 ? host : (host = emf__bus_is_host_thread(bus))))
			inl[n_inl++] = sub;
		else
			match[k++] = sub;
	}
	n = k;
	if (!n) {
		pthread_rwlock_unlock(&bus->sub_lock);
		goto out;
	}
	m = emf__bus_msg_new(bus->pool, topic, tlen, type, data, size, n);
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
	if (n_inl) {
		int ran = deliver_inline(inl, n_inl, topic, type, data, size);

		queued = queued < 0 ? queued : queued + ran;
	}
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

/*
 * Destroy, first step: every subscription dies (queues dropped, blocked
 * publishers woken) without waiting for running callbacks, which may be stuck
 * behind something the rest of destroy undoes.
 */
void emf__bus_topic_shutdown(struct emf_bus *bus)
{
	size_t i;

	/* take the lists: an unsubscribe from a callback still running finds nothing */
	pthread_rwlock_wrlock(&bus->sub_lock);
	__atomic_store_n(&bus->destroying, true, __ATOMIC_RELEASE);
	bus->dying = bus->subs;
	bus->n_dying = bus->n_subs;
	bus->dying_sigs = bus->sigs;
	bus->n_dying_sigs = bus->n_sigs;
	bus->subs = bus->sigs = NULL;
	bus->n_subs = bus->n_sigs = bus->cap_subs = bus->cap_sigs = 0;
	pthread_rwlock_unlock(&bus->sub_lock);
	for (i = 0; i < bus->n_dying; i++)
		sub_kill(bus->dying[i], false);
	for (i = 0; i < bus->n_dying_sigs; i++)
		sub_kill(bus->dying_sigs[i], false);
}

/* Destroy, last step: the workers are gone; drop the lists' references. */
void emf__bus_topic_release(struct emf_bus *bus)
{
	size_t i;

	for (i = 0; i < bus->n_dying; i++)
		sub_put(bus->dying[i]);
	for (i = 0; i < bus->n_dying_sigs; i++)
		sub_put(bus->dying_sigs[i]);
	free(bus->dying);
	free(bus->dying_sigs);
}
