// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * ebus services: named methods, synchronous and asynchronous calls, deferred
 * replies, timeouts, and the deadlock check of synchronous calls.
 *
 * All service state (queues, "busy" and its runner, the waiting callers, the
 * pending async calls) is under bus->svc_lock, so the deadlock check sees one
 * consistent wait-for graph. Requests themselves, and how their outcome
 * settles, are bus_req.c's.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include <emf/bus.h>
#include <emf/errno.h>

#include "bus_internal.h"
#include "log_internal.h"
#include "opts_internal.h"

#define BUS_MAX_HOPS 64 /* longest chain of synchronous calls the deadlock check follows */

struct bus_method {
	char *name;
	emf_bus_method_fn handler;
	struct emf_bus_svc *svc;
	char *full; /* "svc.method", the key in the bus's method table */
	size_t full_len;
	uint32_t hash;
	struct bus_method *hnext;
};

struct emf_bus_svc {
	struct bus_task task;
	struct emf_bus *bus;
	struct emf_bus_svc *next; /* bus->svcs */
	char *name;
	struct bus_method *methods;
	size_t n_methods;
	void *ctx;
	struct bus_exec *exec;
	/* the rest under bus->svc_lock */
	/* references: the bus's list, the executor while scheduled, queued requests, helpers */
	unsigned int refs;
	struct emf_bus_req *q_head;
	struct emf_bus_req **q_tail;
	bool busy; /* a thread is running its handlers: @runner */
	bool scheduled;
	bool dead;
	pthread_t runner;
};

/* A thread sleeping in emf_bus__call(), for the deadlock check. */
struct bus_waiter {
	struct bus_waiter *next;
	pthread_t tid;
	struct emf_bus_req *req;
};

/* --- services -------------------------------------------------------- */

static void svc_free(struct emf_bus_svc *svc)
{
	size_t i;

	for (i = 0; i < svc->n_methods; i++) {
		free(svc->methods[i].name);
		free(svc->methods[i].full);
	}
	free(svc->methods);
	free(svc->name);
	free(svc);
}

/* Under svc_lock. */
static void svc_put_locked(struct emf_bus_svc *svc)
{
	if (--svc->refs == 0)
		svc_free(svc);
}

static struct emf_bus_svc *svc_find_locked(struct emf_bus *bus, const char *name, size_t len)
{
	struct emf_bus_svc *svc;

	for (svc = bus->svcs; svc; svc = svc->next) {
		if (!strncmp(svc->name, name, len) && !svc->name[len])
			return svc;
	}
	return NULL;
}

/*
 * The method table: every "svc.method" of the bus in one hash, so a call
 * finds its handler with one pass over its name and one string compare.
 */
#define NAME_HASH_SEED 0x9e3779b9u

/* Rotate and xor: short dependency chain; collisions only cost a strcmp. */
static inline uint32_t name_hash_step(uint32_t h, unsigned char c)
{
	return ((h << 5) | (h >> 27)) ^ c;
}

static uint32_t name_hash(const char *s, size_t len)
{
	uint32_t h = NAME_HASH_SEED;

	while (len--)
		h = name_hash_step(h, *s++);
	return h;
}

/*
 * One pass over a call's name: check it (see emf__bus_check_name()), find
 * its last dot and hash it. Returns the length or -EINVAL.
 */
static int call_name_scan(const char *name, size_t *svc_len, uint32_t *hash)
{
	uint32_t h = NAME_HASH_SEED;
	const char *p, *dot = NULL;
	bool seg_start = true;

	if (!name)
		return -EINVAL;
	for (p = name; *p; p++) {
		if (p - name >= EMF_BUS_NAME_MAX || *p == '*')
			return -EINVAL;
		if (*p == '.') {
			if (seg_start)
				return -EINVAL;
			seg_start = true;
			dot = p;
		} else {
			seg_start = false;
		}
		h = name_hash_step(h, *p);
	}
	if (seg_start || !dot)
		return -EINVAL;
	*svc_len = dot - name;
	*hash = h;
	return p - name;
}

