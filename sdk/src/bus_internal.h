/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Private parts of the ebus shared by bus.c (bus, executors, messages, topics,
 * signals) and bus_svc.c (services and calls).
 *
 * Lock order, outermost first; no bus lock is held while a callback runs:
 *   bus->sub_lock -> sub->lock -> exec->lock
 *   req->lock -> exec->lock, req->lock -> bus->svc_lock
 *   bus->svc_lock -> exec->lock
 */
#ifndef __EMF_BUS_INTERNAL_H
#define __EMF_BUS_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <emf/bus.h>

#define EMF_HIDDEN __attribute__((visibility("hidden")))

#ifndef container_of
#define container_of(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))
#endif

/* Unit of work of an executor: a receiver with queued messages or requests, or a reply. */
enum bus_task_kind {
	BUS_TASK_SUB,
	BUS_TASK_SVC,
	BUS_TASK_REPLY,
};

struct bus_task {
	struct bus_task *next;
	enum bus_task_kind kind;
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

	struct bus_msg_pool *pool;
	struct bus_exec host;
	struct bus_exec thread;
	pthread_mutex_t start_lock; /* starting worker threads */
	bool workers_started;
	/* the last thread to dispatch; 0 before any (pthread_t is an integer on Linux) */
	pthread_t host_tid;
	bool destroying; /* atomic */

	/* services, calls and the state the deadlock check walks, all under svc_lock */
	pthread_mutex_t svc_lock;
	pthread_cond_t svc_cond; /* a service stopped being busy */
	struct emf_bus_svc *svcs;
	struct bus_waiter *waiters; /* threads sleeping in emf_bus__call() */
	struct emf_bus_req *pending; /* async calls not completed yet, by deadline */

	unsigned int queue_len;
	unsigned int n_workers;
	uint64_t spin_ns;
	int block_timeout_ms;
};

/* bus.c */
EMF_HIDDEN uint64_t emf__bus_now_ns(void);
EMF_HIDDEN void emf__bus_deadline(struct timespec *ts, uint64_t ns);
EMF_HIDDEN int emf__bus_cond_init(pthread_cond_t *cond);
EMF_HIDDEN void emf__bus_exec_schedule(struct bus_exec *ex, struct bus_task *t);
EMF_HIDDEN void emf__bus_exec_kick(struct bus_exec *ex);
EMF_HIDDEN int emf__bus_start_workers(struct emf_bus *bus);
EMF_HIDDEN bool emf__bus_is_host_thread(struct emf_bus *bus);
EMF_HIDDEN int emf__bus_check_name(const char *name, size_t max_len);

/* bus_svc.c */
EMF_HIDDEN int emf__bus_run_svc(struct emf_bus *bus, struct bus_task *t, int budget);
EMF_HIDDEN int emf__bus_run_reply(struct emf_bus *bus, struct bus_task *t);
EMF_HIDDEN uint64_t emf__bus_expire_calls(struct emf_bus *bus);
EMF_HIDDEN void emf__bus_svc_shutdown(struct emf_bus *bus);
EMF_HIDDEN void emf__bus_svc_release(struct emf_bus *bus);

#endif /* __EMF_BUS_INTERNAL_H */
