// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * emf-codegen: the compiled renderers of the generated decoder. For each
 * struct, a text and a JSON-lines writer that read the host-side mirror
 * field by field, bounded by a size computed here from the BTF, and a
 * jansson builder; emit.c calls them for every type it mirrors.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/btf.h>

#include "codegen.h"
#include "emit.h"

/* Emit code that writes a literal. */
void cg_emit_lit(struct cg_emitter *e, int ind, const char *s)
{
	size_t n = strlen(s);

	if (n == 1) {
		cg_out(e, "%*s*p++ = '%s';\n", ind, "", s[0] == '\'' ? "\\'" : s);
		return;
	}
	cg_out(e, "%*smemcpy(p, \"", ind, "");
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			cg_out(e, "\\");
		cg_out(e, "%c", *s);
	}
	cg_out(e, "\", %zu);\n%*sp += %zu;\n", n, ind, "", n);
}

/* Upper bound of the rendered size of a value of type @id. */
size_t cg_value_max(struct cg_emitter *e, __u32 id, enum cg_mode mode)
{
	const struct btf_type *t = cg_type_of(e, id);
	size_t n = 0, m;
	__u32 cnt;
	int i;

	switch (btf_kind(t)) {
	case BTF_KIND_INT:
		return t->size == 16 ? 41 : 21;
	case BTF_KIND_FLOAT:
		return 25;
	case BTF_KIND_PTR:
		return 20;
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64:
		n = 21;
		for (i = 0; i < btf_vlen(t); i++) {
			__u32 off = btf_is_enum(t) ? btf_enum(t)[i].name_off : btf_enum64(t)[i].name_off;

			m = strlen(btf__name_by_offset(e->btf, off)) + 2;
			if (m > n)
				n = m;
		}
		return n;
	case BTF_KIND_ARRAY: {
		__u32 el = cg_array_elem(e, id, &cnt);

		if (cg_is_char(e, el) && btf_is_int(cg_type_of(e, el)))
			return (size_t)cnt * 6 + 2;
		return cnt * (cg_value_max(e, el, mode) + 1) + 2;
	}
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION: {
		const struct btf_member *mb = btf_members(t);

		n = 2;
		for (i = 0; i < btf_vlen(t); i++, mb++)
			n += strlen(btf__name_by_offset(e->btf, mb->name_off)) + 16 +
			     cg_special_max(e, id, i, mode == CG_JSON,
					    cg_value_max(e, cg_resolve(e->btf, mb->type), mode));
		return n;
	}
	}
	return 64;
}

static void emit_value(struct cg_emitter *e, __u32 id, const char *expr, const char *limit,
		       enum cg_mode mode, int ind, int depth);

/* A timestamp: shown in text as the agent's TIME column, not as a field of its own. */
bool cg_is_time(const struct cg_emitter *e, __u32 sid, int i)
{
	enum cg_special sp = cg_special_of(e, sid, i);

	return sp == CG_KTIME || sp == CG_BOOTTIME;
}

static void emit_enum(struct cg_emitter *e, const struct btf_type *t, const char *expr,
		      enum cg_mode mode, int ind)
{
	bool sign = btf_kflag(t), is64 = btf_kind(t) == BTF_KIND_ENUM64;
	int i, j;

	cg_out(e, "%*sswitch ((%s)%s) {\n", ind, "", sign ? "int64_t" : "uint64_t", expr);
	for (i = 0; i < btf_vlen(t); i++) {
		__u32 off = is64 ? btf_enum64(t)[i].name_off : btf_enum(t)[i].name_off;
		__u64 v = is64 ? btf_enum64_value(&btf_enum64(t)[i]) :
				 (sign ? (__u64)(__s64)btf_enum(t)[i].val : (__u32)btf_enum(t)[i].val);
		const char *n = btf__name_by_offset(e->btf, off);
		char lit[CG_NAME_MAX + 4];
		bool dup = false;

		/* Several names for one value: the first wins, C forbids duplicate cases. */
		for (j = 0; j < i && !dup; j++) {
			__u64 w = is64 ? btf_enum64_value(&btf_enum64(t)[j]) :
					 (sign ? (__u64)(__s64)btf_enum(t)[j].val :
						 (__u32)btf_enum(t)[j].val);
			dup = w == v;
		}
		if (dup)
			continue;
		if (sign)
			cg_out(e, "%*scase %lldLL:\n", ind, "", (long long)v);
		else
			cg_out(e, "%*scase %lluULL:\n", ind, "", (unsigned long long)v);
		snprintf(lit, sizeof(lit), mode == CG_JSON ? "\"%s\"" : "%s", n);
		cg_emit_lit(e, ind + 8, lit);
		cg_out(e, "%*sbreak;\n", ind + 8, "");
	}
	cg_out(e, "%*sdefault:\n", ind, "");
	cg_out(e, "%*sp = %s(p, %s);\n", ind + 8, "", sign ? "emf_fmt_i64" : "emf_fmt_u64", expr);
	cg_out(e, "%*s}\n", ind, "");
}