/* Under svc_lock. */
static int mtable_grow_locked(struct emf_bus *bus, size_t want)
{
	struct bus_method **tab, *m, *next;
	size_t i, size = bus->mtable_size ?: 16;

	while (size < want)
		size *= 2;
	if (size == bus->mtable_size)
		return 0;
	tab = calloc(size, sizeof(*tab));
	if (!tab)
		return -ENOMEM;
	for (i = 0; i < bus->mtable_size; i++) {
		for (m = bus->mtable[i]; m; m = next) {
			next = m->hnext;
			m->hnext = tab[m->hash & (size - 1)];
			tab[m->hash & (size - 1)] = m;
		}
	}
	free(bus->mtable);
	bus->mtable = tab;
	bus->mtable_size = size;
	return 0;
}

static void mtable_add_locked(struct emf_bus *bus, struct emf_bus_svc *svc)
{
	struct bus_method *m;
	size_t i;

	for (i = 0; i < svc->n_methods; i++) {
		m = &svc->methods[i];
		m->hnext = bus->mtable[m->hash & (bus->mtable_size - 1)];
		bus->mtable[m->hash & (bus->mtable_size - 1)] = m;
	}
	bus->n_methods += svc->n_methods;
}

static void mtable_del_locked(struct emf_bus *bus, struct emf_bus_svc *svc)
{
	struct bus_method **pp;
	size_t i;

	for (i = 0; i < svc->n_methods; i++) {
		pp = &bus->mtable[svc->methods[i].hash & (bus->mtable_size - 1)];
		while (*pp && *pp != &svc->methods[i])
			pp = &(*pp)->hnext;
		if (*pp)
			*pp = svc->methods[i].hnext;
	}
	bus->n_methods -= svc->n_methods;
}

static struct bus_method *mtable_find_locked(struct emf_bus *bus, const char *name, size_t len,
					     uint32_t hash)
{
	struct bus_method *m;

	if (!bus->mtable_size)
		return NULL;
	for (m = bus->mtable[hash & (bus->mtable_size - 1)]; m; m = m->hnext) {
		if (m->hash == hash && m->full_len == len && !memcmp(m->full, name, len))
			return m;
	}
	return NULL;
}

