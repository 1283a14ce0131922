// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The event loop: one epoll wait over every output (reader.c), the drain
 * timer, the kick eventfd, the host's watched fds and the bus; then the
 * sampled maps that are due, the losses to count, and the timer armed for
 * what is left. emf_runtime__poll(), __drain() and __run() are its faces.
 * When the timer runs is reader.c's header comment: busy while events pile
 * up, off while idle, one-shot for the next sampled map.
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <emf/errno.h>
#include <emf/runtime.h>

#include "log_internal.h"
#include "opts_internal.h"
#include "runtime_internal.h"

#define EMF_RUN_TICK_MS 100 /* tick_cb's promise */
#define EMF_RUN_MAX_WAIT_MS 1000 /* a look at *stop, in case a signal lands before the wait */
#define EMF_POLL_EVENTS 32
#define EMF_BURST_ARM 2 /* events in one idle poll that start the drain timer */
#define EMF_BURST_STAY 4 /* events per drain that keep it running */
#define EMF_TIMER_PERIODIC UINT64_MAX
#define EMF_LOST_SYNC_MS 1000
/*
 * How long the loop waits awake for the next request on a watched fd (the
 * control socket's clients) once requests come that close together: a stream
 * of calls then costs no wake-up per call. A lone request costs no polling.
 */
#define EMF_WATCH_SPIN_NS 50000ULL

