// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Lifecycle of a runtime's plugins: every phase (open, load, attach) runs over
 * all plugins in priority order before the next phase starts, so no program is
 * attached until every plugin is loaded. Teardown runs in exact reverse, and a
 * failure anywhere unwinds what was done.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include <emf/errno.h>
#include <emf/runtime.h>

#include "log_internal.h"
#include "opts_internal.h"
#include "runtime_internal.h"

#define emf_runtime_opts__last_field drain_ms

#define EMF_VERIFIER_LOG_SIZE (1U << 20)
#define EMF_VERIFIER_TAIL_LINES 12

struct emf_runtime *emf_runtime__new(const struct emf_runtime_opts *opts)
{
	struct emf_runtime *rt;

	if (!OPTS_VALID(opts, emf_runtime_opts))
		return emf_err_ptr(-EINVAL);
	rt = calloc(1, sizeof(*rt));
	if (!rt)
		return emf_err_ptr(-ENOMEM);
	rt->event_cb = OPTS_GET(opts, event_cb, NULL);
	rt->ctx = OPTS_GET(opts, ctx, NULL);
	rt->drain_ms = OPTS_GET(opts, drain_ms, 0);
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
	return rt;
}

void emf_runtime__destroy(struct emf_runtime *rt)
{
	size_t i;

	if (!rt)
		return;
	emf_runtime__stop(rt);
	for (i = 0; i < rt->cnt; i++) {
		emf_options__free(rt->plugins[i]);
		emf_reader__plugin_free(rt->plugins[i]);
		free(rt->plugins[i]);
	}
	free(rt->plugins);
	free(rt->log_buf);
	if (rt->epfd >= 0)
		close(rt->epfd);
	free(rt);
}

static int plugin_cmp(const struct emf_plugin *a, const struct emf_plugin *b)
{
	if (a->priority != b->priority)
		return a->priority < b->priority ? -1 : 1;
	return strcmp(a->desc->name, b->desc->name);
}

/* Insertion sort: few plugins, and it keeps the order stable and deterministic. */
static void sort_plugins(struct emf_runtime *rt)
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
	if (rt->running) {
		pr_warn("runtime: cannot add plugin '%s' to a running runtime\n", desc->name);
		return emf_err_ptr(-EMF_ERRNO__STATE);
	}
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
	sort_plugins(rt);
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
	if (rt->running || plugin->state != EMF_PLUGIN_NEW) {
		if (plugin->state != EMF_PLUGIN_FAILED || rt->running)
			return emf_err(-EMF_ERRNO__STATE);
	}
	for (i = 0; i < rt->cnt; i++) {
		if (rt->plugins[i] != plugin)
			continue;
		memmove(&rt->plugins[i], &rt->plugins[i + 1], (rt->cnt - i - 1) * sizeof(plugin));
		rt->cnt--;
		emf_options__free(plugin);
		emf_reader__plugin_free(plugin);
		free(plugin);
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
	return rt->errmsg;
}

/* Keep the last lines of a verifier log: the reason is at the end. */
static const char *log_tail(const char *log, int lines)
{
	const char *p = log + strlen(log);

	while (p > log && (p[-1] == '\n' || p[-1] == ' '))
		p--;
	while (p > log && lines > 0) {
		p--;
		if (*p == '\n')
			lines--;
	}
	return *p == '\n' ? p + 1 : p;
}

static void set_error(struct emf_runtime *rt, struct emf_plugin *p, enum emf_step step, int err)
{
	int n;

	n = snprintf(rt->errmsg, sizeof(rt->errmsg), "plugin '%s' failed to %s: %s",
		     p->desc->name, emf_step_str(step), emf_strerror(err));
	if (step == EMF_STEP_LOAD && rt->log_buf && rt->log_buf[0] && n > 0 &&
	    (size_t)n < sizeof(rt->errmsg))
		snprintf(rt->errmsg + n, sizeof(rt->errmsg) - n, "\nverifier log (tail):\n%s",
			 log_tail(rt->log_buf, EMF_VERIFIER_TAIL_LINES));
	pr_warn("runtime: %s\n", rt->errmsg);
}

static void plugin_destroy(struct emf_plugin *p)
{
	if (p->skel)
		p->desc->ops->destroy(p->skel);
	p->skel = NULL;
	if (p->state != EMF_PLUGIN_FAILED)
		p->state = EMF_PLUGIN_NEW;
}

static void plugin_detach(struct emf_plugin *p)
{
	if (p->state != EMF_PLUGIN_ATTACHED)
		return;
	if (p->desc->ops->detach)
		p->desc->ops->detach(p->skel);
	p->state = EMF_PLUGIN_LOADED;
}

static int plugin_open(struct emf_runtime *rt, struct emf_plugin *p)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo);
	int err;

	if (!rt->log_buf) {
		rt->log_buf = malloc(EMF_VERIFIER_LOG_SIZE);
		if (!rt->log_buf)
			return -ENOMEM;
		rt->log_size = EMF_VERIFIER_LOG_SIZE;
	}
	/* libbpf fills it only when a load fails and it retries with logging on. */
	oo.kernel_log_buf = rt->log_buf;
	oo.kernel_log_size = rt->log_size;
	err = p->desc->ops->open(&p->skel, &oo);
	if (err) {
		p->skel = NULL;
		return err < 0 ? err : -EINVAL;
	}
	err = emf_options__apply(p);
	if (err) {
		p->desc->ops->destroy(p->skel);
		p->skel = NULL;
		return err;
	}
	p->state = EMF_PLUGIN_OPENED;
	return 0;
}

