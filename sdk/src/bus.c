// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * ebus: the bus object. It puts together what the other bus_*.c files make:
 * the executors (bus_exec.c), the message pool (bus_msg.c), topics
 * (bus_topic.c) and services (bus_svc.c), and takes them apart in order.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* pthread_rwlockattr_setkind_np */
#endif
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include <emf/bus.h>
#include <emf/errno.h>

#include "bus_internal.h"
#include "log_internal.h"
#include "opts_internal.h"

#define BUS_DEF_QUEUE_LEN 1024
#define BUS_DEF_SPIN_US 50
#define BUS_DEF_BLOCK_MS 1000

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
	bus->pool = emf__bus_pool_new();
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
	err = emf__bus_exec_init(&bus->host, true);
	if (err) {
		pr_warn("bus: failed to create event fd: %s\n", emf_strerror(err));
		goto err_destroy_svc_cond;
	}
	err = emf__bus_exec_init(&bus->thread, false);
	if (err)
		goto err_fini_host;
	bus->expire_calls = emf__bus_expire_calls;
	return bus;

err_fini_host:
	emf__bus_exec_fini(&bus->host);
err_destroy_svc_cond:
	pthread_cond_destroy(&bus->svc_cond);
err_destroy_start_lock:
	pthread_mutex_destroy(&bus->start_lock);
err_destroy_svc_lock:
	pthread_mutex_destroy(&bus->svc_lock);
err_destroy_sub_lock:
	pthread_rwlock_destroy(&bus->sub_lock);
err_free_pool:
	emf__bus_pool_release(bus->pool);
err_free:
	free(bus);
	return emf_err_ptr(err);
}

/*
 * Take everything apart without waiting on anything a worker could be stuck
 * behind: receivers die first (which wakes blocked publishers), calls are
 * cancelled (which wakes blocked callers), then the workers can be joined.
 */
void emf_bus__destroy(struct emf_bus *bus)
{
	if (!bus)
		return;
	if (emf__bus_in_callback(bus)) {
		pr_warn("bus: failed to destroy bus: called from one of its own callbacks\n");
		return;
	}
	emf__bus_topic_shutdown(bus);
	emf__bus_svc_shutdown(bus);
	emf__bus_stop_workers(bus);
	emf__bus_exec_drain(bus, &bus->thread);
	emf__bus_exec_drain(bus, &bus->host);
	emf__bus_topic_release(bus);
	emf__bus_svc_release(bus);

	emf__bus_exec_fini(&bus->thread);
	emf__bus_exec_fini(&bus->host);
	pthread_cond_destroy(&bus->svc_cond);
	pthread_mutex_destroy(&bus->start_lock);
	pthread_mutex_destroy(&bus->svc_lock);
	pthread_rwlock_destroy(&bus->sub_lock);
	emf__bus_pool_release(bus->pool);
	free(bus);
}
