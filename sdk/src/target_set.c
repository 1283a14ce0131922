// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * What the host set for a plugin's programs before a start, and what the
 * start reads once: the attach targets of emf_plugin__set_attach_target(),
 * which targets.c applies and variants.c and explain.c look up, and the
 * running kernel's BTF, which targets.c and variants.c share for a start.
 * Below both, so that neither needs the other for these.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include <emf/errno.h>
#include <emf/runtime.h>

#include "log_internal.h"
#include "runtime_internal.h"

int emf_plugin__set_attach_target(struct emf_plugin *p, const char *prog, const char *target)
{
	struct emf_attach_target *t;
	char *copy;
	size_t i;

	if (!p || !prog || !*prog || !target)
		return emf_err(-EINVAL);
	if (p->state == EMF_PLUGIN_LOADED || p->state == EMF_PLUGIN_ATTACHED) {
		pr_warn("runtime: cannot set the attach target of program '%s' of plugin '%s': it is loaded; set targets before emf_runtime__start()\n",
			prog, p->desc->name);
		return emf_err(-EMF_ERRNO__STATE);
	}
	if (!*target || target[0] == ',' || target[strlen(target) - 1] == ',' ||
	    strstr(target, ",,")) {
		pr_warn("runtime: invalid attach target '%s' for program '%s' of plugin '%s': give a target, or alternatives separated by ','\n",
			target, prog, p->desc->name);
		return emf_err(-EINVAL);
	}
	copy = strdup(target);
	if (!copy)
		return emf_err(-ENOMEM);
	for (i = 0; i < p->n_targets; i++) {
		if (!strcmp(p->targets[i].prog, prog)) {
			free(p->targets[i].targets);
			p->targets[i].targets = copy;
			return 0;
		}
	}
	t = realloc(p->targets, (p->n_targets + 1) * sizeof(*t));
	if (!t)
		goto err_free;
	p->targets = t;
	t += p->n_targets;
	t->prog = strdup(prog);
	if (!t->prog)
		goto err_free;
	t->targets = copy;
	t->chosen = NULL;
	p->n_targets++;
	return 0;

err_free:
	free(copy);
	return emf_err(-ENOMEM);
}

void emf__attach_targets_free(struct emf_plugin *p)
{
	size_t i;

	for (i = 0; i < p->n_targets; i++) {
		free(p->targets[i].prog);
		free(p->targets[i].targets);
		free(p->targets[i].chosen);
	}
	free(p->targets);
	p->targets = NULL;
	p->n_targets = 0;
}

const char *emf__attach_target_of(const struct emf_plugin *p, const char *prog)
{
	size_t i;

	for (i = 0; i < p->n_targets; i++)
		if (!strcmp(p->targets[i].prog, prog))
			return p->targets[i].chosen;
	return NULL;
}

struct btf *emf__kernel_btf(struct emf_runtime *rt)
{
	if (!rt->start_btf_tried) {
		rt->start_btf_tried = true;
		rt->start_btf = btf__load_vmlinux_btf(); /* NULL (errno set) without BTF */
	}
	return rt->start_btf;
}

void emf__kernel_btf_release(struct emf_runtime *rt)
{
	btf__free(rt->start_btf);
	rt->start_btf = NULL;
	rt->start_btf_tried = false;
}
