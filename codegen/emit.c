// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * emf-codegen: the generated decoder. For every event struct (and every
 * struct or union it nests) it emits a host-side mirror whose layout is
 * proven against the BTF by _Static_asserts, compiled renderers (text, JSON
 * lines, jansson), a field table, and the plugin descriptor around the
 * bpftool skeleton. Output is deterministic: BTF order, no timestamps.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/btf.h>

#include "codegen.h"
#include "emit.h"

#define CG_COLUMNS 100

/* The column after @s written from column @col, tabs to the next multiple of 8. */
static int columns(int col, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n && s[i]; i++)
		col = s[i] == '\t' ? (col | 7) + 1 : col + 1;
	return col;
}

bool cg_fits(int col, const char *s)
{
	return columns(col, s, strlen(s)) <= CG_COLUMNS;
}

static void put_indent(struct cg_emitter *e, int col)
{
	for (; col >= 8; col -= 8)
		fputc('\t', e->f);
	for (; col > 0; col--)
		fputc(' ', e->f);
}

/*
 * Where to break @s, written from column @ind: after a ", " outside literals
 * that still fits (the last of those least deep in parentheses), or before a
 * string literal that follows " = ".
 * Sets *@cont to the column the rest continues at. Returns the length of the
 * first part, or 0 when the line cannot be broken.
 */
static size_t break_at(const char *s, int ind, int *cont)
{
	int open[32], depth = 0, best_depth = 0, c = ind;
	size_t i, best = 0;
	char quote = 0;

	for (i = 0; s[i]; i++) {
		if (quote) {
			if (s[i] == '\\' && s[i + 1])
				i++, c++;
			else if (s[i] == quote)
				quote = 0;
		} else if (s[i] == '"' || s[i] == '\'') {
			quote = s[i];
			if (s[i] == '"' && i >= 3 && !strncmp(s + i - 3, " = ", 3) &&
			    c <= CG_COLUMNS && (!best || depth <= best_depth)) {
				best = i - 1;
				best_depth = depth;
				*cont = ind + 8;
			}
		} else if (s[i] == '(' && depth < 32) {
			open[depth++] = c + 1;
		} else if (s[i] == ')' && depth) {
			depth--;
		} else if (s[i] == ',' && s[i + 1] == ' ' && c + 1 <= CG_COLUMNS &&
			   (!best || depth <= best_depth)) {
			/* The last comma that fits, of those least deep in parentheses. */
			best = i + 1;
			best_depth = depth;
			*cont = depth ? open[depth - 1] : ind + 8;
		}
		c = s[i] == '\t' ? (c | 7) + 1 : c + 1;
	}
	return best;
}

/* Write one line (without its newline), broken where it is too long. */
static void put_line(struct cg_emitter *e, const char *s)
{
	int ind = 0, cont = 0;
	size_t n;

	for (; *s == '\t' || *s == ' '; s++)
		ind = *s == '\t' ? (ind | 7) + 1 : ind + 1;
	if (!*s) {
		/* A blank line waits for the next line, and never repeats. */
		if (!e->blank)
			e->pending = true;
		e->blank = true;
		return;
	}
	if (e->pending)
		fputc('\n', e->f);
	e->pending = false;
	e->blank = false;
	put_indent(e, ind);
	/* Preprocessor lines and comments are written as they are. */
	if (*s == '#' || !strncmp(s, "/*", 2) || !strncmp(s, "* ", 2)) {
		fprintf(e->f, "%s\n", s);
		return;
	}
	while (columns(ind, s, strlen(s)) > CG_COLUMNS && (n = break_at(s, ind, &cont))) {
		/* A part ends without its trailing space; the rest starts at cont. */
		fwrite(s, 1, s[n - 1] == ' ' ? n - 1 : n, e->f);
		fputc('\n', e->f);
		s += n;
		while (*s == ' ')
			s++;
		/* A continuation that cannot fit under its parenthesis goes one tab in. */
		if (cont > ind + 8 && !cg_fits(cont, s) && cg_fits(ind + 8, s))
			cont = ind + 8;
		put_indent(e, cont);
		ind = cont;
	}
	fprintf(e->f, "%s\n", s);
}

static __attribute__((format(printf, 2, 0))) void vout(struct cg_emitter *e, const char *fmt,
						       va_list ap)
{
	char *s, *c;

	if (vasprintf(&s, fmt, ap) < 0) {
		e->err = -ENOMEM;
		return;
	}
	for (c = s; *c; c++) {
		if (e->len + 1 >= e->cap) {
			size_t cap = e->cap ? e->cap * 2 : 256;
			char *l = realloc(e->line, cap);

			if (!l) {
				e->err = -ENOMEM;
				break;
			}
			e->line = l;
			e->cap = cap;
		}
		if (*c != '\n') {
			e->line[e->len++] = *c;
			continue;
		}
		e->line[e->len] = '\0';
		put_line(e, e->line);
		e->len = 0;
	}
	free(s);
}

void cg_out(struct cg_emitter *e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vout(e, fmt, ap);
	va_end(ap);
}

