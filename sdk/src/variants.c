// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Program variants of one hook point, chosen by what the running kernel
 * supports (see variants_internal.h). A plugin that carries, say,
 * SEC("tp_btf/sched_process_exec") and SEC("tp/sched/sched_process_exec")
 * loads the tp_btf one where the kernel can, the tp one elsewhere, and never
 * both. What the kernel supports is asked of the kernel seam
 * (hook_supported(), whose real probes are in kernel.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>

#include <emf/errno.h>

#include "kernel.h"
#include "log_internal.h"
#include "runtime_internal.h"
#include "variants_internal.h"

static const struct {
	const char *prefix;
	enum emf_hook_family family;
	enum emf_hook_kind kind;
	int rank;
} hook_kinds[] = {
	{ "tp_btf/", EMF_HOOK_TRACEPOINT, EMF_HOOK_TP_BTF, 0 },
	{ "raw_tp/", EMF_HOOK_TRACEPOINT, EMF_HOOK_RAW_TP, 1 },
	{ "raw_tracepoint/", EMF_HOOK_TRACEPOINT, EMF_HOOK_RAW_TP, 1 },
	{ "tp/", EMF_HOOK_TRACEPOINT, EMF_HOOK_TP, 2 },
	{ "tracepoint/", EMF_HOOK_TRACEPOINT, EMF_HOOK_TP, 2 },
	{ "fentry/", EMF_HOOK_FUNC_ENTRY, EMF_HOOK_FENTRY, 0 },
	{ "kprobe/", EMF_HOOK_FUNC_ENTRY, EMF_HOOK_KPROBE, 1 },
	{ "fexit/", EMF_HOOK_FUNC_EXIT, EMF_HOOK_FEXIT, 0 },
	{ "kretprobe/", EMF_HOOK_FUNC_EXIT, EMF_HOOK_KRETPROBE, 1 },
};

const char *emf__hook_kind_str(enum emf_hook_kind kind)
{
	static const char *const names[] = {
		[EMF_HOOK_TP_BTF] = "tp_btf", [EMF_HOOK_RAW_TP] = "raw_tp",
		[EMF_HOOK_TP] = "tp",	      [EMF_HOOK_FENTRY] = "fentry",
		[EMF_HOOK_KPROBE] = "kprobe", [EMF_HOOK_FEXIT] = "fexit",
		[EMF_HOOK_KRETPROBE] = "kretprobe",
	};

	return (unsigned int)kind < sizeof(names) / sizeof(names[0]) ? names[kind] : "?";
}

static bool is_ident(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!(*s == '_' || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '.'))
			return false;
	return true;
}

int emf__hook_parse(const char *sec, struct emf_hook *h)
{
	const char *rest, *slash;
	size_t i;

	if (!sec)
		return -ENOENT;
	for (i = 0; i < sizeof(hook_kinds) / sizeof(hook_kinds[0]); i++) {
		size_t len = strlen(hook_kinds[i].prefix);

		if (strncmp(sec, hook_kinds[i].prefix, len))
			continue;
		rest = sec + len;
		memset(h, 0, sizeof(*h));
		h->family = hook_kinds[i].family;
		h->kind = hook_kinds[i].kind;
		h->rank = hook_kinds[i].rank;
		if (h->kind == EMF_HOOK_TP) {
			slash = strchr(rest, '/');
			if (!slash || slash == rest || (size_t)(slash - rest) >= sizeof(h->category))
				return -ENOENT;
			snprintf(h->category, sizeof(h->category), "%.*s", (int)(slash - rest),
				 rest);
			rest = slash + 1;
		}
		/* A kprobe at an offset ("func+0x10") is no variant of an fentry. */
		if (!is_ident(rest) || strlen(rest) >= sizeof(h->target))
			return -ENOENT;
		snprintf(h->target, sizeof(h->target), "%s", rest);
		return 0;
	}
	return -ENOENT;
}

/* @h at the target the host set instead: "FUNC", "NAME" or "CATEGORY/NAME". */
static int hook_retarget(struct emf_hook *h, const char *target)
{
	size_t cat = strcspn(target, ":/");

	if (h->kind == EMF_HOOK_TP) {
		if (!target[cat] || !cat || cat >= sizeof(h->category))
			return -ENOENT;
		snprintf(h->category, sizeof(h->category), "%.*s", (int)cat, target);
		target += cat + 1;
	}
	if (!is_ident(target) || strlen(target) >= sizeof(h->target))
		return -ENOENT;
	snprintf(h->target, sizeof(h->target), "%s", target);
	return 0;
}

