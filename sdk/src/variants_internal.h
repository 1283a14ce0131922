/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Program variants: programs of one plugin whose sections reach the same hook
 * point through different kinds of program (tp_btf/, raw_tp/ and tp/ of one
 * tracepoint; fentry/ and kprobe/ of one function; fexit/ and kretprobe/).
 * The runtime keeps the best kind the running kernel supports and turns the
 * others' autoload off, so exactly one of them loads and delivers.
 *
 * The choice is pure logic over a probe callback, so unit tests drive it with
 * a fake kernel; variants.c has the real probes.
 */
#ifndef __EMF_VARIANTS_INTERNAL_H
#define __EMF_VARIANTS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#define EMF_HIDDEN_VAR __attribute__((visibility("hidden")))

enum emf_hook_family {
	EMF_HOOK_TRACEPOINT, /* tp_btf/NAME > raw_tp/NAME > tp/CAT/NAME */
	EMF_HOOK_FUNC_ENTRY, /* fentry/FUNC > kprobe/FUNC */
	EMF_HOOK_FUNC_EXIT, /* fexit/FUNC > kretprobe/FUNC */
};

enum emf_hook_kind {
	EMF_HOOK_TP_BTF,
	EMF_HOOK_RAW_TP,
	EMF_HOOK_TP,
	EMF_HOOK_FENTRY,
	EMF_HOOK_KPROBE,
	EMF_HOOK_FEXIT,
	EMF_HOOK_KRETPROBE,
};

/* Where a section attaches, for comparing programs. */
struct emf_hook {
	enum emf_hook_family family;
	enum emf_hook_kind kind;
	int rank; /* 0 is the best kind of its family */
	char target[128]; /* tracepoint or function name */
	char category[64]; /* tp/CAT/NAME only */
};

/*
 * emf__hook_parse - what hook point section @sec reaches
 *
 * Returns 0 and fills @h for a section of a kind that has variants, or
 * -ENOENT for any other (uprobes, XDP, sleepable or writable variants, a
 * kprobe at an offset, a section without a target).
 */
EMF_HIDDEN_VAR int emf__hook_parse(const char *sec, struct emf_hook *h);

/* The section prefix of @kind, for messages ("tp_btf", "raw_tp", ...). */
EMF_HIDDEN_VAR const char *emf__hook_kind_str(enum emf_hook_kind kind);

/* One program that may be a variant: filled by the caller, @keep by the choice. */
struct emf_variant {
	const char *name; /* program name, for messages */
	const char *sec;
	bool parsed; /* emf__hook_parse() accepted @sec */
	struct emf_hook hook;
	bool keep; /* set by emf__variants_pick() */
};

/* Can the running kernel load and attach a program of @h's kind at @h's target? */
typedef bool (*emf_hook_probe_fn)(void *ctx, const struct emf_hook *h);

/*
 * emf__variants_pick - keep one kind per hook point
 *
 * Programs that reach the same hook (same family and target) through several
 * kinds are variants: the best kind @probe accepts is kept (every program of
 * that kind), the others are not. When @probe accepts none, the best kind is
 * kept, so its failure is what gets reported. A hook reached by one kind only
 * is not probed. Programs whose section has no variants are kept. Returns the
 * number of programs not kept.
 */
EMF_HIDDEN_VAR size_t emf__variants_pick(struct emf_variant *v, size_t n, emf_hook_probe_fn probe,
					 void *ctx);

#endif /* __EMF_VARIANTS_INTERNAL_H */