int cg_out_end(struct cg_emitter *e)
{
	if (e->len) {
		e->line[e->len] = '\0';
		put_line(e, e->line);
	}
	free(e->line);
	e->line = NULL;
	e->len = e->cap = 0;
	return e->err;
}

const struct btf_type *cg_type_of(const struct cg_emitter *e, __u32 id)
{
	return btf__type_by_id(e->btf, id);
}

const char *cg_name_of(const struct cg_emitter *e, const struct btf_type *t)
{
	return btf__name_by_offset(e->btf, t->name_off);
}

struct cg_type *cg_find_type(struct cg_emitter *e, __u32 id)
{
	int i;

	for (i = 0; i < e->n_types; i++)
		if (e->types[i].id == id)
			return &e->types[i];
	return NULL;
}

bool cg_is_char(const struct cg_emitter *e, __u32 id)
{
	const struct btf_type *t = cg_type_of(e, cg_resolve(e->btf, id));

	if (!btf_is_int(t) || t->size != 1)
		return false;
	return !strcmp(cg_name_of(e, t), "char") || (btf_int_encoding(t) & BTF_INT_CHAR);
}

/* Resolve arrays to their innermost element, multiplying out the element count. */
__u32 cg_array_elem(const struct cg_emitter *e, __u32 id, __u32 *count)
{
	const struct btf_type *t = cg_type_of(e, id);

	*count = 1;
	while (btf_is_array(t)) {
		*count *= btf_array(t)->nelems;
		id = cg_resolve(e->btf, btf_array(t)->type);
		t = cg_type_of(e, id);
	}
	return id;
}

static void sanitize(char *dst, size_t n, const char *src)
{
	size_t i;

	for (i = 0; src[i] && i + 1 < n; i++)
		dst[i] = isalnum((unsigned char)src[i]) ? src[i] : '_';
	dst[i] = '\0';
}

static bool fname_taken(const struct cg_emitter *e, const char *fname)
{
	for (int i = 0; i < e->n_types; i++)
		if (!strcmp(e->types[i].fname, fname))
			return true;
	return false;
}

/*
 * Register a struct/union and, first, everything it nests. An anonymous type
 * is named after its first use: the member (event__point), or for an
 * anonymous member its position (event__anon2, as the member is __anon2), so
 * names do not depend on BTF numbering. Names that still clash (a struct
 * named event__point beside that member) get a counter.
 */
static int collect(struct cg_emitter *e, __u32 id, const char *name, int event)
{
	const struct btf_type *t = cg_type_of(e, id);
	const struct btf_member *m = btf_members(t);
	char s[CG_NAME_MAX], fname[sizeof(e->types->fname)];
	struct cg_type *ct;
	int i, err;

	if (cg_find_type(e, id))
		return 0;
	for (i = 0; i < btf_vlen(t); i++, m++) {
		__u32 cnt, mid = cg_array_elem(e, cg_resolve(e->btf, m->type), &cnt);
		const struct btf_type *mt = cg_type_of(e, mid);

		if (btf_is_struct(mt) || btf_is_union(mt)) {
			const char *mn = cg_name_of(e, mt), *member;
			char anon[2 * CG_NAME_MAX + 16];

			if (!mn[0]) {
				member = btf__name_by_offset(e->btf, m->name_off);
				if (member[0])
					snprintf(anon, sizeof(anon), "%s__%s", name, member);
				else
					snprintf(anon, sizeof(anon), "%s__anon%d", name, i);
				mn = anon;
			}
			err = collect(e, mid, mn, -1);
			if (err)
				return err;
			/* Rendered by its own rules (an endpoint), it needs no body of its own. */
			if (cg_special_of(e, id, i) == CG_PLAIN)
				cg_find_type(e, mid)->nested = true;
		}
	}
	sanitize(s, sizeof(s), name);
	snprintf(fname, sizeof(fname), "%s__%s", e->p->name, s);
	for (i = 2; fname_taken(e, fname); i++)
		snprintf(fname, sizeof(fname), "%s__%s_%d", e->p->name, s, i);
	ct = realloc(e->types, (e->n_types + 1) * sizeof(*ct));
	if (!ct)
		return -ENOMEM;
	e->types = ct;
	ct = &e->types[e->n_types++];
	ct->id = id;
	ct->event = event;
	ct->nested = false;
	memcpy(ct->fname, fname, sizeof(fname));
	snprintf(ct->cname, sizeof(ct->cname), "%s %s", btf_is_union(t) ? "union" : "struct",
		 ct->fname);
	return 0;
}