struct emf_bus_svc *emf_bus__add_service(struct emf_bus *bus, const char *name,
					 const struct emf_bus_method *methods, size_t n, void *ctx,
					 const struct emf_bus_svc_opts *opts)
{
	enum emf_bus_deliver deliver = OPTS_GET(opts, deliver, EMF_BUS_DELIVER_HOST);
	struct emf_bus_svc *svc;
	size_t i, j;
	int err;

	if (!bus || !methods || !n || !OPTS_VALID(opts, emf_bus_svc_opts))
		return emf_err_ptr(-EINVAL);
	if (emf__bus_check_name(name, EMF_BUS_NAME_MAX) < 0 ||
	    (deliver != EMF_BUS_DELIVER_HOST && deliver != EMF_BUS_DELIVER_THREAD)) {
		pr_warn("bus: failed to add service '%s': bad name or options\n", name ?: "(null)");
		return emf_err_ptr(-EINVAL);
	}
	for (i = 0; i < n; i++) {
		if (!methods[i].handler || !methods[i].name || strchr(methods[i].name, '.') ||
		    emf__bus_check_name(methods[i].name, EMF_BUS_NAME_MAX) < 0 ||
		    strlen(name) + 1 + strlen(methods[i].name) > EMF_BUS_NAME_MAX) {
			pr_warn("bus: failed to add service %s: bad method #%zu '%s'\n", name, i,
				methods[i].name ?: "(null)");
			return emf_err_ptr(-EINVAL);
		}
		for (j = 0; j < i; j++) {
			if (!strcmp(methods[i].name, methods[j].name)) {
				pr_warn("bus: failed to add service %s: method %s given twice\n",
					name, methods[i].name);
				return emf_err_ptr(-EINVAL);
			}
		}
	}
	if (deliver == EMF_BUS_DELIVER_THREAD) {
		err = emf__bus_start_workers(bus);
		if (err)
			return emf_err_ptr(err);
	}
	svc = calloc(1, sizeof(*svc));
	if (!svc)
		return emf_err_ptr(-ENOMEM);
	svc->methods = calloc(n, sizeof(*svc->methods));
	svc->name = strdup(name);
	if (!svc->methods || !svc->name)
		goto err_free;
	for (i = 0; i < n; i++) {
		struct bus_method *m = &svc->methods[i];

		m->handler = methods[i].handler;
		m->svc = svc;
		m->name = strdup(methods[i].name);
		svc->n_methods++;
		m->full = malloc(strlen(name) + 1 + strlen(methods[i].name) + 1);
		if (!m->name || !m->full)
			goto err_free;
		m->full_len = sprintf(m->full, "%s.%s", name, m->name);
		m->hash = name_hash(m->full, m->full_len);
	}
	svc->task.run = emf__bus_run_svc;
	svc->bus = bus;
	svc->ctx = ctx;
	svc->exec = deliver == EMF_BUS_DELIVER_THREAD ? &bus->thread : &bus->host;
	svc->q_tail = &svc->q_head;
	svc->refs = 1;

	pthread_mutex_lock(&bus->svc_lock);
	if (__atomic_load_n(&bus->destroying, __ATOMIC_RELAXED)) {
		err = -ESHUTDOWN;
	} else if (svc_find_locked(bus, name, strlen(name))) {
		pr_warn("bus: failed to add service %s: name already taken\n", name);
		err = -EEXIST;
	} else {
		err = mtable_grow_locked(bus, bus->n_methods + n);
		if (!err) {
			mtable_add_locked(bus, svc);
			svc->next = bus->svcs;
			bus->svcs = svc;
		}
	}
	pthread_mutex_unlock(&bus->svc_lock);
	if (err) {
		svc_free(svc);
		return emf_err_ptr(err);
	}
	return svc;

err_free:
	svc_free(svc);
	return emf_err_ptr(-ENOMEM);
}

/* --- running handlers ------------------------------------------------ */

/* Under svc_lock; the request takes a reference on @svc while it is queued or running. */
static void svc_enqueue_locked(struct emf_bus_svc *svc, struct emf_bus_req *req)
{
	emf__bus_req_get(req); /* the service's side */
	req->svc = svc;
	svc->refs++;
	req->phase = PH_QUEUED;
	req->q_next = NULL;
	*svc->q_tail = req;
	svc->q_tail = &req->q_next;
}

/* Under svc_lock: the request no longer belongs to the service. */
static void req_detach_locked(struct emf_bus_req *req)
{
	req->phase = PH_RETURNED;
	svc_put_locked(req->svc);
	req->svc = NULL;
}

/* Under svc_lock: unlink the whole queue, returned as a q_next list. */
static struct emf_bus_req *svc_steal_queue_locked(struct emf_bus_svc *svc)
{
	struct emf_bus_req *req, *list = svc->q_head;

	for (req = list; req; req = req->q_next)
		req_detach_locked(req);
	svc->q_head = NULL;
	svc->q_tail = &svc->q_head;
	return list;
}

/* Complete a q_next list of stolen requests with -ECANCELED and drop the service's references. */
static void cancel_stolen(struct emf_bus_req *list)
{
	struct emf_bus_req *req, *next;

	for (req = list; req; req = next) {
		next = req->q_next;
		emf__bus_req_complete(req, -ECANCELED, NULL, false);
		emf__bus_req_put(req);
	}
}

/*
 * Run one request's handler, svc_lock dropped around it. A request whose
 * caller gave up (or that was completed by a timeout) is skipped.
 */
/*
 * Call the handler, no lock held. The caller has given the handler its
 * reference (dropped when it completes the request).
 */
static void run_handler(struct emf_bus_svc *svc, struct emf_bus_req *req)
{
	int ret;

	ret = req->method->handler(svc->ctx, req, req->args);
	/* the arguments were lent for the handler's run only */
	emf__bus_req_drop_args(req);
	if (ret < 0 && !__atomic_load_n(&req->replied, __ATOMIC_ACQUIRE)) {
		emf__bus_req_complete(req, ret, NULL, true);
		emf__bus_req_put(req);
	}
}

