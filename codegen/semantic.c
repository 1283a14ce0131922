// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * emf-codegen: semantic types (<emf/types.h>). A member declared with one of
 * its typedefs, or tagged EMF_ARGV, is rendered by what it means: an address,
 * a name for a number, a list of strings. Found by name in the object's BTF,
 * where the compiler left the typedef; compiled into the renderers here.
 */
#include <errno.h>
#include <string.h>
#include <bpf/btf.h>

#include "emit.h"

#define EMF_ARGV_TAG "emf.argv"
#define EMF_KSTACK_TAG "emf.kstack"
#define EMF_USTACK_TAG "emf.ustack:" /* then the name of the pid member */

/* size 0: any integer size. */
static const struct cg_special_info {
	const char *type;
	int size;
	enum cg_special sp;
	const char *sem; /* enum emf_semantic */
	const char *fmt; /* text formatter, emf_fmt_X(p, value) */
	const char *cast; /* of the value passed to it */
	int width; /* text column */
} specials[] = {
	{ "emf_ipv4_t", 4, CG_IPV4, NULL, "emf_fmt_ipv4", "", 15 },
	{ "emf_ipaddr_t", 16, CG_IPADDR, NULL, "emf_fmt_ipaddr", "", 15 },
	{ "emf_ktime_t", 8, CG_KTIME, "EMF_SEM_KTIME", NULL, NULL, 0 },
	{ "emf_boottime_t", 8, CG_BOOTTIME, "EMF_SEM_BOOTTIME", NULL, NULL, 0 },
	{ "emf_errno_t", 0, CG_NAMED, "EMF_SEM_ERRNO", "emf_fmt_errno", "(int64_t)", 7 },
	{ "emf_ret_t", 0, CG_NAMED, "EMF_SEM_RET", "emf_fmt_ret", "(int64_t)", 7 },
	{ "emf_signal_t", 0, CG_NAMED, "EMF_SEM_SIGNAL", "emf_fmt_signal", "(int64_t)", 9 },
	{ "emf_uid_t", 0, CG_NAMED, "EMF_SEM_UID", "emf_fmt_uid", "(uint32_t)", 8 },
	{ "emf_gid_t", 0, CG_NAMED, "EMF_SEM_GID", "emf_fmt_gid", "(uint32_t)", 8 },
	{ "emf_syscall_t", 0, CG_NAMED, "EMF_SEM_SYSCALL", "emf_fmt_syscall", "(int64_t)", 12 },
	{ "emf_open_flags_t", 0, CG_NAMED, "EMF_SEM_OPEN_FLAGS", "emf_fmt_open_flags",
	  "(uint64_t)(uint32_t)", 18 },
	{ "emf_mode_t", 0, CG_NAMED, "EMF_SEM_MODE", "emf_fmt_mode", "(uint64_t)", 5 },
};

/* struct emf_endpoint, found by its struct name (a typedef of it is seen through). */
static const struct cg_special_info endpoint_info = { "emf_endpoint", 18, CG_ENDPOINT, NULL,
						      "emf_fmt_endpoint", NULL, 21 };

static const struct cg_special_info argv_info = { "EMF_ARGV", 0, CG_ARGV, "EMF_SEM_ARGV", NULL,
						  NULL, 16 };
static const struct cg_special_info kstack_info = { "EMF_KSTACK", 0, CG_KSTACK, "EMF_SEM_KSTACK",
						    "emf_fmt_kstack", NULL, 24 };
static const struct cg_special_info ustack_info = { "EMF_USTACK", 0, CG_USTACK, "EMF_SEM_USTACK",
						    "emf_fmt_ustack", NULL, 24 };

static const struct cg_special_info *info_of_type(const struct cg_emitter *e, __u32 id)
{
	const struct btf_type *t = cg_type_of(e, id);
	__s64 size = btf__resolve_size(e->btf, id);
	size_t i;

	while (btf_is_typedef(t) || btf_is_mod(t)) {
		for (i = 0; btf_is_typedef(t) && i < sizeof(specials) / sizeof(specials[0]); i++) {
			const struct btf_type *rt = cg_type_of(e, cg_resolve(e->btf, id));

			if (strcmp(cg_name_of(e, t), specials[i].type))
				continue;
			if (specials[i].size ? size == specials[i].size :
					       btf_is_int(rt) && size <= 8)
				return &specials[i];
		}
		id = t->type;
		t = cg_type_of(e, id);
	}
	if (btf_is_struct(t) && size == endpoint_info.size &&
	    !strcmp(cg_name_of(e, t), endpoint_info.type))
		return &endpoint_info;
	return NULL;
}

