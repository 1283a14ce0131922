// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * ebus: where callbacks run. The host loop (emf_bus__dispatch(), woken through
 * the bus fd) and the worker threads take tasks off their executor's ready
 * list and run them; what a task is (a subscription's queue, a service's
 * requests, a reply) is known only to the file that schedules it. Also the
 * small helpers every bus_*.c file uses.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* pthread_setname_np */
#endif
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>

#include <emf/bus.h>
#include <emf/errno.h>

#include "bus_internal.h"
#include "log_internal.h"

#define BUS_BUDGET (16 * BUS_BATCH) /* callbacks a worker runs for one receiver in a row */

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

/*
 * What the current thread is doing for which bus, to refuse waits that only
 * this thread could end (see EMF_BUS_POLICY_BLOCK, emf_bus__call()).
 */
struct bus_tls {
	struct emf_bus *dispatching;
	struct emf_bus *worker_of;
	bool flowing; /* a worker whose last task came within the spin time of the one before */
};
static __thread struct bus_tls bus_tls;

bool emf__bus_worker_flowing(void)
{
	return bus_tls.flowing;
}

bool emf__bus_is_host_thread(struct emf_bus *bus)
{
	pthread_t host = __atomic_load_n(&bus->host_tid, __ATOMIC_RELAXED);

	return bus_tls.dispatching == bus || (host && pthread_equal(host, pthread_self()));
}