int emf_runtime__open(struct emf_runtime *rt)
{
	size_t i;
	int err;

	if (rt->running)
		return emf_err(-EMF_ERRNO__STATE);
	rt->errmsg[0] = '\0';
	for (i = 0; i < rt->cnt; i++) {
		struct emf_plugin *p = rt->plugins[i];

		if (p->state == EMF_PLUGIN_FAILED)
			p->state = EMF_PLUGIN_NEW;
		if (p->state != EMF_PLUGIN_NEW)
			continue;
		err = plugin_open(rt, p);
		if (err) {
			p->state = EMF_PLUGIN_FAILED;
			set_error(rt, p, EMF_STEP_OPEN, err);
			while (i--)
				plugin_destroy(rt->plugins[i]);
			return emf_err(err);
		}
	}
	return 0;
}

/* Undo every step of plugins [0, n) in reverse order. */
static void unwind(struct emf_runtime *rt, size_t n)
{
	size_t i;

	for (i = n; i-- > 0;)
		plugin_detach(rt->plugins[i]);
	for (i = n; i-- > 0;)
		plugin_destroy(rt->plugins[i]);
}

int emf_runtime__start(struct emf_runtime *rt)
{
	size_t i;
	int err;

	if (!rt)
		return emf_err(-EINVAL);
	if (rt->running)
		return emf_err(-EMF_ERRNO__STATE);
	err = emf_runtime__open(rt);
	if (err)
		return err;

	for (i = 0; i < rt->cnt; i++) {
		struct emf_plugin *p = rt->plugins[i];

		if (rt->log_buf)
			rt->log_buf[0] = '\0';
		err = emf_reader__prepare(p);
		if (!err)
			err = p->desc->ops->load(p->skel);
		if (err) {
			err = err < 0 ? err : -EINVAL;
			if (err == -EACCES && rt->log_buf && rt->log_buf[0])
				err = -EMF_ERRNO__VERIFY;
			set_error(rt, p, EMF_STEP_LOAD, err);
			goto err_unwind;
		}
		p->state = EMF_PLUGIN_LOADED;
	}
	for (i = 0; i < rt->cnt; i++) {
		struct emf_plugin *p = rt->plugins[i];

		err = p->desc->ops->attach(p->skel);
		if (err) {
			err = err < 0 ? err : -EINVAL;
			set_error(rt, p, EMF_STEP_ATTACH, err);
			goto err_unwind;
		}
		p->state = EMF_PLUGIN_ATTACHED;
	}
	err = emf_reader__setup(rt);
	if (err) {
		snprintf(rt->errmsg, sizeof(rt->errmsg), "failed to set up event readers: %s",
			 emf_strerror(err));
		goto err_unwind_all;
	}
	rt->running = true;
	return 0;

err_unwind:
	/* The failing plugin first: it holds whatever its step left half done. */
	rt->plugins[i]->desc->ops->destroy(rt->plugins[i]->skel);
	rt->plugins[i]->skel = NULL;
	rt->plugins[i]->state = EMF_PLUGIN_FAILED;
err_unwind_all:
	unwind(rt, rt->cnt);
	return emf_err(err);
}

void emf_runtime__stop(struct emf_runtime *rt)
{
	if (!rt)
		return;
	emf_reader__teardown(rt);
	unwind(rt, rt->cnt);
	rt->running = false;
}

int emf_runtime__epoll_fd(const struct emf_runtime *rt)
{
	return rt->epfd;
}

int emf_runtime__poll(struct emf_runtime *rt, int timeout_ms)
{
	if (!rt->running)
		return emf_err(-EMF_ERRNO__STATE);
	return emf_reader__poll(rt, timeout_ms);
}

const char *emf_plugin__name(const struct emf_plugin *plugin)
{
	return plugin->desc->name;
}

const char *emf_plugin__description(const struct emf_plugin *plugin)
{
	return plugin->desc->description ?: "";
}

const struct emf_plugin_desc *emf_plugin__desc(const struct emf_plugin *plugin)
{
	return plugin->desc;
}

int emf_plugin__priority(const struct emf_plugin *plugin)
{
	return plugin->priority;
}

enum emf_plugin_state emf_plugin__state(const struct emf_plugin *plugin)
{
	return plugin->state;
}

int emf_plugin__set_priority(struct emf_plugin *plugin, int priority)
{
	if (plugin->rt->running)
		return emf_err(-EMF_ERRNO__STATE);
	plugin->priority = priority;
	sort_plugins(plugin->rt);
	return 0;
}

struct bpf_object *emf_plugin__object(const struct emf_plugin *plugin)
{
	if (!plugin->skel || !plugin->desc->ops->object)
		return NULL;
	return plugin->desc->ops->object(plugin->skel);
}

void emf_plugin__stats(const struct emf_plugin *plugin, struct emf_plugin_stats *stats)
{
	/* The counters are a cache of the kernel's: bringing them up to date is not a change. */
	emf_reader__sync_lost((struct emf_plugin *)plugin);
	*stats = plugin->stats;
}

const char *emf_plugin_state_str(enum emf_plugin_state state)
{
	switch (state) {
	case EMF_PLUGIN_NEW:
		return "new";
	case EMF_PLUGIN_OPENED:
		return "opened";
	case EMF_PLUGIN_LOADED:
		return "loaded";
	case EMF_PLUGIN_ATTACHED:
		return "attached";
	case EMF_PLUGIN_FAILED:
		return "failed";
	}
	return "unknown";
}

const char *emf_step_str(enum emf_step step)
{
	switch (step) {
	case EMF_STEP_OPEN:
		return "open";
	case EMF_STEP_LOAD:
		return "load";
	case EMF_STEP_ATTACH:
		return "attach";
	case EMF_STEP_DETACH:
		return "detach";
	case EMF_STEP_DESTROY:
		return "destroy";
	}
	return "unknown";
}