/* The C spelling of a scalar; NULL (after a message) when it cannot be rendered. */
const char *cg_scalar_ctype(struct cg_emitter *e, __u32 id, const char *where)
{
	const struct btf_type *t = cg_type_of(e, id);
	bool sign;

	static const char *const ints[2][5] = {
		{ "uint8_t", "uint16_t", "uint32_t", "uint64_t", "unsigned __int128" },
		{ "int8_t", "int16_t", "int32_t", "int64_t", "__int128" },
	};
	int log2size = t->size == 1 ? 0 : t->size == 2 ? 1 : t->size == 4 ? 2 : t->size == 8 ? 3 :
		       t->size == 16 ? 4 : -1;

	switch (btf_kind(t)) {
	case BTF_KIND_INT:
		if (btf_int_encoding(t) & BTF_INT_BOOL)
			return "bool";
		if (cg_is_char(e, id))
			return "char";
		sign = btf_int_encoding(t) & BTF_INT_SIGNED;
		if (log2size >= 0)
			return ints[sign][log2size];
		break;
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64:
		sign = btf_kflag(t);
		if (log2size >= 0 && log2size < 4)
			return ints[sign][log2size];
		break;
	case BTF_KIND_FLOAT:
		if (t->size == 4)
			return "float";
		if (t->size == 8)
			return "double";
		break;
	case BTF_KIND_PTR:
		return "uint64_t"; /* a BPF-side address: 64 bits whatever the host */
	}
	if (btf_kind(t) == BTF_KIND_UNKN) {
		cg_err("%s: its type has no BTF description (clang leaves types such as _Complex out of BTF); use an integer, enum, float, char array, array, struct or union\n",
		       where);
		e->err = -EINVAL;
		return NULL;
	}
	cg_err("%s: type '%s' (BTF kind %d, %u bytes) cannot be rendered; use an integer, enum, float, char array, array, struct or union\n",
	       where, cg_name_of(e, t)[0] ? cg_name_of(e, t) : "(anonymous)", btf_kind(t),
	       btf_kind(t) == BTF_KIND_FUNC_PROTO ? 0 : t->size);
	e->err = -EINVAL;
	return NULL;
}

/* Print the declaration of member @name of type @id (arrays keep their dimensions). */
static void emit_decl(struct cg_emitter *e, __u32 id, const char *name, const char *where)
{
	const struct btf_type *t = cg_type_of(e, id = cg_resolve(e->btf, id));
	char dims[128] = "";
	size_t dl = 0;

	while (btf_is_array(t)) {
		dl += snprintf(dims + dl, sizeof(dims) - dl, "[%u]", btf_array(t)->nelems);
		if (dl >= sizeof(dims))
			dl = sizeof(dims) - 1;
		id = cg_resolve(e->btf, btf_array(t)->type);
		t = cg_type_of(e, id);
	}
	if (btf_is_struct(t) || btf_is_union(t)) {
		cg_out(e, "%s %s%s", cg_find_type(e, id)->cname, name, dims);
		return;
	}
	cg_out(e, "%s %s%s", cg_scalar_ctype(e, id, where) ?: "int", name, dims);
}

const char *cg_member_name(const struct cg_emitter *e, const struct btf_member *m, int i,
			   char *buf, size_t n)
{
	const char *s = btf__name_by_offset(e->btf, m->name_off);

	if (s[0])
		return s;
	snprintf(buf, n, "__anon%d", i);
	return buf;
}

static void emit_type_def(struct cg_emitter *e, struct cg_type *ct)
{
	const struct btf_type *t = cg_type_of(e, ct->id);
	const struct btf_member *m = btf_members(t);
	bool is_union = btf_is_union(t), packed = false, bits = false;
	__u32 cur = 0, max_align = 1;
	int i, pad = 0;
	char where[3 * CG_NAME_MAX];

	/* Is the natural layout the BTF one? If not, lay it out by hand, packed. */
	for (i = 0; i < btf_vlen(t); i++, m++) {
		__u32 off = btf_member_bit_offset(t, i) / 8;
		__u32 al = btf__align_of(e->btf, m->type), sz = btf__resolve_size(e->btf, m->type);

		if (btf_member_bitfield_size(t, i)) {
			bits = true;
			continue;
		}
		if (al > max_align)
			max_align = al;
		if (!is_union && !bits && off < ((cur + al - 1) & ~(al - 1)))
			packed = true;
		if (!is_union)
			cur = off + sz;
		bits = false;
	}
	if (!is_union && t->size < ((cur + max_align - 1) & ~(max_align - 1)))
		packed = true;

	cg_out(e, "%s {\n", ct->cname);
	m = btf_members(t);
	cur = 0;
	bits = false;
	for (i = 0; i < btf_vlen(t); i++, m++) {
		__u32 off = btf_member_bit_offset(t, i) / 8;
		__u32 bsz = btf_member_bitfield_size(t, i);
		__u32 id = cg_resolve(e->btf, m->type);
		__u32 al = btf__align_of(e->btf, id);
		char nb[32];
		const char *mn = cg_member_name(e, m, i, nb, sizeof(nb));

		snprintf(where, sizeof(where), "member '%s' of %s", mn, ct->cname);
		if (!is_union && !bsz && !bits) {
			__u32 natural = packed ? cur : (cur + al - 1) & ~(al - 1);

			if (off > natural)
				cg_out(e, "\tuint8_t __pad%d[%u];\n", pad++, off - natural);
		}
		cg_out(e, "\t");
		emit_decl(e, m->type, mn, where);
		if (bsz) {
			cg_out(e, " : %u", bsz);
			bits = true;
		} else {
			bits = false;
			cur = off + btf__resolve_size(e->btf, m->type);
		}
		cg_out(e, ";\n");
	}
	if (is_union) {
		cg_out(e, "\tuint8_t __size[%u];\n", t->size);
	} else if (!bits) {
		__u32 end = packed ? cur : (cur + max_align - 1) & ~(max_align - 1);

		if (t->size > end)
			cg_out(e, "\tuint8_t __pad%d[%u];\n", pad++, t->size - end);
	}
	if (packed)
		cg_out(e, "} __attribute__((packed, aligned(%d)));\n", btf__align_of(e->btf, ct->id));
	else
		cg_out(e, "};\n");

	cg_out(e, "EMF_LAYOUT_ASSERT(sizeof(%s) == %u, \"%s: size differs from the BPF object's (%u)\");\n",
	    ct->cname, t->size, ct->cname, t->size);
	m = btf_members(t);
	for (i = 0; i < btf_vlen(t); i++, m++) {
		char nb[32];
		const char *mn = cg_member_name(e, m, i, nb, sizeof(nb));

		if (btf_member_bitfield_size(t, i))
			continue;
		cg_out(e, "EMF_LAYOUT_ASSERT(offsetof(%s, %s) == %u, \"%s.%s: offset differs from the BPF object's (%u)\");\n",
		    ct->cname, mn, btf_member_bit_offset(t, i) / 8, ct->cname, mn,
		    btf_member_bit_offset(t, i) / 8);
	}
	cg_out(e, "\n");
}