/* The decl tag of member @i of struct @sid that starts with @prefix, or NULL. */
static const char *member_tag(const struct cg_emitter *e, __u32 sid, int i, const char *prefix)
{
	int k, n = btf__type_cnt(e->btf);

	for (k = 1; k < n; k++) {
		const struct btf_type *t = cg_type_of(e, k);

		if (btf_is_decl_tag(t) && t->type == sid && btf_decl_tag(t)->component_idx == i &&
		    !strncmp(cg_name_of(e, t), prefix, strlen(prefix)))
			return cg_name_of(e, t);
	}
	return NULL;
}

/* The element count of member @i when it is an array whose elements satisfy @want; else 0. */
static __u32 array_of(const struct cg_emitter *e, __u32 sid, int i, bool stack)
{
	const struct btf_member *m = btf_members(cg_type_of(e, sid)) + i;
	__u32 id = cg_resolve(e->btf, m->type), cnt, el;

	if (!btf_is_array(cg_type_of(e, id)))
		return 0;
	el = cg_array_elem(e, id, &cnt);
	if (stack)
		return btf_is_int(cg_type_of(e, el)) && cg_type_of(e, el)->size == 8 ? cnt : 0;
	return cg_is_char(e, el) ? cnt : 0;
}

/* Is member @i of struct @sid tagged EMF_ARGV, and a char array? */
static bool is_argv(const struct cg_emitter *e, __u32 sid, int i)
{
	return array_of(e, sid, i, false) && member_tag(e, sid, i, EMF_ARGV_TAG);
}

/* The index of the member of @sid named @name, or -1. */
static int member_index(const struct cg_emitter *e, __u32 sid, const char *name)
{
	const struct btf_type *st = cg_type_of(e, sid);
	int k;

	for (k = 0; k < btf_vlen(st); k++)
		if (!strcmp(btf__name_by_offset(e->btf, btf_members(st)[k].name_off), name))
			return k;
	return -1;
}

int cg_special_pid_field(const struct cg_emitter *e, __u32 sid, int i)
{
	const char *tag = member_tag(e, sid, i, EMF_USTACK_TAG);
	const struct btf_type *pt;
	int k;

	if (!tag)
		return -1;
	k = member_index(e, sid, tag + strlen(EMF_USTACK_TAG));
	if (k < 0 || btf_member_bitfield_size(cg_type_of(e, sid), k))
		return -1;
	pt = cg_type_of(e, cg_resolve(e->btf, btf_members(cg_type_of(e, sid))[k].type));
	return btf_is_int(pt) && pt->size == 4 ? k : -1;
}

int cg_special_check(const struct cg_emitter *e, __u32 sid)
{
	const struct btf_type *st = cg_type_of(e, sid);
	const char *sn = btf__name_by_offset(e->btf, st->name_off), *tag;
	int i;

	for (i = 0; i < btf_vlen(st); i++) {
		const char *mn = btf__name_by_offset(e->btf, btf_members(st)[i].name_off);

		tag = member_tag(e, sid, i, EMF_KSTACK_TAG) ?: member_tag(e, sid, i, EMF_USTACK_TAG);
		if (tag && !array_of(e, sid, i, true)) {
			cg_err("%s on member '%s' of struct %s in %s: want an array of 64-bit integers (__u64 %s[N])\n",
			       strncmp(tag, EMF_KSTACK_TAG, strlen(EMF_KSTACK_TAG)) ? "EMF_USTACK" :
										"EMF_KSTACK",
			       mn, sn, e->p->hdr, mn);
			return -EINVAL;
		}
		tag = member_tag(e, sid, i, EMF_USTACK_TAG);
		if (tag && cg_special_pid_field(e, sid, i) < 0) {
			cg_err("EMF_USTACK(%s) on member '%s' of struct %s in %s: want the name of a 32-bit integer member of struct %s holding the process id\n",
			       tag + strlen(EMF_USTACK_TAG), mn, sn, e->p->hdr, sn);
			return -EINVAL;
		}
	}
	return 0;
}

static const struct cg_special_info *info_of(const struct cg_emitter *e, __u32 sid, int i)
{
	const struct btf_type *st = cg_type_of(e, sid);

	if (btf_member_bitfield_size(st, i))
		return NULL;
	if (is_argv(e, sid, i))
		return &argv_info;
	if (array_of(e, sid, i, true) && member_tag(e, sid, i, EMF_KSTACK_TAG))
		return &kstack_info;
	if (array_of(e, sid, i, true) && cg_special_pid_field(e, sid, i) >= 0)
		return &ustack_info;
	return info_of_type(e, btf_members(st)[i].type);
}

