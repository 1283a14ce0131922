// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* emf-codegen: plugin options from the const volatile globals of .rodata. */
#include <string.h>
#include <bpf/btf.h>

#include "emit.h"

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
		char def[512];
		__u32 count, el;

		if (!option_type(e, g, &kind, &ctype, &count, &el)) {
			fprintf(stderr, "emf-codegen: note: global '%s' of %s is not an option: only integers, bools, enums, floats and char arrays can be set from text\n",
				g->name, p->src);
			continue;
		}
		default_text(e, g, el, count, def, sizeof(def));
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