static void run_req_locked(struct emf_bus *bus, struct emf_bus_svc *svc, struct emf_bus_req *req)
{
	req->phase = PH_RUNNING;
	pthread_mutex_unlock(&bus->svc_lock);
	if (emf__bus_req_state(req) == REQ_PENDING) {
		emf__bus_req_get(req); /* the handler's */
		run_handler(svc, req);
	}
	pthread_mutex_lock(&bus->svc_lock);
	req_detach_locked(req);
	emf__bus_req_put(req); /* the service's side */
}

/*
 * Under svc_lock, with @svc busy on this thread: run queued requests in
 * order, until @until has run or @budget requests ran.
 */
static int svc_drain_locked(struct emf_bus *bus, struct emf_bus_svc *svc, struct emf_bus_req *until,
			    int budget)
{
	struct emf_bus_req *req;
	int done = 0;
	bool last;

	while (!svc->dead && (req = svc->q_head) && done < budget) {
		svc->q_head = req->q_next;
		if (!svc->q_head)
			svc->q_tail = &svc->q_head;
		last = req == until;
		run_req_locked(bus, svc, req);
		done++;
		if (last)
			break;
	}
	return done;
}

/* Under svc_lock: this thread is done running @svc; true when the rest must be scheduled. */
static bool svc_release_locked(struct emf_bus *bus, struct emf_bus_svc *svc)
{
	svc->busy = false;
	if (bus->n_svc_waiters)
		pthread_cond_broadcast(&bus->svc_cond);
	if (svc->dead || !svc->q_head || svc->scheduled)
		return false;
	svc->scheduled = true;
	svc->refs++; /* the executor's */
	return true;
}

int emf__bus_run_svc(struct emf_bus *bus, struct bus_task *t, int budget)
{
	struct emf_bus_svc *svc = container_of(t, struct emf_bus_svc, task);
	bool resched = false;
	int done = 0;

	pthread_mutex_lock(&bus->svc_lock);
	svc->scheduled = false;
	/* when busy, the thread running it schedules what is left */
	if (!svc->busy && !svc->dead) {
		svc->busy = true;
		svc->runner = pthread_self();
		done = svc_drain_locked(bus, svc, NULL, budget);
		resched = svc_release_locked(bus, svc);
		if (resched)
			emf__bus_exec_schedule(svc->exec, &svc->task);
	}
	svc_put_locked(svc); /* the executor's */
	pthread_mutex_unlock(&bus->svc_lock);
	return done;
}

/* --- calls ----------------------------------------------------------- */

struct call_name {
	size_t len;
	uint32_t hash;
};

/*
 * Length and hash of a call's name, in one pass without checking it: a name
 * found in the method table is valid, the check is only for the error.
 */
static int call_hash(const char *name, struct call_name *cn)
{
	uint32_t h = NAME_HASH_SEED;
	const char *p;

	if (!name)
		return -EINVAL;
	for (p = name; *p; p++) {
		if (p - name >= EMF_BUS_NAME_MAX)
			return -EINVAL;
		h = name_hash_step(h, *p);
	}
	cn->len = p - name;
	cn->hash = h;
	return 0;
}

static void warn_bad_call_name(const char *name)
{
	pr_warn("bus: failed to call '%s': not a '<service>.<method>' name\n", name ?: "(null)");
}

/*
 * Under svc_lock: the service a request goes to, with req->method set; NULL
 * with -EINVAL or -ENOENT otherwise, and a warning that says what is wrong.
 */
