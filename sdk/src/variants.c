// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Program variants of one hook point, chosen by what the running kernel
 * supports (see variants_internal.h). A plugin that carries, say,
 * SEC("tp_btf/sched_process_exec") and SEC("tp/sched/sched_process_exec")
 * loads the tp_btf one where the kernel can, the tp one elsewhere, and never
 * both. The probes are real: a tiny program loaded with the hook's BTF id
 * (tp_btf, fentry, fexit: the same check the kernel makes at load), the
 * program type's support (libbpf_probe_bpf_prog_type) and the hook's
 * existence (kernel BTF, tracefs, the kprobe PMU).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/magic.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include <emf/errno.h>

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

/* ---- the real kernel ----------------------------------------------------- */

struct probe_ctx {
	struct emf_runtime *rt;
};

/* The start's vmlinux BTF, parsed on first need and shared with the hook checks. */
static struct btf *vmlinux_btf(struct probe_ctx *pc)
{
	return emf__kernel_btf(pc->rt);
}

/* The BTF id of @prefix@name of @kind in vmlinux, or 0. */
static int btf_id(struct probe_ctx *pc, const char *prefix, const char *name, int kind)
{
	struct btf *btf = vmlinux_btf(pc);
	char full[192];
	int id;

	if (!btf)
		return 0;
	snprintf(full, sizeof(full), "%s%s", prefix, name);
	id = btf__find_by_name_kind(btf, full, kind);
	return id > 0 ? id : 0;
}

/* Load "r0 = 0; exit" as a tracing program at BTF id @id: what the kernel checks at load. */
static bool tracing_loads(enum bpf_attach_type at, int id)
{
	const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, o, .expected_attach_type = at, .attach_btf_id = id);
	int fd;

	if (!id)
		return false;
	fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, NULL, "GPL", insns, 2, &o);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

static bool tracefs_has(const char *category, const char *name)
{
	char path[320];
	struct statfs st;

	if (statfs("/sys/kernel/tracing", &st) || st.f_type != TRACEFS_MAGIC)
		return false;
	snprintf(path, sizeof(path), "/sys/kernel/tracing/events/%s/%s", category, name);
	return !access(path, F_OK);
}

static bool real_probe(void *ctx, const struct emf_hook *h)
{
	struct probe_ctx *pc = ctx;

	switch (h->kind) {
	case EMF_HOOK_TP_BTF:
		return tracing_loads(BPF_TRACE_RAW_TP,
				     btf_id(pc, "btf_trace_", h->target, BTF_KIND_TYPEDEF));
	case EMF_HOOK_RAW_TP:
		return libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_RAW_TRACEPOINT, NULL) == 1 &&
		       (!vmlinux_btf(pc) || btf_id(pc, "btf_trace_", h->target, BTF_KIND_TYPEDEF));
	case EMF_HOOK_TP:
		return libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_TRACEPOINT, NULL) == 1 &&
		       tracefs_has(h->category, h->target);
	case EMF_HOOK_FENTRY:
	case EMF_HOOK_FEXIT:
		return tracing_loads(h->kind == EMF_HOOK_FENTRY ? BPF_TRACE_FENTRY : BPF_TRACE_FEXIT,
				     btf_id(pc, "", h->target, BTF_KIND_FUNC));
	case EMF_HOOK_KPROBE:
	case EMF_HOOK_KRETPROBE:
		return libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_KPROBE, NULL) == 1 &&
		       (!access("/sys/bus/event_source/devices/kprobe/type", F_OK) ||
			!access("/sys/kernel/tracing/kprobe_events", F_OK)) &&
		       (!vmlinux_btf(pc) || btf_id(pc, "", h->target, BTF_KIND_FUNC));
	}
	return false;
}

int emf__variants_choose(struct emf_runtime *rt, struct emf_plugin *p)
{
	struct bpf_object *obj = emf_plugin__object(p);
	struct probe_ctx pc = { .rt = rt };
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
	if (groups > 1 && emf__variants_pick(v, n, real_probe, &pc)) {
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