const char *cg_field_kind(struct cg_emitter *e, __u32 id)
{
	const struct btf_type *t = cg_type_of(e, id);

	switch (btf_kind(t)) {
	case BTF_KIND_INT:
		if (btf_int_encoding(t) & BTF_INT_BOOL)
			return "EMF_FIELD_BOOL";
		if (cg_is_char(e, id) && !strcmp(cg_name_of(e, t), "char"))
			return "EMF_FIELD_CHAR";
		return btf_int_encoding(t) & BTF_INT_SIGNED ? "EMF_FIELD_INT" : "EMF_FIELD_UINT";
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64:
		return "EMF_FIELD_ENUM";
	case BTF_KIND_FLOAT:
		return "EMF_FIELD_FLOAT";
	case BTF_KIND_PTR:
		return "EMF_FIELD_POINTER";
	case BTF_KIND_STRUCT:
		return "EMF_FIELD_STRUCT";
	case BTF_KIND_UNION:
		return "EMF_FIELD_UNION";
	}
	return "EMF_FIELD_INT";
}

void cg_emit_enum_table(struct cg_emitter *e, const char *prefix, int i, __u32 id)
{
	const struct btf_type *t = cg_type_of(e, id);
	bool is64 = btf_kind(t) == BTF_KIND_ENUM64, sign = btf_kflag(t);
	int j;

	cg_out(e, "static const struct emf_enum_value %s__enum%d[] = {\n", prefix, i);
	for (j = 0; j < btf_vlen(t); j++) {
		__u32 off = is64 ? btf_enum64(t)[j].name_off : btf_enum(t)[j].name_off;
		long long v = is64 ? (long long)btf_enum64_value(&btf_enum64(t)[j]) :
				     sign ? (long long)btf_enum(t)[j].val :
					    (long long)(__u32)btf_enum(t)[j].val;

		cg_out(e, "\t{ \"%s\", %lldLL },\n", btf__name_by_offset(e->btf, off), v);
	}
	cg_out(e, "};\n\n");
}

static void emit_fields(struct cg_emitter *e, struct cg_type *ct)
{
	const struct btf_type *t = cg_type_of(e, ct->id);
	const struct btf_member *m = btf_members(t);
	int i;

	for (i = 0; i < btf_vlen(t); i++, m++) {
		__u32 cnt, el = cg_array_elem(e, cg_resolve(e->btf, m->type), &cnt);

		if (btf_is_any_enum(cg_type_of(e, el)))
			cg_emit_enum_table(e, ct->fname, i, el);
	}
	cg_out(e, "static const struct emf_field %s__fields[] = {\n", ct->fname);
	m = btf_members(t);
	for (i = 0; i < btf_vlen(t); i++, m++) {
		__u32 id = cg_resolve(e->btf, m->type), cnt;
		__u32 el = cg_array_elem(e, id, &cnt);
		const struct btf_type *et = cg_type_of(e, el);
		__u32 bits = btf_member_bit_offset(t, i), bsz = btf_member_bitfield_size(t, i);
		char nb[32];
		bool str = btf_is_array(cg_type_of(e, id)) && cg_is_char(e, el) && btf_is_int(et);

		cg_out(e, "\t{\n\t\t.name = \"%s\",\n", cg_member_name(e, m, i, nb, sizeof(nb)));
		cg_out(e, "\t\t.kind = %s,\n",
		       cg_special_of(e, ct->id, i) == CG_IPV4   ? "EMF_FIELD_IPV4" :
		       cg_special_of(e, ct->id, i) == CG_IPADDR ? "EMF_FIELD_IPADDR" :
		       cg_special_of(e, ct->id, i) == CG_ENDPOINT ? "EMF_FIELD_ENDPOINT" :
		       str				   ? "EMF_FIELD_STRING" :
							     cg_field_kind(e, el));
		cg_out(e, "\t\t.offset = %u,\n", bits / 8);
		cg_out(e, "\t\t.size = %u,\n", bsz ? (bits % 8 + bsz + 7) / 8 : (__u32)btf__resolve_size(e->btf, id));
		if (btf_is_array(cg_type_of(e, id)))
			cg_out(e, "\t\t.count = %u,\n", cnt);
		if (bsz)
			cg_out(e, "\t\t.bit_offset = %u,\n\t\t.bit_size = %u,\n", bits % 8, bsz);
		if (btf_is_any_enum(et))
			cg_out(e, "\t\t.n_enum_values = %d,\n\t\t.enum_values = %s__enum%d,\n",
			    btf_vlen(et), ct->fname, i);
		if (btf_is_composite(et))
			cg_out(e, "\t\t.type = &%s__type,\n", cg_find_type(e, el)->fname);
		if (cg_special_sem(e, ct->id, i))
			cg_out(e, "\t\t.semantic = %s,\n", cg_special_sem(e, ct->id, i));
		if (cg_special_of(e, ct->id, i) == CG_USTACK)
			cg_out(e, "\t\t.pid_offset = %u,\n",
			       btf_member_bit_offset(t, cg_special_pid_field(e, ct->id, i)) / 8 + 1);
		cg_out(e, "\t},\n");
	}
	cg_out(e, "};\n\n");
}