enum cg_special cg_special_of(const struct cg_emitter *e, __u32 sid, int i)
{
	const struct cg_special_info *in = info_of(e, sid, i);

	return in ? in->sp : CG_PLAIN;
}

const char *cg_type_sem(const struct cg_emitter *e, __u32 id)
{
	const struct cg_special_info *in = info_of_type(e, id);

	return in ? in->sem : NULL;
}

const char *cg_special_sem(const struct cg_emitter *e, __u32 sid, int i)
{
	const struct cg_special_info *in = info_of(e, sid, i);

	return in ? in->sem : NULL;
}

int cg_special_width(const struct cg_emitter *e, __u32 sid, int i)
{
	const struct cg_special_info *in = info_of(e, sid, i);

	return in ? in->width : 0;
}

size_t cg_special_max(const struct cg_emitter *e, __u32 sid, int i, bool json, size_t plain)
{
	enum cg_special sp = cg_special_of(e, sid, i);

	if (sp == CG_IPV4 || sp == CG_IPADDR)
		return EMF_FMT_ADDR_MAX_CG + 2;
	if (sp == CG_ENDPOINT)
		return EMF_FMT_ENDPOINT_MAX_CG;
	if (sp == CG_KSTACK || sp == CG_USTACK)
		return (size_t)array_of(e, sid, i, true) * (CG_FMT_FRAME_MAX + 3) + 2;
	if (sp == CG_NAMED)
		/* The number, then ,"NAME_name":"..." (at most 6 bytes per byte escaped). */
		return json ? plain + CG_NAME_MAX + 8 + CG_FMT_NAME_MAX * 6 + 2 : CG_FMT_NAME_MAX;
	return plain; /* argv: as the char array it is */
}

/* The C expression of the pid member beside member @i, whose expression is @expr. */
static void pid_expr(const struct cg_emitter *e, __u32 sid, int i, const char *expr, char *buf,
		     size_t n)
{
	const char *dot = strrchr(expr, '.'), *arrow = strstr(expr, "->"), *cut;
	int k = cg_special_pid_field(e, sid, i);
	const struct btf_member *m = btf_members(cg_type_of(e, sid)) + k;

	/* expr is "BASE.member" or "e->member": the pid is a sibling. */
	cut = dot && (!arrow || dot > arrow) ? dot + 1 : arrow ? arrow + 2 : expr;
	snprintf(buf, n, "%.*s%s", (int)(cut - expr), expr, btf__name_by_offset(e->btf, m->name_off));
}

bool cg_emit_special(struct cg_emitter *e, __u32 sid, int i, const char *expr, const char *limit,
		     bool json, int ind)
{
	const struct cg_special_info *in = info_of(e, sid, i);
	__u32 cnt;

	if (!in || in->sp == CG_KTIME || in->sp == CG_BOOTTIME)
		return false;
	switch (in->sp) {
	case CG_IPV4:
	case CG_IPADDR:
		if (json)
			cg_emit_lit(e, ind, "\"");
		cg_out(e, "%*sp = %s(p, %s);\n", ind, "", in->fmt, expr);
		if (json)
			cg_emit_lit(e, ind, "\"");
		return true;
	case CG_ENDPOINT:
		cg_out(e, "%*sp = emf_fmt_endpoint(p, %s.addr, %s.port, %s);\n", ind, "", expr, expr,
		       json ? "true" : "false");
		return true;
	case CG_KSTACK:
	case CG_USTACK: {
		char lim[32], pid[600];

		snprintf(lim, sizeof(lim), "%u", array_of(e, sid, i, true));
		if (in->sp == CG_KSTACK) {
			cg_out(e, "%*sp = emf_fmt_kstack(p, %s, %s, %s);\n", ind, "", expr, limit ?: lim,
			       json ? "true" : "false");
			return true;
		}
		pid_expr(e, sid, i, expr, pid, sizeof(pid));
		cg_out(e, "%*sp = emf_fmt_ustack(p, %s, %s, (uint32_t)%s, %s);\n", ind, "", expr,
		       limit ?: lim, pid, json ? "true" : "false");
		return true;
	}
	case CG_ARGV: {
		char lim[32];

		cg_array_elem(e, cg_resolve(e->btf, btf_members(cg_type_of(e, sid))[i].type), &cnt);
		snprintf(lim, sizeof(lim), "%u", cnt);
		cg_out(e, "%*sp = emf_fmt_argv(p, %s, %s, %s);\n", ind, "", expr, limit ?: lim,
		       json ? "true" : "false");
		return true;
	}
	case CG_NAMED:
		if (!json) {
			cg_out(e, "%*sp = %s(p, %s%s);\n", ind, "", in->fmt, in->cast, expr);
			return true;
		}
		return false; /* the number as usual, then cg_emit_special_name() */
	default:
		return false;
	}
}