/*
 * A bool as the byte it is: the BPF side may send any value in it, and reading
 * a _Bool holding other than 0 or 1 is undefined. A bitfield has no address,
 * but its one bit can only hold 0 or 1.
 */
static const char *bool_read(const struct cg_emitter *e, const char *expr, char *buf, size_t n)
{
	if (e->bitfield)
		return expr;
	snprintf(buf, n, "*(const uint8_t *)&%s != 0", expr);
	return buf;
}

static void emit_members(struct cg_emitter *e, __u32 id, const char *base, enum cg_mode mode,
			 int ind, int depth)
{
	const struct btf_type *t = cg_type_of(e, id);
	const struct btf_member *m = btf_members(t);
	int i;

	for (i = 0; i < btf_vlen(t); i++, m++) {
		char nb[32], expr[512], lit[CG_NAME_MAX + 8];
		const char *mn = cg_member_name(e, m, i, nb, sizeof(nb));
		__u32 mid = cg_resolve(e->btf, m->type);

		snprintf(expr, sizeof(expr), "%s.%s", base, mn);
		if (i)
			cg_emit_lit(e, ind, mode == CG_JSON ? "," : " ");
		snprintf(lit, sizeof(lit), mode == CG_JSON ? "\"%s\":" : "%s=", mn);
		cg_emit_lit(e, ind, lit);
		e->bitfield = btf_member_bitfield_size(t, i);
		if (!cg_emit_special(e, id, i, expr, NULL, mode == CG_JSON, ind))
			emit_value(e, mid, expr, NULL, mode, ind, depth + 1);
		e->bitfield = false;
		if (mode == CG_JSON)
			cg_emit_special_name(e, id, i, mn, expr, ind);
	}
}

/*
 * Emit code rendering the value @expr of type @id. @limit, when set, is a C
 * expression bounding how many array elements (or string bytes) arrived.
 */
static void emit_value(struct cg_emitter *e, __u32 id, const char *expr, const char *limit,
		       enum cg_mode mode, int ind, int depth)
{
	const struct btf_type *t = cg_type_of(e, id);
	char sub[600];

