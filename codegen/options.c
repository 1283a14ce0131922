// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* emf-codegen: plugin options from the const volatile globals of .rodata. */
#include <ctype.h>
#include <string.h>
#include <bpf/btf.h>

#include "emit.h"

static bool is_ident(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/* Comment text [@b, @e) as one line: markers, leading '*' and runs of blanks dropped. */
static void squeeze(const char *b, const char *e, char *buf, size_t n)
{
	size_t len = 0;
	bool bol = true, space = false;

	for (; b < e && len + 1 < n; b++) {
		if (*b == '\n' || *b == '\r') {
			bol = true;
			space = len > 0;
			continue;
		}
		if (bol && (*b == ' ' || *b == '\t'))
			continue;
		if (bol && (*b == '*' || (*b == '/' && b + 1 < e && b[1] == '/'))) {
			while (b + 1 < e && (b[1] == '*' || b[1] == '/'))
				b++;
			continue;
		}
		bol = false;
		if (*b == ' ' || *b == '\t') {
			space = len > 0;
			continue;
		}
		if ((unsigned char)*b < 0x20)
			continue;
		if (space && len + 2 < n)
			buf[len++] = ' ';
		space = false;
		buf[len++] = *b;
	}
	buf[len] = '\0';
}

/*
 * The declaration of const volatile global @name: where its name is, or NULL.
 * It is the line holding "volatile" before the name and '=' or ';' after it
 * (past an array size); a mention in a comment or an expression is neither.
 */
static const char *find_decl(const char *src, const char *name)
{
	size_t len = strlen(name);
	const char *s;

	for (s = strstr(src, name); s; s = strstr(s + 1, name)) {
		const char *bol = s, *q = s + len;

		if ((s > src && is_ident(s[-1])) || is_ident(*q))
			continue;
		while (bol > src && bol[-1] != '\n')
			bol--;
		if (!memmem(bol, s - bol, "volatile", 8) || memmem(bol, s - bol, "/*", 2) ||
		    memmem(bol, s - bol, "//", 2))
			continue;
		q += strspn(q, " \t");
		if (*q == '[') {
			q = strchr(q, ']');
			if (!q)
				continue;
			q += 1 + strspn(q + 1, " \t");
		}
		if (*q == '=' || *q == ';')
			return s;
	}
	return NULL;
}

void cg_global_doc(const char *src, const char *name, char *buf, size_t n)
{
	const char *s = find_decl(src, name), *end, *bol, *b;

	buf[0] = '\0';
	if (!s)
		return;
	/* Beside it: a comment after the ';' on the same line. */
	end = s + strcspn(s, ";\n");
	if (*end == ';') {
		b = end + 1 + strspn(end + 1, " \t");
		if (b[0] == '/' && b[1] == '*') {
			const char *text = b + 2, *close = strstr(text, "*/");

			squeeze(text, close ?: text + strlen(text), buf, n);
		} else if (b[0] == '/' && b[1] == '/') {
			squeeze(b + 2, b + strcspn(b, "\n"), buf, n);
		}
		if (buf[0])
			return;
	}
	/* Above it: a block comment ending on the line before, or a run of // lines. */
	bol = s;
	while (bol > src && bol[-1] != '\n')
		bol--;
	if (bol == src)
		return;
	end = bol - 1;
	while (end > src && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
		end--;
	if (end - src >= 2 && end[-1] == '/' && end[-2] == '*') {
		for (b = end - 2; b > src && !(b[-1] == '/' && b[0] == '*'); b--)
			;
		if (b > src)
			squeeze(b + 1, end - 2, buf, n);
		return;
	}
	for (b = bol; b > src;) {
		const char *prev = b - 1, *text;

		while (prev > src && prev[-1] != '\n')
			prev--;
		text = prev + strspn(prev, " \t");
		if (strncmp(text, "//", 2))
			break;
		b = prev;
	}
	if (b < bol)
		squeeze(b, bol, buf, n);
}

/* What an option is: its kind, C type and element count; false when not settable from text. */
static bool option_type(struct cg_emitter *e, const struct cg_global *g, const char **kind,
			const char **ctype, __u32 *count, __u32 *el)
{
	__u32 id = cg_resolve(e->btf, g->type_id);
	const struct btf_type *t = cg_type_of(e, id);

	*count = 0;
	*el = id;
	if (btf_is_array(t)) {
		*el = cg_array_elem(e, id, count);
		if (!cg_is_char(e, *el) || !btf_is_int(cg_type_of(e, *el)))
			return false;
		*kind = "EMF_FIELD_STRING";
		*ctype = "const char *";
		return true;
	}
	if (!btf_is_int(t) && !btf_is_any_enum(t) && !btf_is_float(t))
		return false;
	if (btf_is_int(t) && t->size > 8)
		return false;
	*kind = cg_field_kind(e, id);
	*ctype = cg_scalar_ctype(e, id, g->name);
	return *ctype != NULL;
}

/* The declared spelling of a global's type: skip const/volatile, keep typedef names. */
static const char *declared_name(struct cg_emitter *e, __u32 id)
{
	const struct btf_type *t = btf__type_by_id(e->btf, id);

	while (btf_is_mod(t)) {
		id = t->type;
		t = btf__type_by_id(e->btf, id);
	}
	if (btf_is_array(t))
		return "char[]";
	return cg_name_of(e, t);
}

/* Render an option's default, read from the object's .rodata, as text. */
static void default_text(struct cg_emitter *e, const struct cg_global *g, __u32 el, __u32 count,
			 char *buf, size_t n)
{
	const unsigned char *d = e->p->rodata;
	const struct btf_type *t = cg_type_of(e, el);
	__u64 u = 0;
	size_t i;

	if (!d || g->offset + g->size > e->p->rodata_size) {
		snprintf(buf, n, count ? "" : "0");
		return;
	}
	d += g->offset;
	if (count) {
		for (i = 0; i < count && i + 1 < n && d[i]; i++)
			buf[i] = (d[i] < 0x20 || d[i] == '"' || d[i] == '\\') ? '?' : d[i];
		buf[i] = '\0';
		return;
	}
	if (btf_is_float(t)) {
		if (t->size == 4) {
			float f;

			memcpy(&f, d, 4);
			snprintf(buf, n, "%g", f);
		} else {
			double f;

			memcpy(&f, d, 8);
			snprintf(buf, n, "%g", f);
		}
		return;
	}
	memcpy(&u, d, t->size); /* little endian, as BPF on x86 */
	if (btf_is_any_enum(t)) {
		for (i = 0; i < btf_vlen(t); i++) {
			bool is64 = btf_kind(t) == BTF_KIND_ENUM64;
			__u64 v = is64 ? btf_enum64_value(&btf_enum64(t)[i]) : (__u32)btf_enum(t)[i].val;
			__u32 off = is64 ? btf_enum64(t)[i].name_off : btf_enum(t)[i].name_off;

			if ((t->size < 8 ? (v & ((1ULL << (8 * t->size)) - 1)) : v) == u) {
				snprintf(buf, n, "%s", btf__name_by_offset(e->btf, off));
				return;
			}
		}
	}
	if (btf_is_int(t) && (btf_int_encoding(t) & BTF_INT_BOOL)) {
		snprintf(buf, n, "%s", u ? "true" : "false");
	} else if ((btf_is_int(t) && (btf_int_encoding(t) & BTF_INT_SIGNED)) ||
		   (btf_is_any_enum(t) && btf_kflag(t))) {
		int shift = 64 - 8 * t->size;

		snprintf(buf, n, "%lld", (long long)((__s64)(u << shift) >> shift));
	} else {
		snprintf(buf, n, "%llu", (unsigned long long)u);
	}
}

/* Is a typedef named @name on the way from @id to its resolved type? */
static bool has_typedef(const struct cg_emitter *e, __u32 id, const char *const *names)
{
	const struct btf_type *t = btf__type_by_id(e->btf, id);
	int i;

	while (t && (btf_is_typedef(t) || btf_is_mod(t))) {
		for (i = 0; btf_is_typedef(t) && names[i]; i++)
			if (!strcmp(cg_name_of(e, t), names[i]))
				return true;
		t = btf__type_by_id(e->btf, t->type);
	}
	return false;
}

/* The type as a command line shows it: pid, uid, bool, string(15), u16 0-65535, s32... */
static void friendly_type(struct cg_emitter *e, const struct cg_global *g, __u32 el, __u32 count,
			  char *buf, size_t n)
{
	static const char *const pid[] = { "pid_t", "__kernel_pid_t", NULL };
	static const char *const uid[] = { "uid_t", "__kernel_uid32_t", "__kernel_uid_t",
					   "emf_uid_t", NULL };
	static const char *const gid[] = { "gid_t", "__kernel_gid32_t", "__kernel_gid_t",
					   "emf_gid_t", NULL };
	const struct btf_type *t = cg_type_of(e, el);
	size_t len = 0;
	int i;

	if (count) {
		snprintf(buf, n, "string(%u)", count - 1);
	} else if (has_typedef(e, g->type_id, pid)) {
		snprintf(buf, n, "pid");
	} else if (has_typedef(e, g->type_id, uid)) {
		snprintf(buf, n, "uid");
	} else if (has_typedef(e, g->type_id, gid)) {
		snprintf(buf, n, "gid");
	} else if (btf_is_any_enum(t)) {
		/* Its names, as a choice: RED|GREEN|BLUE. */
		buf[0] = '\0';
		for (i = 0; i < btf_vlen(t) && len < n; i++) {
			__u32 off = btf_kind(t) == BTF_KIND_ENUM64 ? btf_enum64(t)[i].name_off :
								     btf_enum(t)[i].name_off;

			len += snprintf(buf + len, n - len, "%s%s", i ? "|" : "",
					btf__name_by_offset(e->btf, off));
		}
	} else if (btf_is_float(t)) {
		snprintf(buf, n, "%s", t->size == 4 ? "float" : "double");
	} else if (btf_int_encoding(t) & BTF_INT_BOOL) {
		snprintf(buf, n, "bool");
	} else if (btf_int_encoding(t) & BTF_INT_SIGNED) {
		snprintf(buf, n, "s%u", 8 * t->size);
	} else if (t->size <= 2) {
		snprintf(buf, n, "u%u 0-%u", 8 * t->size, (1U << (8 * t->size)) - 1);
	} else {
		snprintf(buf, n, "u%u", 8 * t->size);
	}
}

/*
 * The long option of global @i: its name without a target_ or targ_ prefix
 * (libbpf-tools' targ_pid is --pid) unless another option has that name,
 * with '-' for '_'.
 */
static void long_name(struct cg_emitter *e, int i, char *buf, size_t n)
{
	static const char *const prefixes[] = { "target_", "targ_" };
	const char *name = e->p->globals[i].name, *s = name;
	const char *kind, *ctype;
	__u32 count, el;
	size_t k;
	int j;

	for (k = 0; k < 2 && s == name; k++)
		if (!strncmp(name, prefixes[k], strlen(prefixes[k])) &&
		    name[strlen(prefixes[k])])
			s = name + strlen(prefixes[k]);
	for (j = 0; s != name && j < e->p->n_globals; j++)
		if (j != i && !strcmp(e->p->globals[j].name, s) &&
		    option_type(e, &e->p->globals[j], &kind, &ctype, &count, &el))
			s = name;
	snprintf(buf, n, "%s", s);
	for (k = 0; buf[k]; k++)
		if (buf[k] == '_')
			buf[k] = '-';
}

bool cg_option_info(struct cg_emitter *e, const struct cg_global *g, const char **kind,
		    const char **ctype, __u32 *count, __u32 *el, const char **type_name,
		    char *defval, size_t n)
{
	if (!option_type(e, g, kind, ctype, count, el))
		return false;
	*type_name = declared_name(e, g->type_id);
	default_text(e, g, *el, *count, defval, n);
	return true;
}

void cg_option_cli(struct cg_emitter *e, int i, char *friendly, size_t fn, char *lname, size_t ln)
{
	const struct cg_global *g = &e->p->globals[i];
	const char *kind, *ctype;
	__u32 count = 0, el = 0;

	option_type(e, g, &kind, &ctype, &count, &el);
	friendly_type(e, g, el, count, friendly, fn);
	long_name(e, i, lname, ln);
}

void cg_emit_options(struct cg_emitter *e)
{
	struct cg_plugin *p = e->p;
	int i, n = 0;

	for (i = 0; i < p->n_globals; i++) {
		struct cg_global *g = &p->globals[i];
		const char *kind, *ctype;
		__u32 count, el;

		if (!option_type(e, g, &kind, &ctype, &count, &el))
			continue;
		n++;
		if (btf_is_any_enum(cg_type_of(e, el))) {
			char prefix[CG_NAME_MAX + 16];

			snprintf(prefix, sizeof(prefix), "%s_opt", p->name);
			cg_emit_enum_table(e, prefix, i, el);
		}
	}
	p->n_options = n;
	if (!n)
		return;
	cg_out(e, "static const struct emf_option %s__options[] = {\n", p->name);
	for (i = 0; i < p->n_globals; i++) {
		struct cg_global *g = &p->globals[i];
		const char *kind, *ctype;
		char def[512], friendly[256], lname[CG_NAME_MAX];
		__u32 count, el;

		if (!option_type(e, g, &kind, &ctype, &count, &el)) {
			fprintf(stderr, "emf-codegen: note: global '%s' of %s is not an option: only integers, bools, enums, floats and char arrays can be set from text\n",
				g->name, p->src);
			continue;
		}
		default_text(e, g, el, count, def, sizeof(def));
		cg_option_cli(e, i, friendly, sizeof(friendly), lname, sizeof(lname));
		cg_out(e, "\t{\n\t\t.name = \"%s\",\n\t\t.type_name = \"%s\",\n", g->name,
		    declared_name(e, g->type_id));
		cg_out(e, "\t\t.kind = %s,\n", kind);
		cg_out(e, "\t\t.offset = %u,\n\t\t.size = %u,\n", g->offset, g->size);
		if (count)
			cg_out(e, "\t\t.count = %u,\n", count);
		cg_out(e, "\t\t.defval = \"%s\",\n", def);
		if (btf_is_any_enum(cg_type_of(e, el)))
			cg_out(e, "\t\t.n_enum_values = %d,\n\t\t.enum_values = %s_opt__enum%d,\n",
			    btf_vlen(cg_type_of(e, el)), p->name, i);
		cg_out(e, "\t\t.description = \"");
		cg_emit_cstr(e, g->doc);
		cg_out(e, "\",\n");
		cg_out(e, "\t\t.friendly_type = \"%s\",\n\t\t.long_name = \"%s\",\n", friendly,
		       lname);
		cg_out(e, "\t},\n");
	}
	cg_out(e, "};\n\n");
}

/* Typed setters: one per option, through the SDK's checked setter. */
void cg_emit_setters(struct cg_emitter *e)
{
	struct cg_plugin *p = e->p;
	int i;

	for (i = 0; i < p->n_globals; i++) {
		struct cg_global *g = &p->globals[i];
		const char *kind, *ctype;
		__u32 count, el;

		if (!option_type(e, g, &kind, &ctype, &count, &el))
			continue;
		cg_out(e, "/*\n * %s__set_%s - set option %s before the plugin is loaded\n", p->name,
		       g->name, g->name);
		cg_out(e, " *\n * Returns 0 or a negative errno.\n */\n");
		if (count) {
			cg_out(e, "static inline int %s__set_%s(struct emf_plugin *plugin, const char *v)\n{\n",
			    p->name, g->name);
			cg_out(e, "\treturn emf_plugin__set_option(plugin, \"%s\", v);\n}\n\n", g->name);
		} else {
			cg_out(e, "static inline int %s__set_%s(struct emf_plugin *plugin, %s v)\n{\n",
			    p->name, g->name, ctype);
			cg_out(e, "\treturn emf_plugin__set_option_raw(plugin, \"%s\", &v, sizeof(v));\n}\n\n",
			    g->name);
		}
	}
}

