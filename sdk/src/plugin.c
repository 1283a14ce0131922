// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * What a plugin is: the accessors of struct emf_plugin, and how a failed step
 * of one is reported. Every other part of the runtime uses them, so they
 * depend on nothing but the struct itself.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>

#include <emf/errno.h>
#include <emf/runtime.h>

#include "log_internal.h"
#include "runtime_internal.h"

const char *emf_plugin__last_error(const struct emf_plugin *plugin)
{
	return plugin && plugin->last_error ? plugin->last_error : "";
}

int emf_plugin__set_required(struct emf_plugin *plugin, bool required)
{
	if (!plugin)
		return emf_err(-EINVAL);
	plugin->required = required;
	return 0;
}

struct emf_runtime *emf_plugin__runtime(const struct emf_plugin *plugin)
{
	return plugin->rt;
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

int emf_plugin__set_priv(struct emf_plugin *plugin, void *priv)
{
	if (!plugin)
		return emf_err(-EINVAL);
	plugin->priv = priv;
	return 0;
}

void *emf_plugin__priv(const struct emf_plugin *plugin)
{
	return plugin ? plugin->priv : NULL;
}

struct bpf_object *emf_plugin__object(const struct emf_plugin *plugin)
{
	if (!plugin->skel || !plugin->desc->ops->object)
		return NULL;
	return plugin->desc->ops->object(plugin->skel);
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

int emf__plugin_failv(struct emf_runtime *rt, struct emf_plugin *p, int err, const char *step,
		      const char *fmt, va_list ap)
{
	int n;

	n = snprintf(rt->errmsg, sizeof(rt->errmsg), "plugin '%s' failed to %s: ", p->desc->name,
		     step);
	vsnprintf(rt->errmsg + n, sizeof(rt->errmsg) - n, fmt, ap);
	pr_warn("runtime: %s\n", rt->errmsg);
	p->step_err = err;
	free(p->last_error);
	p->last_error = strdup(rt->errmsg);
	return err;
}