	switch (btf_kind(t)) {
	case BTF_KIND_INT:
		if (btf_int_encoding(t) & BTF_INT_BOOL) {
			cg_out(e, "%*sif (%s) {\n", ind, "", bool_read(e, expr, sub, sizeof(sub)));
			cg_emit_lit(e, ind + 8, "true");
			cg_out(e, "%*s} else {\n", ind, "");
			cg_emit_lit(e, ind + 8, "false");
			cg_out(e, "%*s}\n", ind, "");
		} else if (t->size == 16) {
			cg_out(e, "%*sp = %s(p, %s);\n", ind, "",
			    btf_int_encoding(t) & BTF_INT_SIGNED ? "emf_fmt_i128" : "emf_fmt_u128",
			    expr);
		} else {
			bool sign = (btf_int_encoding(t) & BTF_INT_SIGNED) ||
				    (cg_is_char(e, id) && !strcmp(cg_name_of(e, t), "char"));

			cg_out(e, "%*sp = %s(p, %s);\n", ind, "", sign ? "emf_fmt_i64" : "emf_fmt_u64",
			    expr);
		}
		return;
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64:
		emit_enum(e, t, expr, mode, ind);
		return;
	case BTF_KIND_FLOAT:
		cg_out(e, "%*sp = emf_fmt_double(p, %s);\n", ind, "", expr);
		return;
	case BTF_KIND_PTR:
		if (mode == CG_JSON)
			cg_emit_lit(e, ind, "\"");
		cg_out(e, "%*sp = emf_fmt_hex(p, %s);\n", ind, "", expr);
		if (mode == CG_JSON)
			cg_emit_lit(e, ind, "\"");
		return;
	case BTF_KIND_ARRAY: {
		__u32 n = btf_array(t)->nelems, el = cg_resolve(e->btf, btf_array(t)->type);
		char lim[128];

		if (cg_is_char(e, el) && btf_is_int(cg_type_of(e, el))) {
			cg_out(e, "%*sp = %s(p, %s, %s);\n", ind, "",
			    mode == CG_JSON ? "emf_fmt_json_str" : "emf_fmt_str", expr,
			    limit ?: (snprintf(lim, sizeof(lim), "%u", n), lim));
			return;
		}
		cg_emit_lit(e, ind, "[");
		cg_out(e, "%*sfor (size_t i%d = 0; i%d < %s; i%d++) {\n", ind, "", depth, depth,
		    limit ?: (snprintf(lim, sizeof(lim), "%u", n), lim), depth);
		cg_out(e, "%*sif (i%d)\n", ind + 8, "", depth);
		cg_emit_lit(e, ind + 16, ",");
		snprintf(sub, sizeof(sub), "%s[i%d]", expr, depth);
		emit_value(e, el, sub, NULL, mode, ind + 8, depth + 1);
		cg_out(e, "%*s}\n", ind, "");
		cg_emit_lit(e, ind, "]");
		return;
	}
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		cg_emit_lit(e, ind, "{");
		emit_members(e, id, expr, mode, ind, depth);
		cg_emit_lit(e, ind, "}");
		return;
	}
	cg_err("cannot render '%s': unsupported BTF kind %d\n", expr, btf_kind(t));
	e->err = -EINVAL;
}

/* Column width of a top-level field in text output. */
/* Widest enum column: longer names overflow it rather than widen every row. */
#define CG_ENUM_WIDTH_MAX 24

static int text_width(struct cg_emitter *e, __u32 id, const char *name)
{
	const struct btf_type *t = cg_type_of(e, id);
	int w = 0, n = strlen(name);
	__u32 cnt;

	switch (btf_kind(t)) {
	case BTF_KIND_INT:
		w = btf_int_encoding(t) & BTF_INT_BOOL ? 5 : t->size <= 2 ? 5 : t->size <= 4 ? 7 : 10;
		break;
	case BTF_KIND_ENUM: {
		const struct btf_enum *v = btf_enum(t);

		/* As wide as its longest name, so that names stay in their column. */
		w = 7;
		for (cnt = 0; cnt < btf_vlen(t); cnt++, v++) {
			int l = strlen(btf__name_by_offset(e->btf, v->name_off));

			if (l > w)
				w = l < CG_ENUM_WIDTH_MAX ? l : CG_ENUM_WIDTH_MAX;
		}
		break;
	}
	case BTF_KIND_ENUM64:
		w = 10;
		break;
	case BTF_KIND_FLOAT:
		w = 10;
		break;
	case BTF_KIND_PTR:
		w = 18;
		break;
	case BTF_KIND_ARRAY:
		if (cg_is_char(e, cg_array_elem(e, id, &cnt)))
			w = cnt > 16 ? 16 : cnt;
		break;
	}
	return w > n ? w : n;
}

/* Is the last member a trailing array the BPF side may submit cut short? */
bool cg_trailing_array(struct cg_emitter *e, const struct btf_type *t, int i)
{
	const struct btf_member *m = btf_members(t) + i;

	return btf_is_struct(t) && i == btf_vlen(t) - 1 && !btf_member_bitfield_size(t, i) &&
	       btf_is_array(cg_type_of(e, cg_resolve(e->btf, m->type)));
}

