/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Private parts of the ebus: bus_exec.c (executors, the host loop, helpers),
 * bus_msg.c (messages and their pool), bus_req.c (requests and their
 * outcomes), bus_topic.c (subscriptions, queues, publishing, signals),
 * bus_svc.c (services and calls) and bus.c (the bus, which creates and
 * destroys all of them). Each depends only on those before it in this list.
 *
 * Lock order, outermost first; no bus lock is held while a callback runs:
 *   bus->sub_lock -> sub->lock -> exec->lock
 *   req->lock -> exec->lock, req->lock -> bus->svc_lock
 *   bus->svc_lock -> exec->lock
 */
#ifndef __EMF_BUS_INTERNAL_H
#define __EMF_BUS_INTERNAL_H

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include <jansson.h>

#include <emf/bus.h>

#define EMF_HIDDEN __attribute__((visibility("hidden")))

#define BUS_BATCH 256 /* messages a delivery thread takes from a queue at once */
#define BUS_MAX_QUEUE_LEN (1U << 24)
#define BUS_POLL_NS 1000 /* a polling worker looks for work this often */

#ifndef container_of
#define container_of(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))
#endif

#define BUS_MAX_WORKERS 64

/*
 * Unit of work of an executor: a receiver with queued messages or requests, or
 * a reply. @run, set by whoever schedules it, runs up to @budget callbacks and
 * returns how many it ran.
 */
struct bus_task {
	struct bus_task *next;
	int (*run)(struct emf_bus *bus, struct bus_task *t, int budget);
};

/*
 * Where callbacks run: the host loop (tasks wait for emf_bus__dispatch(), the
 * eventfd tells the host) or the worker threads (tasks wake a sleeping worker).
 * A receiver is on the ready list at most once (its "scheduled" flag), so
 * publishers only touch the executor when a receiver goes from idle to busy.
 */
struct bus_exec {
	pthread_mutex_t lock;
	pthread_cond_t cond; /* workers sleep here */
	struct bus_task *head;
	struct bus_task **tail;
	unsigned int n_ready; /* written under lock, read without it while polling */
	unsigned int n_sleepers;
	bool host;
	bool stop;
	bool kick; /* a call deadline was added: recompute the sleep */
	/*
	 * The earliest time a sleeping worker wakes by itself, UINT64_MAX when
	 * none does or it is not known: a deadline no earlier needs no kick.
	 */
	uint64_t sleep_until;
	bool armed; /* host: the eventfd holds a count */
	int efd;
	pthread_t *threads;
	unsigned int n_threads;
};

struct emf_bus {
	/* topics and signals: publishers read, (un)subscribers write */
	pthread_rwlock_t sub_lock;
	struct emf_bus_sub **subs;
	size_t n_subs, cap_subs;
	struct emf_bus_sub **sigs;
	size_t n_sigs, cap_sigs;
	struct emf_bus_sub **dying, **dying_sigs; /* the lists, taken by destroy */
	size_t n_dying, n_dying_sigs;

	/* bus-wide counters (emf_bus__stats()): atomic; gone_* under sub_lock */
	uint64_t published;
	uint64_t gone_delivered; /* of subscriptions removed since */
	uint64_t gone_dropped[EMF_BUS_POLICY_BLOCK + 1];

	struct bus_msg_pool *pool;
	struct bus_exec host;
	struct bus_exec thread;
	pthread_mutex_t start_lock; /* starting worker threads */
	/* fails the calls past their deadline, returns the next deadline (bus_svc.c) */
	uint64_t (*expire_calls)(struct emf_bus *bus);
	bool workers_started;
	/* the last thread to dispatch; 0 before any (pthread_t is an integer on Linux) */
	pthread_t host_tid;
	bool destroying; /* atomic */

	/* services, calls and the state the deadlock check walks, all under svc_lock */
	pthread_mutex_t svc_lock;
	pthread_cond_t svc_cond; /* a service stopped being busy */
	unsigned int n_svc_waiters; /* threads waiting on svc_cond */
	struct emf_bus_svc *svcs;
	struct bus_method **mtable; /* every "svc.method", hashed */
	size_t mtable_size, n_methods;
	struct bus_waiter *waiters; /* threads sleeping in emf_bus__call() */
	struct emf_bus_req *pending; /* async calls not completed yet, by deadline */

