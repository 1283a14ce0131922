/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* emf-codegen internals shared by the emitters (emit.c, options.c, describe.c). */
#ifndef __EMF_CODEGEN_EMIT_H
#define __EMF_CODEGEN_EMIT_H

#include <stdbool.h>
#include <stdio.h>
#include <bpf/btf.h>

#include "codegen.h"

/* A struct or union the generated code mirrors. */
struct cg_type {
	__u32 id;
	char cname[2 * CG_NAME_MAX + 32]; /* e.g. "struct execsnoop__event" */
	char fname[2 * CG_NAME_MAX + 16]; /* function prefix, e.g. "execsnoop__event" */
	int event; /* index in cg_plugin.events, -1 for nested-only types */
};

struct cg_emitter {
	struct cg_plugin *p;
	const struct btf *btf;
	FILE *f;
	struct cg_type *types; /* dependency order: nested before nesting */
	int n_types;
	bool bol; /* at the beginning of a line */
	bool bitfield; /* the value being rendered is a bitfield: it has no address */
	int err;
};

/* Print to the output; indentation given as spaces becomes tabs, kernel style. */
void cg_out(struct cg_emitter *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const struct btf_type *cg_type_of(const struct cg_emitter *e, __u32 id);
const char *cg_name_of(const struct cg_emitter *e, const struct btf_type *t);
/* Is @id (resolved) a char: rendered as text when in an array? */
bool cg_is_char(const struct cg_emitter *e, __u32 id);
/* Resolve arrays to their innermost element, multiplying out the element count. */
__u32 cg_array_elem(const struct cg_emitter *e, __u32 id, __u32 *count);
/* The EMF_FIELD_* kind of a resolved scalar or composite type, as C text. */
const char *cg_field_kind(struct cg_emitter *e, __u32 id);
/* The host C spelling of a scalar; NULL (after a message naming @where) when unsupported. */
const char *cg_scalar_ctype(struct cg_emitter *e, __u32 id, const char *where);
void cg_emit_enum_table(struct cg_emitter *e, const char *prefix, int i, __u32 id);

/* options.c */
void cg_emit_options(struct cg_emitter *e);
void cg_emit_setters(struct cg_emitter *e);
/* What option global @g is (kind, C type, count, element, declared type name, default text). */
bool cg_option_info(struct cg_emitter *e, const struct cg_global *g, const char **kind,
		    const char **ctype, __u32 *count, __u32 *el, const char **type_name,
		    char *defval, size_t n);

#endif /* __EMF_CODEGEN_EMIT_H */