/* Index of the last member text shows (time fields are the agent's TIME column); -1 if none. */
int cg_last_shown(const struct cg_emitter *e, __u32 sid)
{
	int i;

	for (i = btf_vlen(cg_type_of(e, sid)) - 1; i >= 0; i--)
		if (!cg_is_time(e, sid, i))
			break;
	return i;
}

/* Text column width of member @i of struct @sid. */
int cg_col_width(struct cg_emitter *e, __u32 sid, int i, const char *mn)
{
	const struct btf_type *st = cg_type_of(e, sid);
	const struct btf_member *m = btf_members(st) + i;
	const struct btf_type *mt = cg_type_of(e, cg_resolve(e->btf, m->type));
	int w = text_width(e, cg_resolve(e->btf, m->type), mn), sw = cg_special_width(e, sid, i);
	int n = strlen(mn), bits = btf_member_bitfield_size(st, i);

	/*
	 * A bitfield is as wide as its bits need, not as its declared type: the
	 * field table has the bits, and the SDK's renderer aligns the same way.
	 */
	if (bits && btf_is_int(mt) && !(btf_int_encoding(mt) & BTF_INT_BOOL)) {
		w = bits <= 16 ? 5 : bits <= 32 ? 7 : 10;
		return w > n ? w : n;
	}
	if (!sw)
		return w;
	return sw > n ? sw : n;
}

static void emit_renderer(struct cg_emitter *e, struct cg_type *ct, enum cg_mode mode)
{
	const struct btf_type *t = cg_type_of(e, ct->id);
	const struct btf_member *m = btf_members(t);
	int i;

	cg_out(e, "static char *%s__%s(char *p, const void *data, size_t size)\n{\n", ct->fname,
	    mode == CG_JSON ? "json" : "text");
	cg_out(e, "\tconst %s *e = (const %s *)data;\n", ct->cname, ct->cname);
	if (mode == CG_TEXT && cg_last_shown(e, ct->id) > 0)
		cg_out(e, "\tchar *col;\n");
	cg_out(e, "\n\t(void)size;\n");
	for (i = 0; i < btf_vlen(t); i++, m++) {
		__u32 mid = cg_resolve(e->btf, m->type);
		char nb[32], expr[300], lim[300], lit[CG_NAME_MAX + 8];
		const char *mn = cg_member_name(e, m, i, nb, sizeof(nb));
		const char *limit = NULL;
		bool last = i >= cg_last_shown(e, ct->id);

		if (mode == CG_TEXT && cg_is_time(e, ct->id, i))
			continue;
		if (cg_trailing_array(e, t, i)) {
			const struct btf_type *at = cg_type_of(e, mid);
			__u32 el = cg_resolve(e->btf, btf_array(at)->type);
			__u32 esz = btf__resolve_size(e->btf, el);

			snprintf(lim, sizeof(lim), "emf_min_size((size - %u) / %u, %u)",
				 btf_member_bit_offset(t, i) / 8, esz ?: 1, btf_array(at)->nelems);
			limit = lim;
		}
		snprintf(expr, sizeof(expr), "e->%s", mn);
		e->bitfield = btf_member_bitfield_size(t, i);
		if (mode == CG_JSON) {
			snprintf(lit, sizeof(lit), "%s\"%s\":", i ? "," : "", mn);
			cg_emit_lit(e, 8, lit);
			if (!cg_emit_special(e, ct->id, i, expr, limit, true, 8))
				emit_value(e, mid, expr, limit, mode, 8, 0);
			cg_emit_special_name(e, ct->id, i, mn, expr, 8);
		} else {
			if (!last)
				cg_out(e, "\tcol = p;\n");
			if (!cg_emit_special(e, ct->id, i, expr, limit, false, 8))
				emit_value(e, mid, expr, limit, mode, 8, 0);
			if (!last) {
				cg_out(e, "\tp = emf_fmt_pad(col, p, %d);\n", cg_col_width(e, ct->id, i, mn));
				cg_emit_lit(e, 8, " ");
			}
		}
		e->bitfield = false;
	}
	cg_out(e, "\treturn p;\n}\n\n");
}

static void emit_jansson_value(struct cg_emitter *e, __u32 id, const char *expr,
			       const char *limit, int ind, int depth, const char *dst);

