// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * emf-codegen: the plugin model. The event structs (those the object's DWARF
 * says the event header declares, dwarf.c), their layout, the output maps,
 * the const volatile globals and the plugin's EMF_PLUGIN_INFO all come from
 * the compiled object (DWARF, BTF and ELF), so what is generated matches
 * what the kernel runs.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/btf.h>

#include "codegen.h"

__u32 cg_resolve(const struct btf *btf, __u32 id)
{
	const struct btf_type *t = btf__type_by_id(btf, id);

	while (t && (btf_is_typedef(t) || btf_is_mod(t) || btf_kind(t) == BTF_KIND_TYPE_TAG)) {
		id = t->type;
		t = btf__type_by_id(btf, id);
	}
	return id;
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET))
		goto out;
	buf = malloc(n + 1);
	if (!buf)
		goto out;
	if (fread(buf, 1, n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
		goto out;
	}
	buf[n] = '\0';
	*len = n;
out:
	fclose(f);
	return buf;
}

int cg_add_name(char ***names, int *cnt, const char *name)
{
	char **v;
	int i;

	for (i = 0; i < *cnt; i++)
		if (!strcmp((*names)[i], name))
			return 0;
	v = realloc(*names, (*cnt + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	*names = v;
	v[*cnt] = strdup(name);
	if (!v[*cnt])
		return -ENOMEM;
	(*cnt)++;
	return 0;
}

int cg_find_struct(const struct btf *btf, const char *name, __u32 *id)
{
	int i = -ENOENT;

	if (!strncmp(name, "struct ", 7)) {
		i = btf__find_by_name_kind(btf, name + 7, BTF_KIND_STRUCT);
	} else {
		/* typedef struct { ... } name; */
		i = btf__find_by_name_kind(btf, name, BTF_KIND_TYPEDEF);
		if (i > 0) {
			i = cg_resolve(btf, i);
			if (!btf_is_struct(btf__type_by_id(btf, i)))
				i = -ENOENT;
		}
	}
	if (i <= 0)
		return -ENOENT;
	*id = i;
	return 0;
}

/* Does struct @outer contain @inner (through arrays and typedefs)? */
static bool contains(const struct btf *btf, __u32 outer, __u32 inner)
{
	const struct btf_type *t = btf__type_by_id(btf, outer);
	const struct btf_member *m = btf_members(t);
	int i;

	for (i = 0; i < btf_vlen(t); i++, m++) {
		__u32 id = cg_resolve(btf, m->type);
		const struct btf_type *mt = btf__type_by_id(btf, id);

		while (btf_is_array(mt)) {
			id = cg_resolve(btf, btf_array(mt)->type);
			mt = btf__type_by_id(btf, id);
		}
		if (id == inner)
			return true;
		if ((btf_is_struct(mt) || btf_is_union(mt)) && contains(btf, id, inner))
			return true;
	}
	return false;
}

int cg_map_type(const struct btf *btf, __u32 var_id)
{
	const struct btf_type *t = btf__type_by_id(btf, cg_resolve(btf, btf__type_by_id(btf, var_id)->type));
	const struct btf_member *m;
	int i;

	if (!btf_is_struct(t))
		return -1;
	m = btf_members(t);
	for (i = 0; i < btf_vlen(t); i++, m++) {
		const struct btf_type *pt;

		if (strcmp(btf__name_by_offset(btf, m->name_off), "type"))
			continue;
		pt = btf__type_by_id(btf, m->type);
		if (!btf_is_ptr(pt))
			return -1;
		pt = btf__type_by_id(btf, pt->type);
		return btf_is_array(pt) ? (int)btf_array(pt)->nelems : -1;
	}
	return -1;
}

/* The event a map is declared to carry with EMF_EVENT(), or NULL. */
static const char *event_tag_of(const struct btf *btf, __u32 var_id)
{
	int i, n = btf__type_cnt(btf);

	for (i = 1; i < n; i++) {
		const struct btf_type *t = btf__type_by_id(btf, i);
		const char *s;

		if (!btf_is_decl_tag(t) || t->type != var_id || btf_decl_tag(t)->component_idx != -1)
			continue;
		s = btf__name_by_offset(btf, t->name_off);
		if (!strncmp(s, CG_EVENT_TAG, strlen(CG_EVENT_TAG)))
			return s + strlen(CG_EVENT_TAG);
	}
	return NULL;
}

static int find_event(const struct cg_plugin *p, const char *name)
{
	int i;

	for (i = 0; i < p->n_events; i++)
		if (!strcmp(p->events[i].name, name))
			return i;
	return -1;
}

/* Is struct @id the key or value type of a map of the .maps section? */
static bool map_kv_type(const struct btf *btf, const struct btf_type *sec, __u32 id)
{
	const struct btf_var_secinfo *vs = btf_var_secinfos(sec);
	int i, j;

	for (i = 0; i < btf_vlen(sec); i++, vs++) {
		const struct btf_type *t = btf__type_by_id(
			btf, cg_resolve(btf, btf__type_by_id(btf, vs->type)->type));
		const struct btf_member *m;

		if (!btf_is_struct(t))
			continue;
		m = btf_members(t);
		for (j = 0; j < btf_vlen(t); j++, m++) {
			const char *n = btf__name_by_offset(btf, m->name_off);
			const struct btf_type *pt = btf__type_by_id(btf, m->type);

			if ((strcmp(n, "key") && strcmp(n, "value")) || !btf_is_ptr(pt))
				continue;
			if (cg_resolve(btf, pt->type) == id)
				return true;
		}
	}
	return false;
}

/* How many top-level header structs there are, @only one of them: the one, or "event". */
static int event_in_map(const struct cg_plugin *p, int *only)
{
	int j, n = 0, named = -1;

	for (j = 0; j < p->n_events; j++) {
		if (p->events[j].nested)
			continue;
		n++;
		*only = j;
		if (!strcmp(p->events[j].name, "event"))
			named = j;
	}
	if (n > 1 && named >= 0) {
		*only = named;
		return 1;
	}
	return n;
}

static int build_outputs(struct cg_plugin *p, const struct btf_type *sec)
{
	const struct btf_var_secinfo *vs = btf_var_secinfos(sec);
	int i, j, candidates = 0, only = -1;

	/* Candidates: header structs neither nested in another nor kept in a map. */
	for (j = 0; j < p->n_events; j++) {
		if (!p->events[j].nested && !map_kv_type(p->btf, sec, p->events[j].type_id)) {
			candidates++;
			only = j;
		}
	}
	/*
	 * None: the event is kept in a map too, as libbpf-tools' execsnoop keeps
	 * it in a hash from entry to exit, or others in a per-CPU array as a
	 * scratch buffer. Then the one top-level struct, or the one named "event".
	 */
	if (!candidates)
		candidates = event_in_map(p, &only);
	for (i = 0; i < btf_vlen(sec); i++, vs++) {
		const struct btf_type *var = btf__type_by_id(p->btf, vs->type);
		const char *mname = btf__name_by_offset(p->btf, var->name_off);
		int mtype = cg_map_type(p->btf, vs->type);
		struct cg_output *o;
		const char *tag;

		if (!cg_is_event_map(mtype))
			continue;
		o = realloc(p->outputs, (p->n_outputs + 1) * sizeof(*o));
		if (!o)
			return -ENOMEM;
		p->outputs = o;
		o = &p->outputs[p->n_outputs++];
		snprintf(o->map, sizeof(o->map), "%s", mname);
		o->perf = mtype == 4;
		tag = event_tag_of(p->btf, vs->type);
		if (tag) {
			o->event = find_event(p, tag);
			if (o->event < 0) {
				cg_err("map '%s' of %s is declared to carry struct %s, which %s does not define\n",
				       mname, p->src, tag, p->hdr ?: "its missing event header");
				return -ENOENT;
			}
		} else if (candidates == 1) {
			o->event = only;
		} else if (candidates == 0) {
			if (!p->hdr)
				cg_err("map '%s' of %s sends events, but the plugin has no event header %s.h that defines their struct\n",
				       mname, p->src, p->file);
			else
				cg_err("map '%s' of %s sends events, but the object knows no struct of %s: does the .bpf.c include it?\n",
				       mname, p->src, p->hdr);
			return -ENOENT;
		} else {
			cg_err("map '%s' of %s: %s defines %d event structs; declare which one the map carries with EMF_EVENT(NAME) on the map (see <emf/emf.bpf.h>)\n",
			       mname, p->src, p->hdr, candidates);
			return -EINVAL;
		}
	}
	return 0;
}

/* A copy of ELF section @name of the object; NULL (and *size 0) when absent. */
static void *read_section(const char *path, const char *name, size_t *size)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	void *copy = NULL;
	Elf *elf;
	int fd;

	*size = 0;
	elf_version(EV_CURRENT);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf || elf_getshdrstrndx(elf, &shstrndx))
		goto out;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		const char *sname;
		Elf_Data *data;

		if (!gelf_getshdr(scn, &sh))
			continue;
		sname = elf_strptr(elf, shstrndx, sh.sh_name);
		if (!sname || strcmp(sname, name))
			continue;
		data = elf_getdata(scn, NULL);
		if (data && data->d_buf && data->d_size) {
			copy = malloc(data->d_size);
			if (copy) {
				memcpy(copy, data->d_buf, data->d_size);
				*size = data->d_size;
			}
		}
		break;
	}
