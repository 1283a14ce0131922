// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * ebus requests: one call of a method, from its creation to its outcome. A
 * request settles once, with a CAS, so a handler, a timeout or the bus's
 * destroy can complete it from any thread, even after the bus is gone; a
 * synchronous caller sleeps on it, an asynchronous one gets the outcome
 * through a reply task. Services (bus_svc.c) queue and run them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include <emf/bus.h>
#include <emf/errno.h>

#include "bus_internal.h"
#include "log_internal.h"

/*
 * One spare request per thread, so that a thread making calls allocates none
 * after the first: the last one to drop a request keeps it if it has no spare
 * yet. The key only frees the spare when the thread exits.
 */
static pthread_key_t req_cache_key;
static pthread_once_t req_cache_once = PTHREAD_ONCE_INIT;
static __thread struct emf_bus_req *req_cache;
static __thread bool req_cache_registered;

static void req_destroy(struct emf_bus_req *req)
{
	pthread_cond_destroy(&req->cond);
	pthread_mutex_destroy(&req->lock);
	free(req);
}

static void req_cache_dtor(void *slot)
{
	struct emf_bus_req **cache = slot;

	if (*cache)
		req_destroy(*cache);
	*cache = NULL;
}

static void req_cache_init(void)
{
	if (pthread_key_create(&req_cache_key, req_cache_dtor))
		pr_warn("bus: failed to create the request cache key: requests are not reused\n");
}

static struct emf_bus_req *req_alloc(void)
{
	struct emf_bus_req *req = req_cache;

	if (req) {
		req_cache = NULL;
		return req;
	}
	req = malloc(sizeof(*req));
	if (!req)
		return NULL;
	if (pthread_mutex_init(&req->lock, NULL))
		goto err_free;
	if (emf__bus_cond_init(&req->cond))
		goto err_destroy_lock;
	return req;

err_destroy_lock:
	pthread_mutex_destroy(&req->lock);
err_free:
	free(req);
	return NULL;
}

static void req_free(struct emf_bus_req *req)
{
	if (!req_cache) {
		if (!req_cache_registered) {
			pthread_once(&req_cache_once, req_cache_init);
			req_cache_registered = !pthread_setspecific(req_cache_key, &req_cache);
		}
		if (req_cache_registered) {
			req_cache = req;
			return;
		}
	}
	req_destroy(req);
}

struct emf_bus_req *emf__bus_req_new(const char *name, size_t len)
{
	struct emf_bus_req *req = req_alloc();

	if (!req)
		return NULL;
	/* field by field: the lock and cond stay initialised, the name is copied */
	req->task.next = NULL;
	req->task.run = emf__bus_run_reply;
	req->bus = NULL;
	req->refs = 1;
	req->async = false;
	req->state = REQ_PENDING;
	req->replied = false;
	req->waiting = false;
	req->err = 0;
	req->reply = NULL;
	req->args = NULL;
	req->args_owned = false;
	req->method = NULL;
	req->svc = NULL;
	req->q_next = req->c_next = req->p_next = req->p_prev = NULL;
	req->phase = PH_QUEUED;
	req->p_linked = false;
	req->deadline = 0;
	req->cb = NULL;
	req->cb_ctx = NULL;
	req->reply_exec = NULL;
	memcpy(req->name, name, len);
	req->name[len] = 0;
	return req;
}

/* A copy of the caller's arguments, for a handler that runs while the caller goes on. */
int emf__bus_req_copy_args(struct emf_bus_req *req, const json_t *args)
{
	if (!args)
		return 0;
	req->args = json_deep_copy(args);
	if (!req->args)
		return -ENOMEM;
	req->args_owned = true;
	return 0;
}

void emf__bus_req_drop_args(struct emf_bus_req *req)
{
	if (req->args_owned)
		json_decref(req->args);
	req->args = NULL;
	req->args_owned = false;
}

void emf__bus_req_get(struct emf_bus_req *req)
{
	__atomic_add_fetch(&req->refs, 1, __ATOMIC_RELAXED);
}

/*
 * Never touches the bus: requests may outlive it. A sole owner needs no
 * atomic write: nobody takes a reference to a request without holding one.
 */
void emf__bus_req_put(struct emf_bus_req *req)
{
	if (__atomic_load_n(&req->refs, __ATOMIC_ACQUIRE) != 1 &&
	    __atomic_sub_fetch(&req->refs, 1, __ATOMIC_ACQ_REL))
		return;
	emf__bus_req_drop_args(req);
	json_decref(req->reply);
	req_free(req);
}

