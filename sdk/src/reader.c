// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Event reader: every ring buffer and perf buffer output of every started
 * plugin, behind the runtime's single epoll fd. All ring buffers share one
 * libbpf ring_buffer; each perf buffer output has its own perf_buffer. A
 * periodic timer drains the rings too, so BPF code that submits without
 * waking user space (emf_submit() in <emf/emf.bpf.h>) is still read within
 * EMF_DRAIN_INTERVAL_MS.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include <emf/errno.h>
#include <emf/runtime.h>

#include "log_internal.h"
#include "runtime_internal.h"

#define EMF_DRAIN_INTERVAL_MS 2
#define EMF_PERFBUF_PAGES 64

static int deliver(struct emf_output_rt *o, const void *data, size_t size)
{
	struct emf_plugin *p = o->plugin;
	struct emf_runtime *rt = p->rt;
	const struct emf_event_type *type = o->out->event;
	struct emf_event ev;
	int err;

	if (size < type->min_size) {
		p->stats.decode_errors++;
		return 0;
	}
	p->stats.events++;
	if (!rt->event_cb)
		return 0;
	ev.plugin = p;
	ev.type = type;
	ev.data = data;
	ev.size = size;
	err = rt->event_cb(rt->ctx, &ev);
	if (err < 0)
		rt->cb_err = err;
	return err < 0 ? err : 0;
}

static int on_ringbuf_sample(void *ctx, void *data, size_t size)
{
	return deliver(ctx, data, size);
}

static void on_perf_sample(void *ctx, int cpu, void *data, __u32 size)
{
	(void)cpu;
	deliver(ctx, data, size);
}

static void on_perf_lost(void *ctx, int cpu, __u64 cnt)
{
	struct emf_output_rt *o = ctx;

	(void)cpu;
	o->plugin->stats.lost += cnt;
}

static int watch(struct emf_runtime *rt, int fd, void *tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = tag };

	if (epoll_ctl(rt->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -errno;
	return 0;
}

static int setup_output(struct emf_runtime *rt, struct emf_output_rt *o)
{
	struct emf_plugin *p = o->plugin;
	struct bpf_object *obj = emf_plugin__object(p);
	struct bpf_map *map = obj ? bpf_object__find_map_by_name(obj, o->out->map_name) : NULL;
	int fd, err;

	if (!map) {
		pr_warn("reader: plugin '%s' has no map '%s' for its events\n", p->desc->name,
			o->out->map_name);
		return -ENOENT;
	}
	fd = bpf_map__fd(map);
	switch (o->out->kind) {
	case EMF_OUTPUT_RINGBUF:
		if (!rt->rb) {
			rt->rb = ring_buffer__new(fd, on_ringbuf_sample, o, NULL);
			if (!rt->rb)
				err = -errno;
			else
				err = watch(rt, ring_buffer__epoll_fd(rt->rb), &rt->rb);
		} else {
			err = ring_buffer__add(rt->rb, fd, on_ringbuf_sample, o);
		}
		break;
	case EMF_OUTPUT_PERFBUF:
		o->pb = perf_buffer__new(fd, EMF_PERFBUF_PAGES, on_perf_sample, on_perf_lost, o,
					 NULL);
		if (!o->pb)
			err = -errno;
		else
			err = watch(rt, perf_buffer__epoll_fd(o->pb), o);
		break;
	default:
		err = -EINVAL;
	}
	if (err)
		pr_warn("reader: failed to read map '%s' of plugin '%s': %s\n", o->out->map_name,
			p->desc->name, emf_strerror(err));
	return err;
}

static int setup_timer(struct emf_runtime *rt)
{
	struct itimerspec its = {
		.it_interval.tv_nsec = EMF_DRAIN_INTERVAL_MS * 1000000L,
		.it_value.tv_nsec = EMF_DRAIN_INTERVAL_MS * 1000000L,
	};
	int err;

	rt->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (rt->timerfd < 0)
		return -errno;
	if (timerfd_settime(rt->timerfd, 0, &its, NULL) < 0)
		return -errno;
	err = watch(rt, rt->timerfd, &rt->timerfd);
	return err;
}

int emf_reader__setup(struct emf_runtime *rt)
{
	size_t i, j;
	int err;

	for (i = 0; i < rt->cnt; i++) {
		struct emf_plugin *p = rt->plugins[i];

		if (!p->desc->n_outputs)
			continue;
		p->outs = calloc(p->desc->n_outputs, sizeof(*p->outs));
		if (!p->outs) {
			err = -ENOMEM;
			goto err_teardown;
		}
		for (j = 0; j < p->desc->n_outputs; j++) {
			p->outs[j].plugin = p;
			p->outs[j].out = &p->desc->outputs[j];
			err = setup_output(rt, &p->outs[j]);
			if (err)
				goto err_teardown;
		}
	}
	if (rt->rb) {
		err = setup_timer(rt);
		if (err) {
			pr_warn("reader: failed to set up the drain timer: %s\n", emf_strerror(err));
			goto err_teardown;
		}
	}
	return 0;

err_teardown:
	emf_reader__teardown(rt);
	return err;
}

void emf_reader__teardown(struct emf_runtime *rt)
{
	size_t i, j;

	for (i = 0; i < rt->cnt; i++) {
		struct emf_plugin *p = rt->plugins[i];

		if (!p->outs)
			continue;
		for (j = 0; j < p->desc->n_outputs; j++) {
			if (!p->outs[j].pb)
				continue;
			epoll_ctl(rt->epfd, EPOLL_CTL_DEL, perf_buffer__epoll_fd(p->outs[j].pb), NULL);
			perf_buffer__free(p->outs[j].pb);
		}
		free(p->outs);
		p->outs = NULL;
	}
	if (rt->rb) {
		epoll_ctl(rt->epfd, EPOLL_CTL_DEL, ring_buffer__epoll_fd(rt->rb), NULL);
		ring_buffer__free(rt->rb);
		rt->rb = NULL;
	}
	if (rt->timerfd >= 0) {
		epoll_ctl(rt->epfd, EPOLL_CTL_DEL, rt->timerfd, NULL);
		close(rt->timerfd);
		rt->timerfd = -1;
	}
}

int emf_reader__poll(struct emf_runtime *rt, int timeout_ms)
{
	struct epoll_event evs[16];
	int n, i, ret, total = 0;
	bool drain_rings = false;

	n = epoll_wait(rt->epfd, evs, 16, timeout_ms);
	if (n < 0)
		return emf_err(-errno);
	rt->cb_err = 0;
	for (i = 0; i < n; i++) {
		void *tag = evs[i].data.ptr;

		if (tag == &rt->rb) {
			drain_rings = true;
		} else if (tag == &rt->timerfd) {
			uint64_t ticks;

			if (read(rt->timerfd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
				return emf_err(-errno);
			drain_rings = true;
		} else {
			struct emf_output_rt *o = tag;
			uint64_t before = o->plugin->stats.events;

			ret = perf_buffer__consume(o->pb);
			if (ret < 0 && !rt->cb_err)
				return emf_err(ret);
			total += (int)(o->plugin->stats.events - before);
			if (rt->cb_err)
				return emf_err(rt->cb_err);
		}
	}
	if (drain_rings && rt->rb) {
		ret = ring_buffer__consume(rt->rb);
		if (rt->cb_err)
			return emf_err(rt->cb_err);
		if (ret < 0)
			return emf_err(ret);
		total += ret;
	}
	return total;
}