out:
	if (elf)
		elf_end(elf);
	close(fd);
	return copy;
}

static int build_globals(struct cg_plugin *p, const struct btf_type *sec)
{
	const struct btf_var_secinfo *vs = btf_var_secinfos(sec);
	size_t len;
	char *src;
	int i;

	p->rodata = read_section(p->obj_path, ".rodata", &p->rodata_size);
	/* Descriptions are comments, which BTF does not keep: read them from the source. */
	src = read_file(p->src, &len);

	for (i = 0; i < btf_vlen(sec); i++, vs++) {
		const struct btf_type *var = btf__type_by_id(p->btf, vs->type);
		const char *name = btf__name_by_offset(p->btf, var->name_off);
		struct cg_global *g;

		if (!btf_is_var(var) || btf_var(var)->linkage == BTF_VAR_STATIC ||
		    !strncmp(name, "__", 2))
			continue;
		g = realloc(p->globals, (p->n_globals + 1) * sizeof(*g));
		if (!g) {
			free(src);
			return -ENOMEM;
		}
		p->globals = g;
		g = &p->globals[p->n_globals++];
		snprintf(g->name, sizeof(g->name), "%s", name);
		g->type_id = var->type;
		g->offset = vs->offset;
		g->size = vs->size;
		cg_global_doc(src ?: "", name, g->doc, sizeof(g->doc));
	}
	free(src);
	return 0;
}