static struct emf_bus_svc *call_lookup_locked(struct emf_bus *bus, struct emf_bus_req *req,
					      const struct call_name *cn, int *err)
{
	struct emf_bus_svc *svc;
	size_t svc_len;
	uint32_t hash;

	if (__atomic_load_n(&bus->destroying, __ATOMIC_RELAXED)) {
		*err = -ESHUTDOWN;
		return NULL;
	}
	req->method = mtable_find_locked(bus, req->name, cn->len, cn->hash);
	if (req->method)
		return req->method->svc;
	if (call_name_scan(req->name, &svc_len, &hash) < 0) {
		warn_bad_call_name(req->name);
		*err = -EINVAL;
		return NULL;
	}
	*err = -ENOENT;
	svc = svc_find_locked(bus, req->name, svc_len);
	if (!svc)
		pr_warn("bus: failed to call %s: no service named '%.*s'\n", req->name,
			(int)svc_len, req->name);
	else
		pr_warn("bus: failed to call %s: service %s has no method '%s'\n", req->name,
			svc->name, req->name + svc_len + 1);
	return NULL;
}

static struct bus_waiter *waiter_of_locked(struct emf_bus *bus, pthread_t tid)
{
	struct bus_waiter *w;

	for (w = bus->waiters; w; w = w->next) {
		if (pthread_equal(w->tid, tid))
			return w;
	}
	return NULL;
}

/*
 * Under svc_lock: would waiting for @svc wait for this very thread? Follow
 * the wait-for chain: a busy service waits for its runner, an idle host-loop
 * service for the host thread; a thread sleeping in a call waits for the
 * service of its request. A chain that reaches a thread not sleeping in a
 * call, an idle worker service, or a deferred request cannot close a cycle
 * right now (a later call that closes one is refused then).
 */
static bool would_deadlock_locked(struct emf_bus *bus, struct emf_bus_svc *svc)
{
	pthread_t self = pthread_self(), t;
	struct bus_waiter *w;
	int hops;

	for (hops = 0; hops < BUS_MAX_HOPS; hops++) {
		if (svc->busy) {
			t = svc->runner;
		} else if (svc->exec->host) {
			t = __atomic_load_n(&bus->host_tid, __ATOMIC_RELAXED);
			if (!t)
				return false;
		} else {
			return false;
		}
		if (pthread_equal(t, self))
			return true;
		w = waiter_of_locked(bus, t);
		if (!w || w->req->phase == PH_RETURNED || !w->req->svc)
			return false;
		svc = w->req->svc;
	}
	return false;
}

static void waiter_add_locked(struct emf_bus *bus, struct bus_waiter *w, struct emf_bus_req *req)
{
	w->tid = pthread_self();
	w->req = req;
	w->next = bus->waiters;
	bus->waiters = w;
}

static void waiter_del_locked(struct emf_bus *bus, struct bus_waiter *w)
{
	struct bus_waiter **pp;

	for (pp = &bus->waiters; *pp; pp = &(*pp)->next) {
		if (*pp == w) {
			*pp = w->next;
			return;
		}
	}
}

/* Take the outcome of a DONE request. */
static int req_take(struct emf_bus_req *req, json_t **reply)
{
	if (!req->err && reply) {
		*reply = req->reply;
		req->reply = NULL;
	}
	return req->err;
}

/*
 * A reply usually comes within microseconds, and blocking would cost a
 * wake-up each way (tens of microseconds across CPUs on a VM): look for it
 * for up to the bus's spin time first. Only a thread that waits anyway spins.
 */
static void req_spin(struct emf_bus *bus, struct emf_bus_req *req, int timeout_ms)
{
	uint64_t spin = bus->spin_ns, now, end;

	if (!spin)
		return;
	if (timeout_ms > 0 && spin > timeout_ms * 1000000ULL)
		spin = timeout_ms * 1000000ULL;
	now = emf__bus_now_ns();
	end = now + spin;
	while (__atomic_load_n(&req->state, __ATOMIC_ACQUIRE) != REQ_DONE && now < end) {
		for (int i = 0; i < 64; i++)
			emf__bus_cpu_relax();
		now = emf__bus_now_ns();
	}
}