static void emit_jansson_members(struct cg_emitter *e, __u32 id, const char *base, int ind,
				 int depth, const char *obj)
{
	const struct btf_type *t = cg_type_of(e, id);
	const struct btf_member *m = btf_members(t);
	int i;

	for (i = 0; i < btf_vlen(t); i++, m++) {
		char nb[32], expr[512], dst[64];
		const char *mn = cg_member_name(e, m, i, nb, sizeof(nb));

		snprintf(expr, sizeof(expr), "%s%s%s", base, base[0] ? "." : "", mn);
		if (!base[0])
			snprintf(expr, sizeof(expr), "e->%s", mn);
		snprintf(dst, sizeof(dst), "v%d", depth);
		if (cg_emit_special_jansson(e, id, i, mn, expr,
					    !base[0] && cg_trailing_array(e, t, i) ? "lim" : NULL, obj,
					    ind))
			continue;
		cg_out(e, "%*s{\n", ind, "");
		cg_out(e, "%*sjson_t *%s;\n\n", ind + 8, "", dst);
		e->bitfield = btf_member_bitfield_size(t, i);
		emit_jansson_value(e, cg_resolve(e->btf, m->type), expr,
				   !base[0] && cg_trailing_array(e, t, i) ? "lim" : NULL, ind + 8,
				   depth + 1, dst);
		e->bitfield = false;
		cg_out(e, "%*sif (!%s || json_object_set_new(%s, \"%s\", %s))\n", ind + 8, "", dst, obj,
		    mn, dst);
		cg_out(e, "%*sgoto err;\n", ind + 16, "");
		cg_out(e, "%*s}\n", ind, "");
	}
}

static void emit_jansson_value(struct cg_emitter *e, __u32 id, const char *expr,
			       const char *limit, int ind, int depth, const char *dst)
{
	const struct btf_type *t = cg_type_of(e, id);
	char sub[600], lim[64];

	switch (btf_kind(t)) {
	case BTF_KIND_INT:
		if (btf_int_encoding(t) & BTF_INT_BOOL)
			cg_out(e, "%*s%s = json_boolean(%s);\n", ind, "", dst,
			       bool_read(e, expr, sub, sizeof(sub)));
		else if (t->size == 16 && (btf_int_encoding(t) & BTF_INT_SIGNED))
			cg_out(e, "%*s%s = emf_json_int(%s);\n", ind, "", dst, expr);
		else if (t->size == 16 || (t->size == 8 && !(btf_int_encoding(t) & BTF_INT_SIGNED)))
			cg_out(e, "%*s%s = emf_json_uint(%s);\n", ind, "", dst, expr);
		else
			cg_out(e, "%*s%s = json_integer((json_int_t)%s);\n", ind, "", dst, expr);
		return;
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64: {
		char tmp[64];

		/* Render through the JSON writer, then parse: one source of truth for names. */
		snprintf(tmp, sizeof(tmp), "buf%d", depth);
		cg_out(e, "%*schar %s[%zu], *q = %s, *p = %s;\n\n", ind, "", tmp,
		    cg_value_max(e, id, CG_JSON) + 1, tmp, tmp);
		emit_enum(e, t, expr, CG_TEXT, ind);
		cg_out(e, "%*s*p = '\\0';\n", ind, "");
		cg_out(e, "%*sif ((*q >= '0' && *q <= '9') || *q == '-')\n", ind, "");
		cg_out(e, "%*s%s = json_integer(strtoll(q, NULL, 10));\n", ind + 8, "", dst);
		cg_out(e, "%*selse\n%*s%s = json_string(q);\n", ind, "", ind + 8, "", dst);
		return;
	}
	case BTF_KIND_FLOAT:
		cg_out(e, "%*s%s = isfinite(%s) ? json_real(%s) : json_null();\n", ind, "", dst, expr,
		    expr);
		return;
	case BTF_KIND_PTR:
		cg_out(e, "%*s{\n%*schar a[24], *p = emf_fmt_hex(a, %s);\n\n", ind, "", ind + 8, "",
		    expr);
		cg_out(e, "%*s%s = json_stringn(a, p - a);\n%*s}\n", ind + 8, "", dst, ind, "");
		return;
	case BTF_KIND_ARRAY: {
		__u32 n = btf_array(t)->nelems, el = cg_resolve(e->btf, btf_array(t)->type);

		snprintf(lim, sizeof(lim), "%u", n);
		if (cg_is_char(e, el) && btf_is_int(cg_type_of(e, el))) {
			cg_out(e, "%*s%s = emf_json_str(%s, %s);\n", ind, "", dst, expr, limit ?: lim);
			return;
		}
		cg_out(e, "%*s%s = json_array();\n", ind, "", dst);
		cg_out(e, "%*sfor (size_t i%d = 0; %s && i%d < %s; i%d++) {\n", ind, "", depth, dst,
		    depth, limit ?: lim, depth);
		cg_out(e, "%*sjson_t *x%d;\n\n", ind + 8, "", depth);
		snprintf(sub, sizeof(sub), "%s[i%d]", expr, depth);
		snprintf(lim, sizeof(lim), "x%d", depth);
		emit_jansson_value(e, el, sub, NULL, ind + 8, depth + 1, lim);
		cg_out(e, "%*sif (!x%d || json_array_append_new(%s, x%d)) {\n", ind + 8, "", depth, dst,
		    depth);
		cg_out(e, "%*sjson_decref(%s);\n%*s%s = NULL;\n", ind + 16, "", dst, ind + 16, "", dst);
		cg_out(e, "%*s}\n%*s}\n", ind + 8, "", ind, "");
		return;
	}
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		cg_out(e, "%*s%s = %s__jansson_body(&%s);\n", ind, "", dst, cg_find_type(e, id)->fname,
		    expr);
		return;
	}
	cg_out(e, "%*s%s = NULL;\n", ind, "", dst);
}

