// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* emf-codegen --describe: the plugin's schema as JSON, from the same model as the decoder. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <jansson.h>
#include <bpf/libbpf.h>

#include "emit.h"

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return 0;
}

static json_t *describe_programs(struct cg_plugin *p)
{
	libbpf_print_fn_t old = libbpf_set_print(quiet);
	struct bpf_object *obj = bpf_object__open_file(p->obj_path, NULL);
	json_t *progs = json_array();
	struct bpf_program *prog;

	libbpf_set_print(old);
	if (!obj)
		return progs;
	bpf_object__for_each_program(prog, obj) {
		const char *type = libbpf_bpf_prog_type_str(bpf_program__type(prog));

		json_array_append_new(progs, json_pack("{s:s, s:s, s:s}", "name",
						       bpf_program__name(prog), "section",
						       bpf_program__section_name(prog), "type",
						       type ?: "unknown"));
	}
	bpf_object__close(obj);
	return progs;
}

static json_t *describe_maps(struct cg_plugin *p)
{
	libbpf_print_fn_t old = libbpf_set_print(quiet);
	struct bpf_object *obj = bpf_object__open_file(p->obj_path, NULL);
	json_t *maps = json_array();
	struct bpf_map *map;
	int i;

	libbpf_set_print(old);
	if (!obj)
		return maps;
	bpf_object__for_each_map(map, obj) {
		const char *type = libbpf_bpf_map_type_str(bpf_map__type(map));
		json_t *m = json_pack("{s:s, s:s}", "name", bpf_map__name(map), "type",
				      type ?: "unknown");

		for (i = 0; i < p->n_outputs; i++)
			if (!strcmp(p->outputs[i].map, bpf_map__name(map)))
				json_object_set_new(m, "event",
						    json_string(p->events[p->outputs[i].event].name));
		json_array_append_new(maps, m);
	}
	bpf_object__close(obj);
	return maps;
}

/* What a member's type (<emf/types.h>) says it is: "errno", "endpoint"...; NULL for plain. */
static const char *semantic_of(struct cg_emitter *e, __u32 sid, int i, char *buf, size_t n)
{
	static const char *const names[] = {
		[CG_IPV4] = "ipv4",	    [CG_IPADDR] = "ipaddr", [CG_KTIME] = "ktime",
		[CG_BOOTTIME] = "boottime", [CG_ARGV] = "argv",	    [CG_ENDPOINT] = "endpoint",
		[CG_KSTACK] = "kstack",	    [CG_USTACK] = "ustack",
	};
	enum cg_special s = cg_special_of(e, sid, i);
	const char *sem;
	size_t j;

	if (s == CG_NAMED && (sem = cg_special_sem(e, sid, i)) && !strncmp(sem, "EMF_SEM_", 8)) {
		for (j = 0; sem[8 + j] && j + 1 < n; j++)
			buf[j] = tolower((unsigned char)sem[8 + j]);
		buf[j] = '\0';
		return buf;
	}
	return s < sizeof(names) / sizeof(names[0]) ? names[s] : NULL;
}

static json_t *describe_fields(struct cg_emitter *e, __u32 id)
{
	const struct btf_type *t = cg_type_of(e, id);
	const struct btf_member *m = btf_members(t);
	json_t *fields = json_array();
	int i, j;

	for (i = 0; i < btf_vlen(t); i++, m++) {
		__u32 mid = cg_resolve(e->btf, m->type), cnt = 0;
		__u32 el = btf_is_array(cg_type_of(e, mid)) ? cg_array_elem(e, mid, &cnt) : mid;
		const struct btf_type *et = cg_type_of(e, el);
		__u32 bits = btf_member_bit_offset(t, i), bsz = btf_member_bitfield_size(t, i);
		const char *kind = cg_field_kind(e, el) + strlen("EMF_FIELD_");
		char lower[16], sem[32];
		json_t *f;

		if (cnt && cg_is_char(e, el) && btf_is_int(et))
			kind = "STRING";
		for (j = 0; kind[j] && j < 15; j++)
			lower[j] = kind[j] | 0x20;
		lower[j] = '\0';
		f = json_pack("{s:s, s:s, s:i, s:i, s:i}", "name",
			      btf__name_by_offset(e->btf, m->name_off), "kind", lower, "offset",
			      (int)(bits / 8), "size",
			      (int)(bsz ? (bsz + 7) / 8 : btf__resolve_size(e->btf, mid)), "count",
			      (int)cnt);
		if (semantic_of(e, id, i, sem, sizeof(sem)))
			json_object_set_new(f, "semantic",
					    json_string(semantic_of(e, id, i, sem, sizeof(sem))));
		if (bsz) {
			json_object_set_new(f, "bit_offset", json_integer(bits % 8));
			json_object_set_new(f, "bit_size", json_integer(bsz));
		}
		if (btf_is_any_enum(et)) {
			json_t *names = json_array();

			for (j = 0; j < btf_vlen(et); j++) {
				__u32 off = btf_is_enum(et) ? btf_enum(et)[j].name_off :
							      btf_enum64(et)[j].name_off;

				json_array_append_new(names,
						      json_string(btf__name_by_offset(e->btf, off)));
			}
			json_object_set_new(f, "enum", names);
		}
		if (btf_is_composite(et))
			json_object_set_new(f, "fields", describe_fields(e, el));
		json_array_append_new(fields, f);
	}
	return fields;
}

int cg_describe(struct cg_plugin *p, FILE *f)
{
	struct cg_emitter e = { .p = p, .btf = p->btf, .f = f };
	json_t *root, *events = json_array(), *options = json_array();
	int i, err;

	for (i = 0; i < p->n_events; i++) {
		const struct btf_type *t = cg_type_of(&e, p->events[i].type_id);

		json_array_append_new(events,
				      json_pack("{s:s, s:i, s:b, s:o}", "name", p->events[i].name,
						"size", (int)t->size, "nested", p->events[i].nested,
						"fields", describe_fields(&e, p->events[i].type_id)));
	}
	for (i = 0; i < p->n_globals; i++) {
		const char *kind, *ctype, *tname;
		char def[512], friendly[256], lname[CG_NAME_MAX];
		__u32 count, el;

		if (!cg_option_info(&e, &p->globals[i], &kind, &ctype, &count, &el, &tname, def,
				    sizeof(def)))
			continue;
		cg_option_cli(&e, i, friendly, sizeof(friendly), lname, sizeof(lname));
		json_array_append_new(options,
				      json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "name",
						p->globals[i].name, "type", tname, "default", def,
						"description", p->globals[i].doc, "friendly_type",
						friendly, "long_name", lname));
	}
	root = json_pack("{s:s, s:s, s:i, s:o, s:o, s:o, s:o}", "plugin", p->file, "description",
			 p->description, "priority", p->priority, "programs",
			 describe_programs(p), "maps", describe_maps(p), "events", events,
			 "options", options);
	if (!root)
		return -ENOMEM;
	err = json_dumpf(root, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', f);
	json_decref(root);
	return err ? -EIO : 0;
}