static int req_wait(struct emf_bus *bus, struct emf_bus_req *req, int timeout_ms, json_t **reply)
{
	int err = 0, st = REQ_PENDING;
	struct timespec ts;

	if (timeout_ms)
		req_spin(bus, req, timeout_ms);
	if (timeout_ms && emf__bus_req_state(req) != REQ_DONE) {
		if (timeout_ms > 0)
			emf__bus_deadline(&ts, emf__bus_now_ns() + timeout_ms * 1000000ULL);
		pthread_mutex_lock(&req->lock);
		/* pairs with emf__bus_req_complete(): either we see DONE or it sees us waiting */
		__atomic_store_n(&req->waiting, true, __ATOMIC_SEQ_CST);
		while (__atomic_load_n(&req->state, __ATOMIC_SEQ_CST) != REQ_DONE &&
		       err != ETIMEDOUT) {
			if (timeout_ms < 0)
				pthread_cond_wait(&req->cond, &req->lock);
			else
				err = pthread_cond_timedwait(&req->cond, &req->lock, &ts);
		}
		pthread_mutex_unlock(&req->lock);
	}
	/* give up, unless the outcome is (being) written: a reply from now on is dropped */
	if (__atomic_compare_exchange_n(&req->state, &st, REQ_ABANDONED, false, __ATOMIC_ACQ_REL,
					__ATOMIC_ACQUIRE)) {
		pr_debug("bus: call %s timed out after %d ms\n", req->name, timeout_ms);
		return -ETIMEDOUT;
	}
	emf__bus_req_settled(req);
	return req_take(req, reply);
}

int emf_bus__call(struct emf_bus *bus, const char *method, const struct json_t *args,
		  struct json_t **reply, int timeout_ms)
{
	struct bus_waiter waiter;
	struct emf_bus_svc *svc;
	struct emf_bus_req *req;
	struct call_name cn;
	bool help;
	int ret;

	if (reply)
		*reply = NULL;
	if (!bus)
		return emf_err(-EINVAL);
	if (call_hash(method, &cn)) {
		warn_bad_call_name(method);
		return emf_err(-EINVAL);
	}
	req = emf__bus_req_new(method, cn.len);
	if (!req)
		return emf_err(-ENOMEM);

	pthread_mutex_lock(&bus->svc_lock);
	svc = call_lookup_locked(bus, req, &cn, &ret);
	if (!svc)
		goto err_unlock;
	help = !svc->busy && (!svc->exec->host || emf__bus_is_host_thread(bus));
	if (!help && would_deadlock_locked(bus, svc)) {
		pr_warn("bus: failed to call %s: it would wait for this thread (a handler calling its own service, a cycle of synchronous calls, or the host loop waiting for itself); use emf_bus__call_async()\n",
			req->name);
		ret = -EDEADLK;
		goto err_unlock;
	}
	if (help) {
		/* run here: the handler borrows the caller's arguments */
		req->args = (json_t *)args;
		svc->refs++;
		svc->busy = true;
		svc->runner = pthread_self();
		if (!svc->q_head) {
			/* idle with nothing queued, the common case: no need for the queue */
			req->refs = 2; /* ours and the handler's */
			pthread_mutex_unlock(&bus->svc_lock);
			run_handler(svc, req);
			pthread_mutex_lock(&bus->svc_lock);
		} else {
			/* the requests queued before it first, to keep their order */
			svc_enqueue_locked(svc, req);
			svc_drain_locked(bus, svc, req, INT_MAX);
		}
		if (svc_release_locked(bus, svc))
			emf__bus_exec_schedule(svc->exec, &svc->task);
		svc_put_locked(svc);
		pthread_mutex_unlock(&bus->svc_lock);

		/* replied while it ran here: the outcome is final, no lock needed */
		if (emf__bus_req_state(req) == REQ_DONE) {
			ret = req_take(req, reply);
			goto out;
		}
		/* deferred: wait like any caller */
		pthread_mutex_lock(&bus->svc_lock);
	} else {
		/* queued: the handler gets a copy of the arguments */
		ret = emf__bus_req_copy_args(req, args);
		if (ret)
			goto err_unlock;
		svc_enqueue_locked(svc, req);
		if (!svc->busy && !svc->scheduled) {
			svc->scheduled = true;
			svc->refs++;
			emf__bus_exec_schedule(svc->exec, &svc->task);
		}
	}
	waiter_add_locked(bus, &waiter, req);
	pthread_mutex_unlock(&bus->svc_lock);