/* Make the epoll fd readable again while an output has events left over its budget. */
static void kick_if_pending(struct emf_runtime *rt)
{
	uint64_t one = 1;

	if (!rt->kick || rt->kickfd < 0)
		return;
	rt->kick = false;
	if (write(rt->kickfd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		pr_warn("reader: failed to signal pending events: %s\n", emf_strerror(-errno));
}

static void sync_all(struct emf_runtime *rt)
{
	size_t i;

	for (i = 0; i < rt->cnt; i++)
		emf__reader_sync_lost(rt->plugins[i]);
}

static void set_timer(struct emf_runtime *rt, uint64_t want)
{
	unsigned int ms = rt->drain_ms ?: EMF_DRAIN_MS_DEFAULT;
	struct itimerspec its = {};
	int flags = 0;

	if (want == rt->timer_armed)
		return;
	if (want == EMF_TIMER_PERIODIC) {
		its.it_interval.tv_sec = ms / 1000;
		its.it_interval.tv_nsec = (ms % 1000) * 1000000L;
		its.it_value = its.it_interval;
	} else if (want) {
		its.it_value.tv_sec = want / 1000;
		its.it_value.tv_nsec = (want % 1000) * 1000000L;
		flags = TFD_TIMER_ABSTIME;
	}
	if (timerfd_settime(rt->timerfd, flags, &its, NULL) < 0) {
		/* timer_armed stays as it was: the next poll tries again. */
		pr_warn("reader: failed to set the drain timer: %s\n", emf_strerror(-errno));
		return;
	}
	rt->timer_armed = want;
}

/* When the next sampled map or iterator is due, 0 for none. */
static uint64_t next_due_ms(const struct emf_runtime *rt)
{
	uint64_t s = emf__samples_next_ms(rt), i = emf__iters_next_ms(rt);

	return !s || (i && i < s) ? i : s;
}

/*
 * After a poll: go busy when events pile up, idle when a drain finds few;
 * count losses each EMF_LOST_SYNC_MS while busy and when going idle; arm the
 * timer for what is left to do.
 */
static void update_timer(struct emf_runtime *rt, bool drained)
{
	uint64_t now = emf__reader_now_ns();

	if (rt->timerfd < 0)
		return;
	if (!rt->busy && (rt->burst >= EMF_BURST_ARM || rt->kick)) {
		rt->busy = true;
		rt->burst = 0;
	} else if (rt->busy && drained) {
		if (rt->burst < EMF_BURST_STAY && !rt->kick) {
			rt->busy = false;
			rt->next_sync_ns = 0;
		}
		rt->burst = 0;
	}
	if (drained && now >= rt->next_sync_ns) {
		sync_all(rt);
		rt->next_sync_ns = now + EMF_LOST_SYNC_MS * 1000000ULL;
	}
	set_timer(rt, rt->busy || rt->n_perf ? EMF_TIMER_PERIODIC : next_due_ms(rt));
}

/* Read every output (or only those left pending); stop on the first error. */
static int consume_all(struct emf_runtime *rt, bool pending_only)
{
	size_t i;
	uint32_t j;
	int err;

	for (i = 0; i < rt->cnt; i++) {
		struct emf_plugin *p = rt->plugins[i];

		if (!p->outs)
			continue;
		for (j = 0; j < p->desc->n_outputs; j++) {
			if (pending_only && !p->outs[j].pending)
				continue;
			err = emf__reader_consume(rt, &p->outs[j]);
			if (err)
				return err;
		}
	}
	return 0;
}

/* epoll_wait(), first awake while requests on watched fds flow. */
static int loop_wait(struct emf_runtime *rt, struct epoll_event *evs, int timeout_ms)
{
	int n;

	while (timeout_ms && rt->watch_spin_until_ns &&
	       emf__reader_now_ns() < rt->watch_spin_until_ns) {
		n = epoll_wait(rt->epfd, evs, EMF_POLL_EVENTS, 0);
		if (n)
			return n;
		sched_yield(); /* a client on this CPU runs first */
	}
	rt->watch_spin_until_ns = 0;
	return epoll_wait(rt->epfd, evs, EMF_POLL_EVENTS, timeout_ms);
}

/* Watched fds had work: wait awake for more if it came close after the last. */
static void watch_flow(struct emf_runtime *rt)
{
	uint64_t now = emf__reader_now_ns();
	bool flowing = rt->watch_last_ns && now - rt->watch_last_ns <= EMF_WATCH_SPIN_NS;

	rt->watch_spin_until_ns = flowing ? now + EMF_WATCH_SPIN_NS : 0;
	rt->watch_last_ns = now;
}

int emf__loop_poll(struct emf_runtime *rt, int timeout_ms)
{
	struct epoll_event evs[EMF_POLL_EVENTS];
	uint64_t before = rt->delivered, val;
	bool drain = false, kicked = false, bus = false, watched = false;
	int n, i, err = 0;

	n = loop_wait(rt, evs, timeout_ms);
	if (n < 0)
		return emf_err(-errno);
	rt->cb_err = 0;
	rt->kick = false;
	if (!rt->busy)
		rt->burst = 0;
	emf__reader_stamp_clocks(rt);
	rt->batching = true;
	for (i = 0; i < n && !err; i++) {
		void *tag = evs[i].data.ptr;

		if (tag == &rt->timerfd) {
			if (read(rt->timerfd, &val, sizeof(val)) < 0 && errno != EAGAIN)
				pr_warn("reader: failed to read the drain timer: %s\n",
					emf_strerror(-errno));
			/* A one-shot that fired is armed no more, whatever this poll does next. */
			if (rt->timer_armed != EMF_TIMER_PERIODIC)
				rt->timer_armed = 0;
			drain = true;
		} else if (tag == &rt->bus) {
			bus = true;
		} else if (emf__watch_of(rt, tag)) {
			watched = true;
		} else if (tag == &rt->kickfd) {
			if (read(rt->kickfd, &val, sizeof(val)) < 0 && errno != EAGAIN)
				pr_warn("reader: failed to read the pending-events eventfd: %s\n",
					emf_strerror(-errno));
			kicked = true;
		} else if (!rt->busy || emf__reader_wakeup_due(tag)) {
			err = emf__reader_consume(rt, tag);
		}
	}
	if (!err && (drain || kicked))
		err = consume_all(rt, !drain);
	rt->batching = false;
	/* Before anything below can stop a plugin these events belong to. */
	if (rt->order.n) {
		int ferr = emf__order_flush(&rt->order, rt->event_cb, rt->ctx);

		err = err ?: ferr;
	}
	if (!err && drain)
		err = emf__samples_poll(rt);
	if (!err && drain)
		err = emf__iters_poll(rt);
	/*
	 * A poll stopped by an error may leave events in a ring whose
	 * edge-triggered wake-up it has taken: keep draining them on the timer.
	 */
	if (err)
		rt->busy = true;
	update_timer(rt, drain && !err);
	/*
	 * Host fds and the bus's host-loop deliveries (messages, calls,
	 * signals) last: their callbacks may stop plugins whose outputs evs[]
	 * still names, and they see this poll's events already published.
	 */
	for (i = 0; i < n && watched; i++) {
		struct emf_watch *w = emf__watch_of(rt, evs[i].data.ptr);

		if (w)
			emf__watch_run(w);
	}
	if ((bus || watched) && rt->tee.dispatch)
		rt->tee.dispatch(rt->tee.ctx);
	if (watched)
		watch_flow(rt);
	kick_if_pending(rt);
	if (err)
		return emf_err(err);
	return (int)(rt->delivered - before);
}

int emf_runtime__drain(struct emf_runtime *rt)
{
	uint64_t before;
	size_t i;
	uint32_t j;
	int round, err = 0;

	if (!rt || !rt->running)
		return emf_err(-EMF_ERRNO__STATE);
	before = rt->delivered;
	rt->cb_err = 0;
	rt->kick = false;
	emf__reader_stamp_clocks(rt);
	rt->batching = true;
	for (i = 0; i < rt->cnt && !err; i++) {
		struct emf_plugin *p = rt->plugins[i];

		if (!p->outs)
			continue;
		for (j = 0; j < p->desc->n_outputs && !err; j++) {
			for (round = 0; round < EMF_DRAIN_ROUNDS; round++) {
				err = emf__reader_consume(rt, &p->outs[j]);
				if (err || !p->outs[j].pending)
					break;
			}
		}
	}
	rt->batching = false;
	if (rt->order.n) {
		int ferr = emf__order_flush(&rt->order, rt->event_cb, rt->ctx);

		err = err ?: ferr;
	}
	sync_all(rt);
	kick_if_pending(rt);
	if (err) {
		/* What the error left in the rings is drained on the timer. */
		rt->busy = true;
		update_timer(rt, false);
		return emf_err(err);
	}
	return (int)(rt->delivered - before);
}

int emf_runtime__run(struct emf_runtime *rt, const struct emf_run_opts *opts)
{
	const volatile sig_atomic_t *stop;
	unsigned int duration_ms;
	int (*tick_cb)(void *);
	void *tick_ctx;
	uint64_t deadline = 0;
	int err;

	if (!OPTS_VALID(opts, emf_run_opts))
		return emf_err(-EINVAL);
	if (!rt || !rt->running)
		return emf_err(-EMF_ERRNO__STATE);
	stop = OPTS_GET(opts, stop, NULL);
	duration_ms = OPTS_GET(opts, duration_ms, 0);
	tick_cb = OPTS_GET(opts, tick_cb, NULL);
	tick_ctx = OPTS_GET(opts, tick_ctx, NULL);
	if (duration_ms)
		deadline = emf__reader_now_ns() + duration_ms * 1000000ULL;

	for (;;) {
		int timeout = tick_cb ? EMF_RUN_TICK_MS : EMF_RUN_MAX_WAIT_MS;

		/* Atomic: another thread may set it, not only a signal handler. */
		if (stop && __atomic_load_n(stop, __ATOMIC_ACQUIRE))
			break;
		if (deadline) {
			uint64_t now = emf__reader_now_ns();

			if (now >= deadline)
				break;
			if ((deadline - now) / 1000000 < (uint64_t)timeout)
				timeout = (int)((deadline - now + 999999) / 1000000);
		}
		err = emf__loop_poll(rt, timeout);
		if (err < 0 && err != -EINTR)
			return err;
		if (tick_cb) {
			err = tick_cb(tick_ctx);
			if (err < 0)
				return emf_err(err);
			if (err > 0)
				break;
		}
	}
	/* What was sent before the stop is still delivered. */
	err = emf_runtime__drain(rt);
	if (err < 0)
		return err;
	if (tick_cb) {
		err = tick_cb(tick_ctx);
		if (err < 0)
			return emf_err(err);
	}
	return 0;
}

void emf__loop_rearm(struct emf_runtime *rt)
{
	update_timer(rt, false);
}
