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
	bool nested; /* a member (or array element) of another type */
};

struct cg_emitter {
	struct cg_plugin *p;
	const struct btf *btf;
	FILE *f;
	struct cg_type *types; /* dependency order: nested before nesting */
	int n_types;
	char *line; /* the line being written, until its newline */
	size_t len, cap;
	bool blank; /* the last line was blank: another blank one is dropped */
	bool pending; /* a blank line held back until a line follows (none at the end) */
	bool bitfield; /* the value being rendered is a bitfield: it has no address */
	int err;
};

/*
 * Print to the output, laid out in kernel style by emf-codegen itself, so the
 * bytes never depend on other tools: leading spaces become tabs, a line over
 * 100 columns is broken after a comma (continued under its open parenthesis,
 * or one tab deeper) or before a string literal after '=', blank lines do not
 * repeat and none ends the file.
 */
void cg_out(struct cg_emitter *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Write what is left of the output; the emitter's error, or 0. */
int cg_out_end(struct cg_emitter *e);
/* Does "@s" fit on a line indented to column @col? */
bool cg_fits(int col, const char *s);
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

/* Write @s as the inside of a C string literal. */
void cg_emit_cstr(struct cg_emitter *e, const char *s);
/* Emit code that writes literal @s at @p. */
void cg_emit_lit(struct cg_emitter *e, int ind, const char *s);
/* The mirror emitted for BTF type @id, or NULL. */
struct cg_type *cg_find_type(struct cg_emitter *e, __u32 id);
/* Member @i's name; an anonymous one gets a generated name in @buf. */
const char *cg_member_name(const struct cg_emitter *e, const struct btf_member *m, int i,
			   char *buf, size_t n);

/* render.c */
enum cg_mode { CG_JSON, CG_TEXT };
/* The most bytes the renderer of @mode writes for a value of type @id. */
size_t cg_value_max(struct cg_emitter *e, __u32 id, enum cg_mode mode);
/* Whether member @i of struct @sid is the event's time (shown in the TIME column). */
bool cg_is_time(const struct cg_emitter *e, __u32 sid, int i);
/* Whether member @i of @t is a flexible or zero-length trailing array. */
bool cg_trailing_array(struct cg_emitter *e, const struct btf_type *t, int i);
/* The last member of @sid the text renderer shows; columns before it are padded. */
int cg_last_shown(const struct cg_emitter *e, __u32 sid);
/* The text column width of member @i (named @mn) of @sid. */
int cg_col_width(struct cg_emitter *e, __u32 sid, int i, const char *mn);
/* The text (@json false) or JSON-lines renderer of @ct, and its jansson builder. */
void cg_emit_renderer(struct cg_emitter *e, struct cg_type *ct, bool json);
void cg_emit_jansson(struct cg_emitter *e, struct cg_type *ct);

/* semantic.c: members whose type (<emf/types.h>) says what they mean. */
enum cg_special {
	CG_PLAIN,
	CG_IPV4, /* emf_ipv4_t: "a.b.c.d" */
	CG_IPADDR, /* emf_ipaddr_t */
	CG_KTIME, /* emf_ktime_t: the event's time */
	CG_BOOTTIME, /* emf_boottime_t */
	CG_NAMED, /* a number with a name: errno, signal, uid, ... */
	CG_ARGV, /* EMF_ARGV: NUL-separated strings */
	CG_ENDPOINT, /* struct emf_endpoint: "10.0.0.1:80" */
	CG_KSTACK, /* EMF_KSTACK: kernel frames */
	CG_USTACK, /* EMF_USTACK(pid): user frames of that process */
};

/* Bounds the generated code relies on, as <emf/fmt.h> defines them. */
#define EMF_FMT_ADDR_MAX_CG 46
#define EMF_FMT_ENDPOINT_MAX_CG (3 * EMF_FMT_ADDR_MAX_CG + 48)
#define CG_FMT_NAME_MAX 256
#define CG_FMT_FRAME_MAX (200 + 160 + 24) /* EMF_FMT_FRAME_MAX */

/* What member @i of struct @sid is; CG_PLAIN for an ordinary one. */
enum cg_special cg_special_of(const struct cg_emitter *e, __u32 sid, int i);
/* EMF_USTACK member @i: the index of its pid member; -1 for others. */
int cg_special_pid_field(const struct cg_emitter *e, __u32 sid, int i);
/* Refuse tags on members they do not fit, after a message naming them; 0 or -EINVAL. */
int cg_special_check(const struct cg_emitter *e, __u32 sid);
/* Its EMF_SEM_* as C text, or NULL. */
const char *cg_special_sem(const struct cg_emitter *e, __u32 sid, int i);
/* The EMF_SEM_* of a type @id (unresolved, typedefs kept) as C text, or NULL. */
const char *cg_type_sem(const struct cg_emitter *e, __u32 id);
/* Its text column width, 0 for the plain rule. */
int cg_special_width(const struct cg_emitter *e, __u32 sid, int i);
/* Upper bound of what is written for it, given @plain for the plain rendering. */
size_t cg_special_max(const struct cg_emitter *e, __u32 sid, int i, bool json, size_t plain);
/*
 * Emit code writing member @i (C expression @expr) its special way; false
 * when it is rendered as its plain type (in JSON, a named number is: its
 * name follows with cg_emit_special_name()).
 */
bool cg_emit_special(struct cg_emitter *e, __u32 sid, int i, const char *expr, const char *limit,
		     bool json, int ind);
/* JSON: for a named number, the ,"NAME_name":"..." member after it. */
void cg_emit_special_name(struct cg_emitter *e, __u32 sid, int i, const char *mn,
			  const char *expr, int ind);
/*
 * jansson: set what member @i adds to @obj. Returns true when that is the
 * whole member; false when the plain value is still to be set (a named
 * number, whose "_name" this set) or the member is not special.
 */
bool cg_emit_special_jansson(struct cg_emitter *e, __u32 sid, int i, const char *mn,
			     const char *expr, const char *limit, const char *obj, int ind);

/* options.c */
void cg_emit_options(struct cg_emitter *e);
void cg_emit_setters(struct cg_emitter *e);
/* What option global @g is (kind, C type, count, element, declared type name, default text). */
bool cg_option_info(struct cg_emitter *e, const struct cg_global *g, const char **kind,
		    const char **ctype, __u32 *count, __u32 *el, const char **type_name,
		    char *defval, size_t n);
/* Option global @i as a command line shows it: its friendly type and its long name. */
void cg_option_cli(struct cg_emitter *e, int i, char *friendly, size_t fn, char *lname, size_t ln);

#endif /* __EMF_CODEGEN_EMIT_H */