	ret = req_wait(bus, req, timeout_ms, reply);

	pthread_mutex_lock(&bus->svc_lock);
	waiter_del_locked(bus, &waiter);
	pthread_mutex_unlock(&bus->svc_lock);
out:
	emf__bus_req_put(req);
	return emf_err(ret);

err_unlock:
	pthread_mutex_unlock(&bus->svc_lock);
	emf__bus_req_put(req);
	return emf_err(ret);
}

int emf_bus__call_async(struct emf_bus *bus, const char *method, const struct json_t *args,
			emf_bus_reply_fn cb, void *ctx, const struct emf_bus_call_opts *opts)
{
	enum emf_bus_deliver deliver = OPTS_GET(opts, deliver, EMF_BUS_DELIVER_HOST);
	int timeout_ms = OPTS_GET(opts, timeout_ms, 0);
	struct emf_bus_svc *svc;
	struct emf_bus_req *req;
	struct call_name cn;
	int ret;

	if (!bus || !cb || !OPTS_VALID(opts, emf_bus_call_opts) ||
	    (deliver != EMF_BUS_DELIVER_HOST && deliver != EMF_BUS_DELIVER_THREAD))
		return emf_err(-EINVAL);
	if (call_hash(method, &cn)) {
		warn_bad_call_name(method);
		return emf_err(-EINVAL);
	}
	/* a worker delivers THREAD replies and watches the deadlines */
	if (deliver == EMF_BUS_DELIVER_THREAD || timeout_ms > 0) {
		ret = emf__bus_start_workers(bus);
		if (ret)
			return emf_err(ret);
	}
	req = emf__bus_req_new(method, cn.len);
	if (!req)
		return emf_err(-ENOMEM);
	if (emf__bus_req_copy_args(req, args)) {
		emf__bus_req_put(req);
		return emf_err(-ENOMEM);
	}
	req->async = true;
	req->bus = bus;
	req->cb = cb;
	req->cb_ctx = ctx;
	req->reply_exec = deliver == EMF_BUS_DELIVER_THREAD ? &bus->thread : &bus->host;
	req->deadline = timeout_ms > 0 ? emf__bus_now_ns() + timeout_ms * 1000000ULL : UINT64_MAX;

	pthread_mutex_lock(&bus->svc_lock);
	svc = call_lookup_locked(bus, req, &cn, &ret);
	if (!svc) {
		pthread_mutex_unlock(&bus->svc_lock);
		emf__bus_req_put(req);
		return emf_err(ret);
	}
	/* the caller's reference now belongs to the pending list, then to the reply */
	emf__bus_pending_link_locked(bus, req);
	svc_enqueue_locked(svc, req);
	if (!svc->busy && !svc->scheduled) {
		svc->scheduled = true;
		svc->refs++;
		emf__bus_exec_schedule(svc->exec, &svc->task);
	}
	pthread_mutex_unlock(&bus->svc_lock);
	if (timeout_ms > 0)
		emf__bus_exec_kick(&bus->thread, req->deadline);
	return 0;
}

/* Called by a worker: time out expired async calls; returns the next deadline. */
uint64_t emf__bus_expire_calls(struct emf_bus *bus)
{
	struct emf_bus_req *req, *next, *expired = NULL;
	uint64_t now = emf__bus_now_ns(), ret;

	pthread_mutex_lock(&bus->svc_lock);
	while ((req = bus->pending) && req->deadline <= now) {
		emf__bus_pending_unlink_locked(bus, req);
		emf__bus_req_get(req);
		req->c_next = expired;
		expired = req;
	}
	ret = bus->pending ? bus->pending->deadline : UINT64_MAX;
	pthread_mutex_unlock(&bus->svc_lock);

	for (req = expired; req; req = next) {
		next = req->c_next;
		pr_debug("bus: async call %s timed out\n", req->name);
		emf__bus_req_complete(req, -ETIMEDOUT, NULL, false);
		emf__bus_req_put(req);
	}
	return ret;
}