static void emit_type_table(struct cg_emitter *e, struct cg_type *ct)
{
	const struct btf_type *t = cg_type_of(e, ct->id);
	const struct btf_member *m = btf_members(t);
	int i, last = btf_vlen(t) - 1, shown = cg_last_shown(e, ct->id), time_field = -1;
	__u32 min = t->size;
	size_t tmax = 1, jmax = 1;
	char header[4096];
	size_t hl = 0;

	if (last >= 0 && cg_trailing_array(e, t, last))
		min = btf_member_bit_offset(t, last) / 8;
	for (i = 0; i <= last; i++, m++) {
		char nb[32];
		const char *mn = cg_member_name(e, m, i, nb, sizeof(nb));
		__u32 id = cg_resolve(e->btf, m->type);
		int w = cg_col_width(e, ct->id, i, mn), j;

		jmax += strlen(mn) + 4 + cg_special_max(e, ct->id, i, true, cg_value_max(e, id, CG_JSON));
		if (cg_is_time(e, ct->id, i)) {
			if (time_field < 0 && !btf_member_bitfield_size(t, i))
				time_field = i;
			continue;
		}
		tmax += w + 2 + cg_special_max(e, ct->id, i, false, cg_value_max(e, id, CG_TEXT));
		for (j = 0; mn[j] && hl + 2 < sizeof(header); j++)
			header[hl++] = toupper((unsigned char)mn[j]);
		for (; i < shown && j < w && hl + 2 < sizeof(header); j++)
			header[hl++] = ' ';
		if (i < shown && hl + 2 < sizeof(header))
			header[hl++] = ' ';
	}
	header[hl] = '\0';
	cg_out(e, "const struct emf_event_type %s__type = {\n", ct->fname);
	cg_out(e, "\t.name = \"%s\",\n", ct->event >= 0 ? e->p->events[ct->event].name :
						     btf__name_by_offset(e->btf, t->name_off));
	cg_out(e, "\t.size = %u,\n\t.min_size = %u,\n", t->size, min);
	cg_out(e, "\t.n_fields = %d,\n\t.fields = %s__fields,\n", btf_vlen(t), ct->fname);
	if (ct->event >= 0) {
		cg_out(e, "\t.text_header = \"%s\",\n", header);
		cg_out(e, "\t.text_max = %zu,\n\t.json_max = %zu,\n", tmax, jmax);
		cg_out(e, "\t.render_text = %s__text,\n", ct->fname);
		cg_out(e, "\t.render_json = %s__json,\n", ct->fname);
		cg_out(e, "\t.to_json = %s__jansson,\n", ct->fname);
	}
	if (time_field >= 0)
		cg_out(e, "\t.time_clock = %s,\n\t.time_offset = %u,\n",
		       cg_special_of(e, ct->id, time_field) == CG_KTIME ?
			       "EMF_CLOCK_MONOTONIC" :
			       "EMF_CLOCK_BOOTTIME",
		       btf_member_bit_offset(t, time_field) / 8);
	cg_out(e, "};\n\n");
}

/* The files by name only: a directory may hold anything, even the end of a comment. */
static void emit_banner(struct cg_emitter *e)
{
	cg_out(e, "/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */\n");
	if (e->p->hdr)
		cg_out(e, "/* Generated by emf-codegen from %s.bpf.c and %s.h - do not edit. */\n",
		       e->p->file, e->p->file);
	else
		cg_out(e, "/* Generated by emf-codegen from %s.bpf.c - do not edit. */\n", e->p->file);
}

/* @s as the inside of a C string literal, whatever bytes it holds. */
void cg_emit_cstr(struct cg_emitter *e, const char *s)
{
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\' || c == '?')
			cg_out(e, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			cg_out(e, "\\%03o", c);
		else
			cg_out(e, "%c", c);
	}
}