void emf__bus_pending_unlink_locked(struct emf_bus *bus, struct emf_bus_req *req)
{
	if (!req->p_linked)
		return;
	if (req->p_prev)
		req->p_prev->p_next = req->p_next;
	else
		bus->pending = req->p_next;
	if (req->p_next)
		req->p_next->p_prev = req->p_prev;
	req->p_linked = false;
}

/* Sorted by deadline; new calls usually have the latest one, so search from the tail. */
void emf__bus_pending_link_locked(struct emf_bus *bus, struct emf_bus_req *req)
{
	struct emf_bus_req *pos = bus->pending, *last = NULL;

	for (; pos; pos = pos->p_next)
		last = pos;
	while (last && last->deadline > req->deadline)
		last = last->p_prev;
	req->p_prev = last;
	req->p_next = last ? last->p_next : bus->pending;
	if (req->p_next)
		req->p_next->p_prev = req;
	if (last)
		last->p_next = req;
	else
		bus->pending = req;
	req->p_linked = true;
}

/* Wait out a completion in progress; it is a few instructions away from DONE. */
int emf__bus_req_settled(struct emf_bus_req *req)
{
	int st;

	while ((st = emf__bus_req_state(req)) == REQ_COMPLETING)
		emf__bus_cpu_relax();
	return st;
}

/*
 * Record the outcome once. @reply is stolen. An async outcome is handed to
 * the reply executor before the request is DONE: the bus's destroy, which
 * cancels every pending request, waits for DONE before it drains the
 * executors. Returns 0, or the error the caller got when it had given up
 * (the outcome is dropped then).
 */
int emf__bus_req_complete(struct emf_bus_req *req, int err, json_t *reply, bool by_handler)
{
	struct emf_bus *bus = req->bus;
	int st = REQ_PENDING;

	if (by_handler)
		__atomic_store_n(&req->replied, true, __ATOMIC_RELEASE);
	if (!__atomic_compare_exchange_n(&req->state, &st, REQ_COMPLETING, false, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE)) {
		json_decref(reply);
		if (st == REQ_COMPLETING)
			st = emf__bus_req_settled(req);
		if (st == REQ_ABANDONED || req->err == -ETIMEDOUT)
			return -ETIMEDOUT;
		return -ECANCELED;
	}
	req->err = err;
	req->reply = reply;
	if (req->async) {
		emf__bus_exec_schedule(req->reply_exec, &req->task);
		pthread_mutex_lock(&bus->svc_lock);
		emf__bus_pending_unlink_locked(bus, req);
		pthread_mutex_unlock(&bus->svc_lock);
		__atomic_store_n(&req->state, REQ_DONE, __ATOMIC_SEQ_CST);
		return 0;
	}
	/* pairs with req_wait(): either it sees DONE or we see it waiting */
	__atomic_store_n(&req->state, REQ_DONE, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&req->waiting, __ATOMIC_SEQ_CST)) {
		pthread_mutex_lock(&req->lock);
		pthread_cond_signal(&req->cond);
		pthread_mutex_unlock(&req->lock);
	}
	return 0;
}

const char *emf_bus_req__method(const struct emf_bus_req *req)
{
	if (!req)
		return emf_err_ptr(-EINVAL);
	return req->name;
}

struct json_t *emf_bus_req__args(const struct emf_bus_req *req)
{
	return req ? req->args : NULL;
}

int emf_bus_req__reply(struct emf_bus_req *req, struct json_t *reply)
{
	int ret;

	if (!req) {
		json_decref(reply);
		return emf_err(-EINVAL);
	}
	ret = emf__bus_req_complete(req, 0, reply, true);
	emf__bus_req_put(req); /* the handler's reference */
	return emf_err(ret);
}

int emf_bus_req__fail(struct emf_bus_req *req, int err)
{
	int ret;

	if (!req)
		return emf_err(-EINVAL);
	ret = emf__bus_req_complete(req, err < 0 ? err : -EIO, NULL, true);
	emf__bus_req_put(req);
	return emf_err(ret);
}

int emf__bus_run_reply(struct emf_bus *bus, struct bus_task *t, int budget)
{
	struct emf_bus_req *req = container_of(t, struct emf_bus_req, task);
	json_t *reply;
	int err;

	(void)bus;
	(void)budget; /* one reply is one callback */
	/* written before the task was queued: the executor's lock orders them */
	err = req->err;
	reply = req->reply;
	req->reply = NULL;
	/* the callback owns the reply: the bus must not touch it afterwards */
	req->cb(req->cb_ctx, err, reply);
	emf__bus_req_put(req);
	return 1;
}