/* Read EMF_PLUGIN_INFO from the object's .emf.info section, when there is one. */
static int read_info(struct cg_plugin *p, const struct btf_type *sec)
{
	const struct btf_var_secinfo *vs = btf_var_secinfos(sec);
	size_t size;
	char *d;
	int prio;

	d = btf_vlen(sec) == 1 && vs->size >= 260 ? read_section(p->obj_path, ".emf.info", &size) :
						    NULL;
	if (!d || size < vs->offset + 260) {
		free(d);
		cg_err("failed to read EMF_PLUGIN_INFO of %s: malformed .emf.info section\n", p->src);
		return -EINVAL;
	}
	memcpy(p->description, d + vs->offset, sizeof(p->description) - 1);
	p->description[sizeof(p->description) - 1] = '\0';
	memcpy(&prio, d + vs->offset + 256, sizeof(prio));
	p->priority = prio;
	free(d);
	return 0;
}

int cg_model_build(struct cg_plugin *p)
{
	char **names;
	int cnt, i, j, err = 0, n;

	p->priority = 50;
	p->btf = btf__parse(p->obj_path, NULL);
	if (!p->btf) {
		err = -errno;
		cg_err("failed to read BTF of the object built from %s: %s; is clang emitting BTF (-g)?\n",
		       p->src, strerror(errno));
		return err;
	}
	names = p->struct_names;
	cnt = p->n_struct_names;
	p->events = calloc(cnt ?: 1, sizeof(*p->events));
	if (!p->events) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < cnt; i++) {
		struct cg_event *e = &p->events[p->n_events];

		if (cg_find_struct(p->btf, names[i], &e->type_id)) {
			cg_err("%s of %s is not in the BTF of the object built from %s: does the .bpf.c include the event header?\n",
			       names[i], p->hdr, p->src);
			err = -ENOENT;
			goto out;
		}
		snprintf(e->name, sizeof(e->name), "%s",
			 strncmp(names[i], "struct ", 7) ? names[i] : names[i] + 7);
		p->n_events++;
	}
	for (i = 0; i < p->n_events; i++)
		for (j = 0; j < p->n_events; j++)
			if (i != j && contains(p->btf, p->events[j].type_id, p->events[i].type_id))
				p->events[i].nested = true;

	n = btf__type_cnt(p->btf);
	for (i = 1; i < n && !err; i++) {
		const struct btf_type *t = btf__type_by_id(p->btf, i);
		const char *name;

		if (!btf_is_datasec(t))
			continue;
		name = btf__name_by_offset(p->btf, t->name_off);
		if (!strcmp(name, ".maps")) {
			err = build_outputs(p, t);
			if (!err)
				err = cg_build_samples(p, t);
		} else if (!strcmp(name, ".rodata"))
			err = build_globals(p, t);
		else if (!strcmp(name, ".emf.info"))
			err = read_info(p, t);
	}
out:
	return err;
}

void cg_names_free(char ***names, int *cnt)
{
	while (*cnt)
		free((*names)[--*cnt]);
	free(*names);
	*names = NULL;
}

void cg_model_free(struct cg_plugin *p)
{
	cg_names_free(&p->struct_names, &p->n_struct_names);
	btf__free(p->btf);
	free(p->events);
	free(p->outputs);
	free(p->globals);
	free(p->samples);
	p->samples = NULL;
	p->n_samples = 0;
	free(p->rodata);
	p->rodata = NULL;
	p->btf = NULL;
	p->events = NULL;
	p->outputs = NULL;
	p->globals = NULL;
}