static int setup(struct cg_emitter *e, struct cg_plugin *p, FILE *f)
{
	int i, err;

	memset(e, 0, sizeof(*e));
	e->p = p;
	e->btf = p->btf;
	e->f = f;
	for (i = 0; i < p->n_events; i++) {
		struct cg_type *ct;

		err = collect(e, p->events[i].type_id, p->events[i].name, i);
		if (err)
			return err;
		/* A header struct met first as a nested one keeps its header name. */
		ct = cg_find_type(e, p->events[i].type_id);
		ct->event = i;
	}
	/* Struct keys and values of sampled maps get layouts and field tables too. */
	for (i = 0; i < p->n_samples; i++) {
		__u32 ids[2] = { cg_resolve(e->btf, p->samples[i].key_id),
				 cg_resolve(e->btf, p->samples[i].value_id) };
		const char *what[2] = { "key", "value" };

		for (int k = 0; k < 2; k++) {
			const struct btf_type *t = cg_type_of(e, ids[k]);
			char name[2 * CG_NAME_MAX];

			if (!btf_is_composite(t))
				continue;
			snprintf(name, sizeof(name), "%s", cg_name_of(e, t));
			if (!name[0])
				snprintf(name, sizeof(name), "%s_%s", p->samples[i].map, what[k]);
			err = collect(e, ids[k], name, -1);
			if (err)
				return err;
		}
	}
	return 0;
}

/* An emf_field literal describing a whole key or value of type @id. */
static void emit_field_literal(struct cg_emitter *e, const char *name, __u32 id)
{
	const char *sem = cg_type_sem(e, id);
	__u32 cnt = 0, el;

	id = cg_resolve(e->btf, id);
	el = btf_is_array(cg_type_of(e, id)) ? cg_array_elem(e, id, &cnt) : id;
	cg_out(e, "\t\t.%s = {\n\t\t\t.name = \"%s\",\n", name, name);
	if (cnt && cg_is_char(e, el) && btf_is_int(cg_type_of(e, el)))
		cg_out(e, "\t\t\t.kind = EMF_FIELD_STRING,\n");
	else
		cg_out(e, "\t\t\t.kind = %s,\n", cg_field_kind(e, el));
	cg_out(e, "\t\t\t.size = %u,\n", (__u32)btf__resolve_size(e->btf, id));
	if (cnt)
		cg_out(e, "\t\t\t.count = %u,\n", cnt);
	if (sem)
		cg_out(e, "\t\t\t.semantic = %s,\n", sem);
	if (btf_is_composite(cg_type_of(e, el)))
		cg_out(e, "\t\t\t.type = &%s__type,\n", cg_find_type(e, el)->fname);
	cg_out(e, "\t\t},\n");
}

static void emit_samples(struct cg_emitter *e)
{
	struct cg_plugin *p = e->p;
	int i;

	if (!p->n_samples)
		return;
	cg_out(e, "static const struct emf_sample %s__samples[] = {\n", p->name);
	for (i = 0; i < p->n_samples; i++) {
		struct cg_sample *s = &p->samples[i];

		cg_out(e, "\t{\n\t\t.map_name = \"%s\",\n", s->map);
		cg_out(e, "\t\t.kind = %s,\n", s->log2 ? "EMF_SAMPLE_LOG2_HIST" : "EMF_SAMPLE_COUNTERS");
		cg_out(e, "\t\t.interval_ms = %u,\n\t\t.clear = %s,\n", s->interval_ms,
		       s->clear ? "true" : "false");
		emit_field_literal(e, "key", s->key_id);
		emit_field_literal(e, "value", s->value_id);
		cg_out(e, "\t},\n");
	}
	cg_out(e, "};\n\n");
}