void cg_emit_jansson(struct cg_emitter *e, struct cg_type *ct)
{
	char head[sizeof(ct->fname) + sizeof(ct->cname) + 80];

	/* A type nested in another gets a body function taking the typed value. */
	if (ct->nested) {
		snprintf(head, sizeof(head), "static json_t *%s__jansson_body(const %s *v)",
			 ct->fname, ct->cname);
		if (cg_fits(0, head))
			cg_out(e, "%s\n{\n", head);
		else
			cg_out(e, "static json_t *\n%s__jansson_body(const %s *v)\n{\n", ct->fname,
			       ct->cname);
		cg_out(e, "\tjson_t *o = json_object();\n\n\tif (!o)\n\t\treturn NULL;\n");
		emit_jansson_members(e, ct->id, "(*v)", 8, 0, "o");
		cg_out(e, "\treturn o;\nerr:\n\tjson_decref(o);\n\treturn NULL;\n}\n\n");
	}
	if (ct->event < 0)
		return;
	cg_out(e, "static json_t *%s__jansson(const void *data, size_t size)\n{\n", ct->fname);
	cg_out(e, "\tconst %s *e = (const %s *)data;\n", ct->cname, ct->cname);
	cg_out(e, "\tjson_t *o = json_object();\n");
	{
		const struct btf_type *t = cg_type_of(e, ct->id);
		int last = btf_vlen(t) - 1;

		if (last >= 0 && cg_trailing_array(e, t, last)) {
			const struct btf_type *at =
				cg_type_of(e, cg_resolve(e->btf, btf_members(t)[last].type));
			__u32 el = cg_resolve(e->btf, btf_array(at)->type);

			cg_out(e, "\tsize_t lim = emf_min_size((size - %u) / %u, %u);\n",
			    btf_member_bit_offset(t, last) / 8,
			    (__u32)(btf__resolve_size(e->btf, el) ?: 1),
			    btf_array(at)->nelems);
		}
	}
	cg_out(e, "\n\t(void)size;\n\tif (!o)\n\t\treturn NULL;\n");
	emit_jansson_members(e, ct->id, "", 8, 0, "o");
	cg_out(e, "\treturn o;\nerr:\n\tjson_decref(o);\n\treturn NULL;\n}\n\n");
}

void cg_emit_renderer(struct cg_emitter *e, struct cg_type *ct, bool json)
{
	emit_renderer(e, ct, json ? CG_JSON : CG_TEXT);
}