int emf_bus__remove_service(struct emf_bus *bus, struct emf_bus_svc *svc)
{
	struct emf_bus_svc **pp;
	struct emf_bus_req *stolen;

	if (!svc)
		return 0;
	if (!bus || svc->bus != bus)
		return emf_err(-EINVAL);
	pthread_mutex_lock(&bus->svc_lock);
	for (pp = &bus->svcs; *pp && *pp != svc; pp = &(*pp)->next)
		;
	if (!*pp) {
		pthread_mutex_unlock(&bus->svc_lock);
		return emf_err(-EINVAL);
	}
	*pp = svc->next;
	mtable_del_locked(bus, svc);
	svc->dead = true;
	stolen = svc_steal_queue_locked(svc);
	bus->n_svc_waiters++;
	while (svc->busy && !pthread_equal(svc->runner, pthread_self()))
		pthread_cond_wait(&bus->svc_cond, &bus->svc_lock);
	bus->n_svc_waiters--;
	svc_put_locked(svc); /* the list's */
	pthread_mutex_unlock(&bus->svc_lock);
	cancel_stolen(stolen);
	return 0;
}

/*
 * Destroy, first step: no request may be left for anyone to wait on. Kill
 * every service (the list keeps its references until emf__bus_svc_release()),
 * and cancel queued requests, pending async calls and the requests of
 * sleeping callers.
 */
void emf__bus_svc_shutdown(struct emf_bus *bus)
{
	struct emf_bus_req *req, *next, *stolen = NULL, *cancel = NULL, *list, *tail;
	struct emf_bus_svc *svc;
	struct bus_waiter *w;

	pthread_mutex_lock(&bus->svc_lock);
	for (svc = bus->svcs; svc; svc = svc->next) {
		svc->dead = true;
		list = svc_steal_queue_locked(svc);
		for (tail = list; tail && tail->q_next; tail = tail->q_next)
			;
		if (tail) {
			tail->q_next = stolen;
			stolen = list;
		}
	}
	while ((req = bus->pending)) {
		emf__bus_pending_unlink_locked(bus, req);
		emf__bus_req_get(req);
		req->c_next = cancel;
		cancel = req;
	}
	for (w = bus->waiters; w; w = w->next) {
		emf__bus_req_get(w->req);
		w->req->c_next = cancel;
		cancel = w->req;
	}
	pthread_mutex_unlock(&bus->svc_lock);

	cancel_stolen(stolen);
	for (req = cancel; req; req = next) {
		next = req->c_next;
		emf__bus_req_complete(req, -ECANCELED, NULL, false);
		emf__bus_req_put(req);
	}
}

/* Destroy, last step: the workers are gone; drop the list's references. */
void emf__bus_svc_release(struct emf_bus *bus)
{
	struct emf_bus_svc *svc, *next;

	pthread_mutex_lock(&bus->svc_lock);
	for (svc = bus->svcs; svc; svc = next) {
		next = svc->next;
		svc_put_locked(svc);
	}
	bus->svcs = NULL;
	free(bus->mtable);
	bus->mtable = NULL;
	bus->mtable_size = bus->n_methods = 0;
	pthread_mutex_unlock(&bus->svc_lock);
}

json_t *emf_bus__services(struct emf_bus *bus)
{
	struct emf_bus_svc *svc;
	json_t *all, *m;
	size_t i;

	if (!bus)
		return emf_err_ptr(-EINVAL);
	all = json_object();
	if (!all)
		return emf_err_ptr(-ENOMEM);
	pthread_mutex_lock(&bus->svc_lock);
	for (svc = bus->svcs; svc; svc = svc->next) {
		if (svc->dead)
			continue;
		m = json_array();
		for (i = 0; m && i < svc->n_methods; i++)
			if (json_array_append_new(m, json_string(svc->methods[i].name)))
				break;
		if (!m || i < svc->n_methods || json_object_set_new(all, svc->name, m)) {
			json_decref(m);
			pthread_mutex_unlock(&bus->svc_lock);
			json_decref(all);
			return emf_err_ptr(-ENOMEM);
		}
	}
	pthread_mutex_unlock(&bus->svc_lock);
	return all;
}