int cg_emit_header(struct cg_plugin *p, FILE *f)
{
	struct cg_emitter e;
	char guard[CG_NAME_MAX];
	const struct btf_type *t;
	int i, err;
	__u32 min;

	err = setup(&e, p, f);
	if (err)
		return err;
	for (i = 0; i < e.n_types; i++) {
		err = cg_special_check(&e, e.types[i].id);
		if (err) {
			free(e.types);
			return err;
		}
	}
	sanitize(guard, sizeof(guard), p->name);
	for (i = 0; guard[i]; i++)
		guard[i] = toupper((unsigned char)guard[i]);
	emit_banner(&e);
	cg_out(&e, "#ifndef __EMF_GEN_%s_EMF_H\n#define __EMF_GEN_%s_EMF_H\n\n", guard, guard);
	cg_out(&e, "#include <stdbool.h>\n#include <stddef.h>\n#include <stdint.h>\n\n");
	cg_out(&e, "#include <emf/event.h>\n#include <emf/plugin.h>\n#include <emf/runtime.h>\n\n");
	cg_out(&e, "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n");
	cg_out(&e, "/* Host-side mirrors of the event structs, laid out as in the BPF object's BTF. */\n\n");
	for (i = 0; i < e.n_types; i++)
		emit_type_def(&e, &e.types[i]);
	for (i = 0; i < e.n_types; i++) {
		struct cg_type *ct = &e.types[i];

		cg_out(&e, "extern const struct emf_event_type %s__type;\n", ct->fname);
		if (ct->event < 0)
			continue;
		cg_out(&e, "\n/*\n * %s__from - the %s in an event buffer\n", ct->fname,
		    p->events[ct->event].name);
		cg_out(&e, " *\n * Returns @data as a typed pointer, or NULL when @size is shorter than the\n * struct's fixed part. No copy is made.\n */\n");
		cg_out(&e, "static inline const %s *%s__from(const void *data, size_t size)\n{\n",
		    ct->cname, ct->fname);
		min = btf_vlen(t = cg_type_of(&e, ct->id)) &&
				      cg_trailing_array(&e, t, btf_vlen(t) - 1) ?
			      btf_member_bit_offset(t, btf_vlen(t) - 1) / 8 :
			      t->size;
		/* A struct that is all trailing array takes any size, even 0. */
		if (min)
			cg_out(&e, "\treturn size >= %u ? (const %s *)data : NULL;\n}\n\n", min,
			       ct->cname);
		else
			cg_out(&e, "\t(void)size;\n\treturn (const %s *)data;\n}\n\n", ct->cname);
	}
	cg_out(&e, "\n");
	cg_emit_setters(&e);
	cg_out(&e, "/* The plugin's descriptor, registered with the SDK when linked in. */\n");
	cg_out(&e, "extern const struct emf_plugin_desc %s__plugin;\n\n", p->name);
	cg_out(&e, "#ifdef __cplusplus\n}\n#endif\n\n#endif /* __EMF_GEN_%s_EMF_H */\n", guard);
	free(e.types);
	return cg_out_end(&e);
}

static __attribute__((format(printf, 2, 0))) void dump_printf(void *ctx, const char *fmt,
								va_list args)
{
	vout(ctx, fmt, args);
}

/*
 * bpftool's skeleton declares globals with their types by name (enum color
 * shade;) and expects their definitions before it is included: dump them
 * from BTF, as the BPF side declared them.
 */
static int emit_skel_types(struct cg_emitter *e)
{
	int i, n = btf__type_cnt(e->btf), err = 0;
	struct btf_dump *d = NULL;
	bool any = false;

	for (i = 1; i < n && !err; i++) {
		const struct btf_type *t = cg_type_of(e, i);
		const struct btf_var_secinfo *vs;
		const char *sec;
		int j;

		if (!btf_is_datasec(t))
			continue;
		sec = cg_name_of(e, t);
		if (strncmp(sec, ".rodata", 7) && strncmp(sec, ".data", 5) && strcmp(sec, ".bss"))
			continue;
		vs = btf_var_secinfos(t);
		for (j = 0; j < btf_vlen(t); j++, vs++) {
			const struct btf_type *v = cg_type_of(e, vs->type);
			__u32 id = v->type, cnt;
			const struct btf_type *vt;

			/* Only named enums, structs, unions and typedefs need a definition. */
			while (btf_is_mod(cg_type_of(e, id)))
				id = cg_type_of(e, id)->type;
			if (btf_is_array(cg_type_of(e, id)))
				id = cg_array_elem(e, id, &cnt);
			vt = cg_type_of(e, id);
			/* bool is a macro on the host, from <stdbool.h>. */
			if (btf_is_int(vt) || btf_is_float(vt) || btf_is_ptr(vt) || !cg_name_of(e, vt)[0] ||
			    !strcmp(cg_name_of(e, vt), "bool"))
				continue;
			if (!d) {
				d = btf_dump__new(e->btf, dump_printf, e, NULL);
				if (!d)
					return -errno;
				cg_out(e, "/* Types the skeleton's globals use, as the BPF code declares them. */\n");
			}
			err = btf_dump__dump_type(d, id);
			any = true;
		}
	}
	if (any)
		cg_out(e, "\n");
	btf_dump__free(d);
	return err;
}