void cg_emit_special_name(struct cg_emitter *e, __u32 sid, int i, const char *mn,
			  const char *expr, int ind)
{
	const struct cg_special_info *in = info_of(e, sid, i);
	char lit[CG_NAME_MAX + 16];

	if (!in || in->sp != CG_NAMED)
		return;
	snprintf(lit, sizeof(lit), ",\"%s_name\":", mn);
	cg_emit_lit(e, ind, lit);
	/* Names other than users' and groups' are plain ASCII: no escaping to do. */
	if (strcmp(in->fmt, "emf_fmt_uid") && strcmp(in->fmt, "emf_fmt_gid")) {
		cg_emit_lit(e, ind, "\"");
		cg_out(e, "%*sp = %s(p, %s%s);\n", ind, "", in->fmt, in->cast, expr);
		cg_emit_lit(e, ind, "\"");
		return;
	}
	cg_out(e, "%*s{\n", ind, "");
	cg_out(e, "%*schar nb[EMF_FMT_NAME_MAX], *q = %s(nb, %s%s);\n\n", ind + 8, "", in->fmt,
	       in->cast, expr);
	cg_out(e, "%*sp = emf_fmt_json_str(p, nb, q - nb);\n", ind + 8, "");
	cg_out(e, "%*s}\n", ind, "");
}

bool cg_emit_special_jansson(struct cg_emitter *e, __u32 sid, int i, const char *mn,
			     const char *expr, const char *limit, const char *obj, int ind)
{
	const struct cg_special_info *in = info_of(e, sid, i);
	__u32 cnt;

	if (!in)
		return false;
	switch (in->sp) {
	case CG_IPV4:
	case CG_IPADDR:
		cg_out(e, "%*s{\n%*schar a[EMF_FMT_ADDR_MAX], *q = %s(a, %s);\n", ind, "", ind + 8, "",
		       in->fmt, expr);
		cg_out(e, "%*sjson_t *sv = json_stringn(a, q - a);\n\n", ind + 8, "");
		break;
	case CG_ENDPOINT:
		cg_out(e, "%*s{\n%*sjson_t *sv = emf_json_endpoint(%s.addr, %s.port);\n\n", ind, "",
		       ind + 8, "", expr, expr);
		break;
	case CG_KSTACK:
		cg_out(e, "%*s{\n%*sjson_t *sv = emf_json_kstack(%s, ", ind, "", ind + 8, "", expr);
		if (limit)
			cg_out(e, "%s);\n\n", limit);
		else
			cg_out(e, "%u);\n\n", array_of(e, sid, i, true));
		break;
	case CG_USTACK: {
		char pid[600];

		pid_expr(e, sid, i, expr, pid, sizeof(pid));
		cg_out(e, "%*s{\n%*sjson_t *sv = emf_json_ustack(%s, ", ind, "", ind + 8, "", expr);
		if (limit)
			cg_out(e, "%s, (uint32_t)%s);\n\n", limit, pid);
		else
			cg_out(e, "%u, (uint32_t)%s);\n\n", array_of(e, sid, i, true), pid);
		break;
	}
	case CG_ARGV:
		cg_array_elem(e, cg_resolve(e->btf, btf_members(cg_type_of(e, sid))[i].type), &cnt);
		cg_out(e, "%*s{\n%*sjson_t *sv = emf_json_argv(%s, ", ind, "", ind + 8, "", expr);
		if (limit)
			cg_out(e, "%s);\n\n", limit);
		else
			cg_out(e, "%u);\n\n", cnt);
		break;
	case CG_NAMED:
		cg_out(e, "%*s{\n%*schar nb[EMF_FMT_NAME_MAX], *q = %s(nb, %s%s);\n", ind, "",
		       ind + 8, "", in->fmt, in->cast, expr);
		cg_out(e, "%*sjson_t *sv = emf_json_str(nb, q - nb);\n\n", ind + 8, "");
		break;
	default:
		return false;
	}
	cg_out(e, "%*sif (!sv || json_object_set_new(%s, \"%s%s\", sv))\n", ind + 8, "", obj, mn,
	       in->sp == CG_NAMED ? "_name" : "");
	cg_out(e, "%*sgoto err;\n%*s}\n", ind + 16, "", ind, "");
	/* A named number keeps its number too: the caller sets that member. */
	return in->sp != CG_NAMED;
}