bool emf__bus_is_worker(struct emf_bus *bus)
{
	return bus_tls.worker_of == bus;
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

/* --- executors ------------------------------------------------------- */

int emf__bus_exec_init(struct bus_exec *ex, bool host)
{
	int err;

	memset(ex, 0, sizeof(*ex));
	ex->host = host;
	ex->tail = &ex->head;
	ex->efd = -1;
	ex->sleep_until = UINT64_MAX;
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

void emf__bus_exec_fini(struct bus_exec *ex)
{
	if (ex->efd >= 0)
		close(ex->efd);
	pthread_cond_destroy(&ex->cond);
	pthread_mutex_destroy(&ex->lock);
	free(ex->threads);
}

/*
 * Queue a task. For the host loop, the eventfd write (a syscall) happens after
 * the lock is dropped, so dispatch never waits behind it; "armed" makes it
 * one write per dispatch round. emf_bus__dispatch() clears the fd the same
 * way; the races between the two cost at most a spurious wake-up, never a
 * lost one.
 */
void emf__bus_exec_schedule(struct bus_exec *ex, struct bus_task *t)
{
	bool wake_fd = false, wake_worker = false;
	uint64_t one = 1;

	pthread_mutex_lock(&ex->lock);
	t->next = NULL;
	*ex->tail = t;
	ex->tail = &t->next;
	__atomic_store_n(&ex->n_ready, ex->n_ready + 1, __ATOMIC_RELEASE);
	if (ex->host) {
		wake_fd = !ex->armed;
		ex->armed = true;
	} else {
		wake_worker = ex->n_sleepers;
	}
	pthread_mutex_unlock(&ex->lock);
	/*
	 * Signalled after the unlock: a worker woken while we still held the
	 * lock would only go back to sleep on it. It cannot miss the signal:
	 * it counted itself a sleeper and looked at the queue under the lock.
	 */
	if (wake_worker)
		pthread_cond_signal(&ex->cond);
	if (wake_fd && write(ex->efd, &one, sizeof(one)) != sizeof(one))
		pr_warn("bus: failed to wake the host loop: %s\n", emf_strerror(-errno));
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

/*
 * A worker awake sees the flag before it sleeps again; a sleeping one is woken
 * only when it would wake after @deadline. Calls with the same timeout come
 * with ever later deadlines, so a stream of them wakes no worker at all: the
 * one sleeping until the first deadline looks again then.
 */
void emf__bus_exec_kick(struct bus_exec *ex, uint64_t deadline)
{
	pthread_mutex_lock(&ex->lock);
	ex->kick = true;
	if (ex->n_sleepers && deadline < ex->sleep_until)
		pthread_cond_broadcast(&ex->cond);
	pthread_mutex_unlock(&ex->lock);
}

/* Look for work every BUS_POLL_NS for up to spin_ns; true when there is some. */
static bool exec_spin(struct emf_bus *bus, struct bus_exec *ex)
{
	uint64_t now, end, next;

	if (!bus->spin_ns)
		return false;
	now = emf__bus_now_ns();
	end = now + bus->spin_ns;
	while (now < end) {
		next = now + BUS_POLL_NS;
		while ((now = emf__bus_now_ns()) < next)
			emf__bus_cpu_relax();
		if (__atomic_load_n(&ex->n_ready, __ATOMIC_ACQUIRE) ||
		    __atomic_load_n(&ex->stop, __ATOMIC_RELAXED))
			return true;
	}
	return false;
}

static void *worker_main(void *arg)
{
	struct emf_bus *bus = arg;
	struct bus_exec *ex = &bus->thread;
	struct bus_task *t;
	uint64_t next, now, last = 0;
	struct timespec ts;

	bus_tls.worker_of = bus;
	pthread_mutex_lock(&ex->lock);
	while (!ex->stop) {
		t = exec_pop(ex);
		if (t) {
			pthread_mutex_unlock(&ex->lock);
			/*
			 * Spin for more only while work flows: after a lone
			 * message the worker sleeps at once, which on a VM
			 * also keeps the next wake-up as quick as a plain one.
			 */
			now = emf__bus_now_ns();
			bus_tls.flowing = last && now - last <= bus->spin_ns;
			last = now;
			t->run(bus, t, BUS_BUDGET);
			pthread_mutex_lock(&ex->lock);
			continue;
		}
		ex->kick = false;
		pthread_mutex_unlock(&ex->lock);
		next = bus->expire_calls(bus);
		if (bus_tls.flowing)
			exec_spin(bus, ex);
		pthread_mutex_lock(&ex->lock);
		if (ex->head || ex->stop || ex->kick)
			continue;
		if (!ex->n_sleepers++ || next < ex->sleep_until)
			ex->sleep_until = next;
		if (next == UINT64_MAX) {
			pthread_cond_wait(&ex->cond, &ex->lock);
		} else {
			emf__bus_deadline(&ts, next);
			pthread_cond_timedwait(&ex->cond, &ex->lock, &ts);
		}
		/* Whether the earliest sleeper is still asleep is not known: kick again. */
		ex->n_sleepers--;
		ex->sleep_until = UINT64_MAX;
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
		if (ex->n_threads) {
			err = 0;
		} else {
			free(ex->threads);
			ex->threads = NULL;
		}
	}
	if (!err)
		__atomic_store_n(&bus->workers_started, true, __ATOMIC_RELEASE);
out:
	pthread_mutex_unlock(&bus->start_lock);
	return err;
}

void emf__bus_stop_workers(struct emf_bus *bus)
{
	struct bus_exec *ex = &bus->thread;
	unsigned int i;

	pthread_mutex_lock(&ex->lock);
	__atomic_store_n(&ex->stop, true, __ATOMIC_RELAXED);
	pthread_cond_broadcast(&ex->cond);
	pthread_mutex_unlock(&ex->lock);
	for (i = 0; i < ex->n_threads; i++)
		pthread_join(ex->threads[i], NULL);
	ex->n_threads = 0;
}

int emf_bus__fd(const struct emf_bus *bus)
{
	if (!bus)
		return emf_err(-EINVAL);
	return bus->host.efd;
}

int emf_bus__dispatch(struct emf_bus *bus, int max)
{
	uint64_t cnt, one = 1;
	bool empty, rearm;
	struct bus_exec *ex;
	struct emf_bus *saved;
	struct bus_task *t;
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
		done += t->run(bus, t, max - done);
	}
	/*
	 * Nothing left: disarm, then clear the fd outside the lock (the executor
	 * lock is what publishers take). A publisher that came in between may
	 * have had its write eaten by our read: then write again.
	 */
	pthread_mutex_lock(&ex->lock);
	empty = !ex->head;
	if (empty)
		ex->armed = false;
	pthread_mutex_unlock(&ex->lock);
	if (empty) {
		if (read(ex->efd, &cnt, sizeof(cnt)) < 0 && errno != EAGAIN)
			pr_warn("bus: failed to read the event fd: %s\n", emf_strerror(-errno));
		pthread_mutex_lock(&ex->lock);
		rearm = ex->head && ex->armed;
		pthread_mutex_unlock(&ex->lock);
		if (rearm && write(ex->efd, &one, sizeof(one)) != sizeof(one))
			pr_warn("bus: failed to wake the host loop: %s\n", emf_strerror(-errno));
	}
	bus_tls.dispatching = saved;
	return done;
}

void emf__bus_exec_drain(struct emf_bus *bus, struct bus_exec *ex)
{
	struct bus_task *t;

	for (;;) {
		pthread_mutex_lock(&ex->lock);
		t = exec_pop(ex);
		pthread_mutex_unlock(&ex->lock);
		if (!t)
			break;
		t->run(bus, t, INT_MAX);
	}
}

bool emf__bus_in_callback(struct emf_bus *bus)
{
	return bus_tls.worker_of == bus || bus_tls.dispatching == bus;
}