int cg_emit_source(struct cg_plugin *p, FILE *f)
{
	const char *n = p->name;
	struct cg_emitter e;
	int i, err;

	err = setup(&e, p, f);
	if (err)
		return err;
	emit_banner(&e);
	cg_out(&e, "#include <errno.h>\n#include <math.h>\n#include <stdlib.h>\n#include <string.h>\n");
	cg_out(&e, "#include <jansson.h>\n#include <bpf/libbpf.h>\n\n");
	cg_out(&e, "#include <emf/fmt.h>\n#include <emf/json.h>\n#include <emf/plugin.h>\n\n");
	err = emit_skel_types(&e);
	if (err) {
		cg_out_end(&e);
		return err;
	}
	cg_out(&e, "#include \"%s.skel.h\"\n#include \"%s.emf.h\"\n\n", p->file, p->file);
	cg_out(&e, "static inline __attribute__((unused)) size_t emf_min_size(size_t a, size_t b)\n{\n\treturn a < b ? a : b;\n}\n\n");
	for (i = 0; i < e.n_types; i++) {
		struct cg_type *ct = &e.types[i];

		if (ct->event >= 0) {
			cg_emit_renderer(&e, ct, false);
			cg_emit_renderer(&e, ct, true);
		}
		cg_emit_jansson(&e, ct);
	}
	/* Field tables refer to nested types: declare before defining. */
	for (i = 0; i < e.n_types; i++) {
		emit_fields(&e, &e.types[i]);
		emit_type_table(&e, &e.types[i]);
	}
	if (p->n_outputs) {
		cg_out(&e, "static const struct emf_output %s__outputs[] = {\n", n);
		for (i = 0; i < p->n_outputs; i++)
			cg_out(&e, "\t{ \"%s\", %s, &%s__type },\n", p->outputs[i].map,
			    p->outputs[i].perf ? "EMF_OUTPUT_PERFBUF" : "EMF_OUTPUT_RINGBUF",
			    cg_find_type(&e, p->events[p->outputs[i].event].type_id)->fname);
		cg_out(&e, "};\n\n");
	}
	if (p->n_events) {
		cg_out(&e, "static const struct emf_event_type *const %s__events[] = {\n", n);
		for (i = 0; i < p->n_events; i++)
			if (!p->events[i].nested)
				cg_out(&e, "\t&%s__type,\n", cg_find_type(&e, p->events[i].type_id)->fname);
		cg_out(&e, "};\n\n");
	}
	cg_emit_options(&e);
	emit_samples(&e);

	cg_out(&e, "static int %s__emf_open(void **skel, const struct bpf_object_open_opts *opts)\n{\n", n);
	cg_out(&e, "\tstruct %s_bpf *s = %s_bpf__open_opts(opts);\n\n", n, n);
	cg_out(&e, "\tif (!s)\n\t\treturn -errno;\n\t*skel = s;\n\treturn 0;\n}\n\n");
	cg_out(&e, "static int %s__emf_load(void *skel)\n{\n\treturn %s_bpf__load((struct %s_bpf *)skel);\n}\n\n", n, n, n);
	cg_out(&e, "static int %s__emf_attach(void *skel)\n{\n\treturn %s_bpf__attach((struct %s_bpf *)skel);\n}\n\n", n, n, n);
	cg_out(&e, "static void %s__emf_detach(void *skel)\n{\n\t%s_bpf__detach((struct %s_bpf *)skel);\n}\n\n", n, n, n);
	cg_out(&e, "static void %s__emf_destroy(void *skel)\n{\n\t%s_bpf__destroy((struct %s_bpf *)skel);\n}\n\n", n, n, n);
	cg_out(&e, "static struct bpf_object *%s__emf_object(void *skel)\n{\n\treturn ((struct %s_bpf *)skel)->obj;\n}\n\n", n, n);
	cg_out(&e, "static const struct emf_plugin_ops %s__ops = {\n", n);
	cg_out(&e, "\t.open = %s__emf_open,\n\t.load = %s__emf_load,\n\t.attach = %s__emf_attach,\n", n, n, n);
	cg_out(&e, "\t.detach = %s__emf_detach,\n\t.destroy = %s__emf_destroy,\n\t.object = %s__emf_object,\n};\n\n", n, n, n);

	cg_out(&e, "/* User hooks, when the plugin's C code defines them (see struct emf_plugin_hooks). */\n");
	cg_out(&e, "extern const struct emf_plugin_hooks %s__hooks __attribute__((weak));\n\n", n);
	cg_out(&e, "const struct emf_plugin_desc %s__plugin = {\n", n);
	cg_out(&e, "\t.abi_version = EMF_PLUGIN_ABI_VERSION,\n");
	cg_out(&e, "\t.desc_size = sizeof(struct emf_plugin_desc),\n");
	cg_out(&e, "\t.name = \"%s\",\n", p->file);
	cg_out(&e, "\t.description = \"");
	cg_emit_cstr(&e, p->description);
	cg_out(&e, "\",\n\t.priority = %d,\n", p->priority);
	cg_out(&e, "\t.ops = &%s__ops,\n", n);
	if (p->n_outputs)
		cg_out(&e, "\t.n_outputs = %d,\n\t.outputs = %s__outputs,\n", p->n_outputs, n);
	if (p->n_events)
		cg_out(&e, "\t.n_events = sizeof(%s__events) / sizeof(%s__events[0]),\n\t.events = %s__events,\n", n, n, n);
	if (p->n_options)
		cg_out(&e, "\t.n_options = %d,\n\t.options = %s__options,\n", p->n_options, n);
	cg_out(&e, "\t.source = \"");
	cg_emit_cstr(&e, p->src);
	cg_out(&e, "\",\n");
	cg_out(&e, "\t.hooks = &%s__hooks,\n", n);
	if (p->n_samples)
		cg_out(&e, "\t.n_samples = %d,\n\t.samples = %s__samples,\n", p->n_samples, n);
	if (p->n_options)
		cg_out(&e, "\t.option_size = sizeof(struct emf_option),\n");
	cg_out(&e, "};\n\n");
	cg_out(&e, "#ifndef EMF_PLUGIN_NO_REGISTER\nEMF_PLUGIN_REGISTER(%s, %s__plugin);\n#endif\n\n", n, n);
	cg_out(&e, "/* What emf_runtime__add_file() looks up when this is built as a shared object. */\n");
	cg_out(&e, "EMF_PLUGIN_ENTRY(%s__plugin);\n", n);
	free(e.types);
	return cg_out_end(&e);
}