	unsigned int queue_len;
	unsigned int n_workers;
	uint64_t spin_ns;
	int block_timeout_ms;
};

static inline void emf__bus_cpu_relax(void)
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
 * A bounded lock-free MPMC ring of pointers (D. Vyukov's queue): each cell's
 * sequence number says whose turn it is, so a push and a pop touch only their
 * own cell and their own end's index. Used for subscriber queues and for the
 * message pool's free lists.
 */
struct bus_cell {
	unsigned long seq;
	void *ptr; /* accessed atomically so a peek may race with a push */
};

struct bus_ring {
	struct bus_cell *cells;
	unsigned long mask; /* capacity - 1; capacity is a power of 2, 2 at least */
	_Alignas(64) unsigned long enq;
	_Alignas(64) unsigned long deq;
};

static inline int bus_ring_init(struct bus_ring *r, unsigned long cap)
{
	unsigned long i;

	r->cells = malloc(cap * sizeof(*r->cells));
	if (!r->cells)
		return -ENOMEM;
	for (i = 0; i < cap; i++)
		r->cells[i].seq = i;
	r->mask = cap - 1;
	r->enq = r->deq = 0;
	return 0;
}

static inline void bus_ring_fini(struct bus_ring *r)
{
	free(r->cells);
	r->cells = NULL;
}

/*
 * Returns false when full; *@pos gets the position used. With @sc, the push
 * is sequentially consistent, so that a load that follows it (of a
 * consumer's "idle" flag) cannot be ordered before it.
 */
static inline bool bus_ring_push(struct bus_ring *r, void *p, unsigned long *pos_out, bool sc)
{
	unsigned long pos = __atomic_load_n(&r->enq, __ATOMIC_RELAXED), seq;
	struct bus_cell *c;
	long dif;

	for (;;) {
		c = &r->cells[pos & r->mask];
		seq = __atomic_load_n(&c->seq, __ATOMIC_ACQUIRE);
		dif = (long)(seq - pos);
		if (dif == 0) {
			if (__atomic_compare_exchange_n(&r->enq, &pos, pos + 1, true,
							__ATOMIC_RELAXED, __ATOMIC_RELAXED))
				break;
		} else if (dif < 0) {
			return false;
		} else {
			pos = __atomic_load_n(&r->enq, __ATOMIC_RELAXED);
		}
	}
	__atomic_store_n(&c->ptr, p, __ATOMIC_RELAXED);
	if (sc)
		__atomic_store_n(&c->seq, pos + 1, __ATOMIC_SEQ_CST);
	else
		__atomic_store_n(&c->seq, pos + 1, __ATOMIC_RELEASE);
	*pos_out = pos;
	return true;
}

/* Returns NULL when empty. */
static inline void *bus_ring_pop(struct bus_ring *r)
{
	unsigned long pos = __atomic_load_n(&r->deq, __ATOMIC_RELAXED), seq;
	struct bus_cell *c;
	long dif;
	void *p;

	for (;;) {
		c = &r->cells[pos & r->mask];
		seq = __atomic_load_n(&c->seq, __ATOMIC_ACQUIRE);
		dif = (long)(seq - (pos + 1));
		if (dif == 0) {
			if (__atomic_compare_exchange_n(&r->deq, &pos, pos + 1, true,
							__ATOMIC_RELAXED, __ATOMIC_RELAXED))
				break;
		} else if (dif < 0) {
			return NULL;
		} else {
			pos = __atomic_load_n(&r->deq, __ATOMIC_RELAXED);
		}
	}
	p = __atomic_load_n(&c->ptr, __ATOMIC_RELAXED);
	__atomic_store_n(&c->seq, pos + r->mask + 1, __ATOMIC_RELEASE);
	return p;
}

/* Is the next pop going to find something? (sequentially consistent, see bus_ring_push()) */
static inline bool bus_ring_ready(struct bus_ring *r)
{
	unsigned long pos = __atomic_load_n(&r->deq, __ATOMIC_RELAXED);

	return __atomic_load_n(&r->cells[pos & r->mask].seq, __ATOMIC_SEQ_CST) == pos + 1;
}

/* What the pop after @ahead more pops would return, or NULL: only a hint. */
static inline void *bus_ring_peek(struct bus_ring *r, unsigned long ahead)
{
	unsigned long pos = __atomic_load_n(&r->deq, __ATOMIC_RELAXED) + ahead;
	struct bus_cell *c = &r->cells[pos & r->mask];

	if (__atomic_load_n(&c->seq, __ATOMIC_ACQUIRE) != pos + 1)
		return NULL;
	return __atomic_load_n(&c->ptr, __ATOMIC_RELAXED);
}

static inline unsigned long bus_ring_count(struct bus_ring *r)
{
	long n = __atomic_load_n(&r->enq, __ATOMIC_RELAXED) -
		 __atomic_load_n(&r->deq, __ATOMIC_RELAXED);

	return n > 0 ? n : 0;
}

/*
 * A request's outcome is settled without a lock: whoever moves it out of
 * PENDING with a CAS writes it (COMPLETING, then DONE), or the synchronous
 * caller gives up (ABANDONED). req->lock and req->cond only serve a caller
 * that sleeps, flagged by "waiting".
 */
enum req_state {
	REQ_PENDING,
	REQ_COMPLETING, /* being completed: DONE follows at once */
	REQ_DONE, /* completed: err and reply are the outcome */
	REQ_ABANDONED, /* a synchronous caller stopped waiting */
};

enum req_phase {
	PH_QUEUED, /* in svc's queue */
	PH_RUNNING, /* its handler is running */
	PH_RETURNED, /* its handler returned (replied or deferred), or it was skipped */
};

struct emf_bus_req {
	struct bus_task task; /* async: delivers the reply */
	struct emf_bus *bus; /* async only: see req_complete() */
	int refs; /* atomic: the caller's side, the service's side, the handler's */
	bool async;
	pthread_mutex_t lock;
	pthread_cond_t cond; /* sync caller waits here */
	int state; /* atomic, enum req_state */
	bool replied; /* atomic: the handler completed it */
	bool waiting; /* atomic: a synchronous caller sleeps on cond */
	int err;
	json_t *reply;

	json_t *args; /* valid while the handler runs */
	bool args_owned; /* a copy, freed after the handler; otherwise the caller's */
	const struct bus_method *method; /* valid while svc is (set) */
	/* under svc_lock */
	struct emf_bus_svc *svc; /* while queued or running: holds a reference */
	struct emf_bus_req *q_next;
	struct emf_bus_req *c_next; /* lists of requests to cancel */
	enum req_phase phase;
	/* async only, under svc_lock */
	struct emf_bus_req *p_next, *p_prev;
	bool p_linked;
	uint64_t deadline;
	emf_bus_reply_fn cb;
	void *cb_ctx;
	struct bus_exec *reply_exec;

	char name[EMF_BUS_NAME_MAX + 1]; /* "svc.method"; fixed size, so requests can be reused */
};

static inline int emf__bus_req_state(const struct emf_bus_req *req)
{
	return __atomic_load_n(&req->state, __ATOMIC_ACQUIRE);
}

/* bus_exec.c */
EMF_HIDDEN uint64_t emf__bus_now_ns(void);
EMF_HIDDEN void emf__bus_deadline(struct timespec *ts, uint64_t ns);
EMF_HIDDEN int emf__bus_cond_init(pthread_cond_t *cond);
EMF_HIDDEN void emf__bus_exec_schedule(struct bus_exec *ex, struct bus_task *t);
/* A call deadline @deadline was added: make the workers look at it in time. */
EMF_HIDDEN void emf__bus_exec_kick(struct bus_exec *ex, uint64_t deadline);
EMF_HIDDEN int emf__bus_start_workers(struct emf_bus *bus);
EMF_HIDDEN bool emf__bus_is_host_thread(struct emf_bus *bus);
EMF_HIDDEN bool emf__bus_is_worker(struct emf_bus *bus);
/* On a worker: did its current task come within the spin time of the one before? */
EMF_HIDDEN bool emf__bus_worker_flowing(void);
EMF_HIDDEN int emf__bus_check_name(const char *name, size_t max_len);
EMF_HIDDEN int emf__bus_exec_init(struct bus_exec *ex, bool host);
EMF_HIDDEN void emf__bus_exec_fini(struct bus_exec *ex);
/* Run what is left on @ex's ready list (destroy, after the workers stopped). */
EMF_HIDDEN void emf__bus_exec_drain(struct emf_bus *bus, struct bus_exec *ex);
EMF_HIDDEN void emf__bus_stop_workers(struct emf_bus *bus);
/* Is the current thread inside a callback of @bus (a worker or a dispatch)? */
EMF_HIDDEN bool emf__bus_in_callback(struct emf_bus *bus);

/* bus_msg.c */
EMF_HIDDEN struct bus_msg_pool *emf__bus_pool_new(void);
EMF_HIDDEN void emf__bus_pool_release(struct bus_msg_pool *pool);
EMF_HIDDEN struct emf_msg *emf__bus_msg_new(struct bus_msg_pool *pool, const char *topic,
					    size_t topic_len, const struct emf_event_type *type,
					    const void *data, size_t size, int refs);
EMF_HIDDEN void emf__bus_msg_unref_batch(struct emf_msg **msgs, unsigned int n);
/*
 * A view of @data and @topic built in @buf (@cap bytes, 16-byte aligned), for
 * callbacks that run before the publisher returns: nothing is copied, the
 * payload is not NUL-terminated, and the view is nobody's to reference or
 * unref. NULL when @cap is too small (64 bytes are enough).
 */
EMF_HIDDEN struct emf_msg *emf__bus_msg_init(void *buf, size_t cap, const char *topic,
					     const struct emf_event_type *type, const void *data,
					     size_t size);

/* bus_topic.c */
EMF_HIDDEN int emf__bus_run_sub(struct emf_bus *bus, struct bus_task *t, int budget);
EMF_HIDDEN void emf__bus_topic_shutdown(struct emf_bus *bus);
EMF_HIDDEN void emf__bus_topic_release(struct emf_bus *bus);

/* bus_req.c */
/* A request for method @name (@len bytes), one reference: the caller's. NULL on ENOMEM. */
EMF_HIDDEN struct emf_bus_req *emf__bus_req_new(const char *name, size_t len);
EMF_HIDDEN int emf__bus_req_copy_args(struct emf_bus_req *req, const json_t *args);
EMF_HIDDEN void emf__bus_req_drop_args(struct emf_bus_req *req);
EMF_HIDDEN void emf__bus_req_get(struct emf_bus_req *req);
EMF_HIDDEN void emf__bus_req_put(struct emf_bus_req *req);
/* The bus's list of pending async calls, by deadline; under svc_lock. */
EMF_HIDDEN void emf__bus_pending_link_locked(struct emf_bus *bus, struct emf_bus_req *req);
EMF_HIDDEN void emf__bus_pending_unlink_locked(struct emf_bus *bus, struct emf_bus_req *req);
EMF_HIDDEN int emf__bus_req_settled(struct emf_bus_req *req);
/*
 * Record the outcome once; @reply is stolen. Returns 0, or the error the
 * caller got when it had given up (the outcome is dropped then).
 */
EMF_HIDDEN int emf__bus_req_complete(struct emf_bus_req *req, int err, json_t *reply,
				     bool by_handler);
/* The reply task of an async call: its callback, then the request's last reference. */
EMF_HIDDEN int emf__bus_run_reply(struct emf_bus *bus, struct bus_task *t, int budget);

/* bus_svc.c */
EMF_HIDDEN int emf__bus_run_svc(struct emf_bus *bus, struct bus_task *t, int budget);
EMF_HIDDEN uint64_t emf__bus_expire_calls(struct emf_bus *bus);
EMF_HIDDEN void emf__bus_svc_shutdown(struct emf_bus *bus);
EMF_HIDDEN void emf__bus_svc_release(struct emf_bus *bus);

#endif /* __EMF_BUS_INTERNAL_H */
