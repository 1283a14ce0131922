// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The runtime: the set of plugins a host runs, their order, their bus, and the
 * poll loop the host drives. The phases a plugin goes through are lifecycle.c's.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include <emf/bus.h>
#include <emf/errno.h>
#include <emf/runtime.h>
#include <emf/slots.h>

#include "kernel.h"
#include "log_internal.h"
#include "opts_internal.h"
#include "runtime_internal.h"

struct emf_runtime *emf_runtime__new(const struct emf_runtime_opts *opts)
{
	struct emf_runtime *rt;

	emf__log_init();
	if (!OPTS_VALID(opts, emf_runtime_opts))
		return emf_err_ptr(-EINVAL);
	rt = calloc(1, sizeof(*rt));
	if (!rt)
		return emf_err_ptr(-ENOMEM);
	rt->event_cb = OPTS_GET(opts, event_cb, NULL);
	rt->ctx = OPTS_GET(opts, ctx, NULL);
	rt->kernel = &emf__kernel_libbpf;
	rt->drain_ms = OPTS_GET(opts, drain_ms, 0);
	rt->keep_going = OPTS_GET(opts, keep_going, false);
	rt->jobs = OPTS_GET(opts, jobs, 0);
	rt->sample_cb = OPTS_GET(opts, sample_cb, NULL);
	rt->lost_cb = OPTS_GET(opts, lost_cb, NULL);
	rt->idle_fails = OPTS_GET(opts, idle_fails, false);
	rt->ordered = OPTS_GET(opts, ordered, false);
	rt->exclude_host = OPTS_GET(opts, exclude_host, false);
	if (rt->drain_ms > 1000) {
		pr_warn("runtime: invalid drain_ms %u: give 1 to 1000 ms, or 0 for the default\n",
			rt->drain_ms);
		free(rt);
		return emf_err_ptr(-EINVAL);
	}
	rt->timerfd = -1;
	rt->kickfd = -1;
	rt->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (rt->epfd < 0) {
		int err = -errno;

		pr_warn("runtime: failed to create epoll fd: %s\n", emf_strerror(err));
		free(rt);
		return emf_err_ptr(err);
	}
	if (OPTS_GET(opts, pin, NULL)) {
		int err = emf_runtime__set_pin_opts(rt, OPTS_GET(opts, pin, NULL));

		if (err) {
			emf_runtime__destroy(rt);
			return emf_err_ptr(err);
		}
	}
	return rt;
}

/* Free a plugin that holds nothing in the kernel; close its shared object last. */
static void plugin_free(struct emf_plugin *p)
{
	void *handle = p->dl_handle;
	int fd = p->dl_fd;

	emf__options_free(p);
	emf__map_sizes_free(p);
	emf__attach_targets_free(p);
	emf__filters_free(p);
	emf__reader_plugin_free(p);
	free(p->dl_path);
	free(p->log_buf);
	emf__log_capture_free(&p->libbpf_log);
	free(p->last_error);
	free(p);
	/* The copy's fd number names it for glibc: free it after the object. */
	if (handle) {
		dlclose(handle);
		close(fd);
	}
}

void emf_runtime__destroy(struct emf_runtime *rt)
{
	size_t i;

	if (!rt)
		return;
	emf_runtime__stop(rt);
	emf__watch_free_all(rt);
	/* Before the plugins: bus callbacks may belong to their code. */
	emf_bus__destroy(rt->bus);
	for (i = rt->cnt; i-- > 0;)
		plugin_free(rt->plugins[i]);
	free(rt->plugins);
	emf_buf__free(&rt->json);
	emf__order_free(&rt->order);
	if (rt->epfd >= 0)
		close(rt->epfd);
	free(rt);
}

/* Static plugins before dynamic ones, then priority, then name. */
static int plugin_cmp(const struct emf_plugin *a, const struct emf_plugin *b)
{
	if (!a->dl_handle != !b->dl_handle)
		return a->dl_handle ? 1 : -1;
	if (a->priority != b->priority)
		return a->priority < b->priority ? -1 : 1;
	return strcmp(a->desc->name, b->desc->name);
}