static bool same_hook(const struct emf_hook *a, const struct emf_hook *b)
{
	return a->family == b->family && !strcmp(a->target, b->target);
}

size_t emf__variants_pick(struct emf_variant *v, size_t n, emf_hook_probe_fn probe, void *ctx)
{
	size_t i, j, dropped = 0;

	for (i = 0; i < n; i++)
		v[i].keep = true;
	for (i = 0; i < n; i++) {
		unsigned int kinds = 0;
		int best = -1, rank;

		if (!v[i].parsed)
			continue;
		/* Only the first program of each hook leads its group. */
		for (j = 0; j < i && !(v[j].parsed && same_hook(&v[j].hook, &v[i].hook)); j++)
			;
		if (j < i)
			continue;
		for (j = i; j < n; j++)
			if (v[j].parsed && same_hook(&v[j].hook, &v[i].hook))
				kinds |= 1U << v[j].hook.rank;
		if (!(kinds & (kinds - 1)))
			continue; /* one kind: nothing to choose */
		for (rank = 0; rank < 8 && best < 0; rank++) {
			if (!(kinds & (1U << rank)))
				continue;
			for (j = i; j < n; j++) {
				if (v[j].parsed && same_hook(&v[j].hook, &v[i].hook) &&
				    v[j].hook.rank == rank)
					break;
			}
			if (probe(ctx, &v[j].hook))
				best = rank;
		}
		if (best < 0)
			best = __builtin_ctz(kinds); /* none works: the best one reports why */
		for (j = i; j < n; j++) {
			if (!v[j].parsed || !same_hook(&v[j].hook, &v[i].hook) ||
			    v[j].hook.rank == best)
				continue;
			v[j].keep = false;
			dropped++;
		}
	}
	return dropped;
}

/* The kernel seam says whether the running kernel has a hook (kernel.c probes it). */
static bool kernel_probe(void *ctx, const struct emf_hook *h)
{
	struct emf_runtime *rt = ctx;

	return rt->kernel->hook_supported(rt, h);
}

int emf__variants_choose(struct emf_runtime *rt, struct emf_plugin *p)
{
	struct bpf_object *obj = emf_plugin__object(p);
	struct emf_variant *v;
	struct bpf_program *prog;
	size_t n = 0, i, groups = 0;

	if (!obj)
		return 0;
	bpf_object__for_each_program(prog, obj)
		n++;
	if (n < 2)
		return 0;
	v = calloc(n, sizeof(*v));
	if (!v) {
		snprintf(rt->errmsg, sizeof(rt->errmsg),
			 "plugin '%s' failed to choose among its program variants: %s",
			 emf_plugin__name(p), emf_strerror(-ENOMEM));
		pr_warn("runtime: %s\n", rt->errmsg);
		return emf_err(-ENOMEM);
	}
	i = 0;
	bpf_object__for_each_program(prog, obj) {
		const char *target = emf__attach_target_of(p, bpf_program__name(prog));

		v[i].name = bpf_program__name(prog);
		v[i].sec = bpf_program__section_name(prog);
		/* A program the author turned off ("?" sections) takes no part. */
		v[i].parsed = bpf_program__autoload(prog) && !emf__hook_parse(v[i].sec, &v[i].hook);
		/* One whose target the host set is a variant of the hook it goes to. */
		if (v[i].parsed && target)
			v[i].parsed = !hook_retarget(&v[i].hook, target);
		groups += v[i].parsed;
		i++;
	}
	if (groups > 1 && emf__variants_pick(v, n, kernel_probe, rt)) {
		i = 0;
		bpf_object__for_each_program(prog, obj) {
			size_t k;

			for (k = 0; k < n && (!v[k].keep || !v[k].parsed ||
					      !same_hook(&v[k].hook, &v[i].hook));
			     k++)
				;
			if (!v[i].keep) {
				bpf_program__set_autoload(prog, false);
				bpf_program__set_autoattach(prog, false);
				pr_info("variants: plugin '%s' runs %s() (section '%s') on this kernel, not its variant %s() (section '%s')\n",
					emf_plugin__name(p), k < n ? v[k].name : "?",
					k < n ? v[k].sec : "?", v[i].name, v[i].sec);
			}
			i++;
		}
	}
	free(v);
	return 0;
}