/* Insertion sort: few plugins, and it keeps the order stable and deterministic. */
void emf__runtime_sort(struct emf_runtime *rt)
{
	size_t i, j;

	for (i = 1; i < rt->cnt; i++) {
		struct emf_plugin *p = rt->plugins[i];

		for (j = i; j > 0 && plugin_cmp(rt->plugins[j - 1], p) > 0; j--)
			rt->plugins[j] = rt->plugins[j - 1];
		rt->plugins[j] = p;
	}
}

struct emf_plugin *emf_runtime__find(const struct emf_runtime *rt, const char *name)
{
	size_t i;

	if (!rt || !name)
		return emf_err_ptr(-EINVAL);
	for (i = 0; i < rt->cnt; i++)
		if (!strcmp(rt->plugins[i]->desc->name, name))
			return rt->plugins[i];
	return emf_err_ptr(-ENOENT);
}

struct emf_plugin *emf_runtime__add(struct emf_runtime *rt, const struct emf_plugin_desc *desc)
{
	struct emf_plugin *p;
	int err;

	if (!rt || !desc)
		return emf_err_ptr(-EINVAL);
	err = emf_plugin_desc__check(desc, desc->source);
	if (err)
		return emf_err_ptr(err);
	if (emf_runtime__find(rt, desc->name)) {
		pr_warn("runtime: refusing plugin '%s' from %s: a plugin of that name is already present\n",
			desc->name, desc->source ?: "the program");
		return emf_err_ptr(-EMF_ERRNO__DUP);
	}
	if (rt->cnt == rt->cap) {
		size_t cap = rt->cap ? rt->cap * 2 : 8;
		struct emf_plugin **v = realloc(rt->plugins, cap * sizeof(*v));

		if (!v)
			return emf_err_ptr(-ENOMEM);
		rt->plugins = v;
		rt->cap = cap;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return emf_err_ptr(-ENOMEM);
	p->rt = rt;
	p->desc = desc;
	p->priority = desc->priority;
	p->state = EMF_PLUGIN_NEW;
	rt->plugins[rt->cnt++] = p;
	emf__runtime_sort(rt);
	return p;
}

int emf_runtime__add_static(struct emf_runtime *rt)
{
	const struct emf_plugin_desc *const *descs;
	size_t n, i;
	int err;

	descs = emf_static_plugins(&n);
	/* Check everything first so that a refusal adds nothing. */
	for (i = 0; i < n; i++) {
		size_t j;

		err = emf_plugin_desc__check(descs[i], descs[i] ? descs[i]->source : NULL);
		if (err)
			return err;
		for (j = 0; j < i; j++) {
			if (strcmp(descs[i]->name, descs[j]->name))
				continue;
			pr_warn("runtime: refusing static plugin '%s': linked in twice (%s and %s)\n",
				descs[i]->name, descs[j]->source ?: "?", descs[i]->source ?: "?");
			return emf_err(-EMF_ERRNO__DUP);
		}
		if (rt->cnt && emf_runtime__find(rt, descs[i]->name)) {
			pr_warn("runtime: refusing static plugin '%s': a plugin of that name is already present\n",
				descs[i]->name);
			return emf_err(-EMF_ERRNO__DUP);
		}
	}
	for (i = 0; i < n; i++) {
		if (!emf_runtime__add(rt, descs[i])) {
			err = -errno;
			while (i--)
				emf_runtime__remove(rt, emf_runtime__find(rt, descs[i]->name));
			return emf_err(err);
		}
	}
	return (int)n;
}

int emf_runtime__remove(struct emf_runtime *rt, struct emf_plugin *plugin)
{
	size_t i;

	if (!rt || !plugin)
		return emf_err(-EINVAL);
	if (plugin->state != EMF_PLUGIN_NEW && plugin->state != EMF_PLUGIN_FAILED) {
		pr_warn("runtime: cannot remove plugin '%s' while it is %s; stop it first\n",
			plugin->desc->name, emf_plugin_state_str(plugin->state));
		return emf_err(-EMF_ERRNO__STATE);
	}
	for (i = 0; i < rt->cnt; i++) {
		if (rt->plugins[i] != plugin)
			continue;
		memmove(&rt->plugins[i], &rt->plugins[i + 1], (rt->cnt - i - 1) * sizeof(plugin));
		rt->cnt--;
		plugin_free(plugin);
		return 0;
	}
	return emf_err(-ENOENT);
}

size_t emf_runtime__plugin_cnt(const struct emf_runtime *rt)
{
	return rt ? rt->cnt : 0;
}

struct emf_plugin *emf_runtime__plugin(const struct emf_runtime *rt, size_t idx)
{
	return rt && idx < rt->cnt ? rt->plugins[idx] : NULL;
}

const char *emf_runtime__last_error(const struct emf_runtime *rt)
{
	return rt ? rt->errmsg : "";
}

/* Bus signals go to the signal hook of every running plugin, in lifecycle order. */
static void forward_signal(void *ctx, int signo, const char *name)
{
	struct emf_runtime *rt = ctx;
	size_t i;

	for (i = 0; i < rt->cnt; i++) {
		struct emf_plugin *p = rt->plugins[i];
		const struct emf_plugin_hooks *h = p->desc->hooks;

		if (p->state == EMF_PLUGIN_ATTACHED && h && h->signal)
			h->signal(p, signo, name);
	}
}

int emf_plugin__signal(struct emf_plugin *plugin, int signo, const char *name)
{
	const struct emf_plugin_hooks *h;

	if (!plugin)
		return emf_err(-EINVAL);
	h = plugin->desc->hooks;
	if (plugin->state != EMF_PLUGIN_ATTACHED)
		return emf_err(-EMF_ERRNO__STATE);
	if (!h || !h->signal)
		return emf_err(-EOPNOTSUPP);
	h->signal(plugin, signo, name);
	return 0;
}

const char *emf__runtime_event_json(const struct emf_runtime *rt, const void *data, size_t *len)
{
	if (!data || data != rt->json_data || !rt->json.len)
		return NULL;
	*len = rt->json.len;
	return rt->json.data;
}

void emf__runtime_event_json_keep(struct emf_runtime *rt, const void *data, const char *json,
				  size_t len)
{
	if (!data || data != rt->json_data || rt->json.len)
		return;
	if (emf_buf__append(&rt->json, json, len))
		rt->json.len = 0;
}

static void tee_event(void *bus, const char *topic, const struct emf_event_type *type,
		      const void *data, size_t size)
{
	emf_bus__publish(bus, topic, type, data, size);
}

static void tee_dispatch(void *bus)
{
	emf_bus__dispatch(bus, 0);
}

struct emf_bus *emf_runtime__bus(struct emf_runtime *rt)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &rt->bus };
	struct emf_bus *bus;
	int err;

	if (!rt)
		return emf_err_ptr(-EINVAL);
	if (rt->bus)
		return rt->bus;
	bus = emf_bus__new(NULL);
	if (!bus)
		return NULL;
	if (epoll_ctl(rt->epfd, EPOLL_CTL_ADD, emf_bus__fd(bus), &ev) < 0) {
		err = -errno;
		goto err_destroy;
	}
	rt->sig_sub = emf_bus__on_signal(bus, forward_signal, rt, NULL);
	if (!rt->sig_sub) {
		err = -errno;
		goto err_destroy;
	}
	rt->bus = bus;
	rt->tee.event = tee_event;
	rt->tee.dispatch = tee_dispatch;
	rt->tee.ctx = bus;
	return bus;

err_destroy:
	pr_warn("runtime: failed to set up the message bus: %s\n", emf_strerror(err));
	emf_bus__destroy(bus);
	return emf_err_ptr(err);
}

int emf_runtime__epoll_fd(const struct emf_runtime *rt)
{
	return rt ? rt->epfd : emf_err(-EINVAL);
}

int emf_runtime__poll(struct emf_runtime *rt, int timeout_ms)
{
	if (!rt)
		return emf_err(-EINVAL);
	if (!rt->running)
		return emf_err(-EMF_ERRNO__STATE);
	return emf__loop_poll(rt, timeout_ms);
}

int emf_plugin__set_priority(struct emf_plugin *plugin, int priority)
{
	if (!plugin)
		return emf_err(-EINVAL);
	if (plugin->rt->running)
		return emf_err(-EMF_ERRNO__STATE);
	plugin->priority = priority;
	emf__runtime_sort(plugin->rt);
	return 0;
}
