// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * emf-codegen: the event structs, named by the compiled object. The structs
 * an event header defines are those whose DWARF says they were declared in
 * it (DW_AT_decl_file), in the order of their lines: the compiler's word, not
 * a reading of the C. DWARF is asked rather than BTF because it also
 * describes what only local variables use, such as the struct a program
 * reserves in a ring buffer through a local pointer, which clang leaves out
 * of BTF (cg_write_anchor() then brings it in).
 */
#include <dwarf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <bpf/btf.h>
#include <elfutils/libdw.h>

#include "codegen.h"

struct found {
	char name[CG_NAME_MAX + 8]; /* as C spells the type: "struct X", or "Y" */
	int line;
};

struct walk {
	struct stat hdr; /* the header's file, told by its inode */
	const char *comp_dir; /* what relative file names are relative to */
	struct found *v;
	int n;
	int err;
};

/* Was @die declared in the header? */
static bool in_header(struct walk *w, Dwarf_Die *die)
{
	const char *file = dwarf_decl_file(die);
	char path[PATH_MAX];
	struct stat st;

	if (!file)
		return false;
	if (file[0] != '/' && w->comp_dir) {
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", w->comp_dir, file) >=
		    sizeof(path))
			return false;
		file = path;
	}
	return !stat(file, &st) && st.st_dev == w->hdr.st_dev && st.st_ino == w->hdr.st_ino;
}

static void add(struct walk *w, const char *name, Dwarf_Die *die)
{
	struct found *v;
	int i, line = 0;

	for (i = 0; i < w->n; i++)
		if (!strcmp(w->v[i].name, name))
			return;
	v = realloc(w->v, (w->n + 1) * sizeof(*v));
	if (!v) {
		w->err = -ENOMEM;
		return;
	}
	w->v = v;
	dwarf_decl_line(die, &line);
	snprintf(v[w->n].name, sizeof(v[w->n].name), "%s", name);
	v[w->n].line = line;
	w->n++;
}

/* "struct X" for a struct X defined in the header, "Y" for its typedef of an anonymous struct. */
static void visit(struct walk *w, Dwarf_Die *die)
{
	Dwarf_Attribute attr;
	Dwarf_Die child, type;
	const char *name = dwarf_diename(die);
	char spelled[CG_NAME_MAX + 8];
	int tag = dwarf_tag(die);

	if (tag == DW_TAG_structure_type && name && !dwarf_hasattr(die, DW_AT_declaration) &&
	    in_header(w, die)) {
		snprintf(spelled, sizeof(spelled), "struct %s", name);
		add(w, spelled, die);
	} else if (tag == DW_TAG_typedef && name &&
		   dwarf_formref_die(dwarf_attr(die, DW_AT_type, &attr), &type) &&
		   dwarf_tag(&type) == DW_TAG_structure_type && !dwarf_diename(&type) &&
		   in_header(w, die)) {
		add(w, name, die);
	}
	if (w->err || dwarf_child(die, &child))
		return;
	do
		visit(w, &child);
	while (!w->err && !dwarf_siblingof(&child, &child));
}

static int by_line(const void *a, const void *b)
{
	return ((const struct found *)a)->line - ((const struct found *)b)->line;
}

int cg_header_structs(const char *obj, const char *hdr, char ***names, int *cnt)
{
	struct walk w = {};
	Dwarf_Off off = 0, next;
	size_t hsize;
	Dwarf *dw;
	int fd, i;

	*names = NULL;
	*cnt = 0;
	if (stat(hdr, &w.hdr)) {
		w.err = -errno;
		cg_err("failed to read event header %s: %s\n", hdr, strerror(errno));
		return w.err;
	}
	fd = open(obj, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		w.err = -errno;
		cg_err("failed to open %s: %s\n", obj, strerror(errno));
		return w.err;
	}
	dw = dwarf_begin(fd, DWARF_C_READ);
	if (!dw) {
		cg_err("%s has no DWARF to find the structs of %s in (%s): is it built with -g?\n",
		       obj, hdr, dwarf_errmsg(-1));
		close(fd);
		return -ENOENT;
	}
	while (!w.err && !dwarf_nextcu(dw, off, &next, &hsize, NULL, NULL, NULL)) {
		Dwarf_Attribute attr;
		Dwarf_Die cu;

		if (dwarf_offdie(dw, off + hsize, &cu)) {
			w.comp_dir = dwarf_formstring(dwarf_attr(&cu, DW_AT_comp_dir, &attr));
			visit(&w, &cu);
		}
		off = next;
	}
	dwarf_end(dw);
	close(fd);
	if (w.n)
		qsort(w.v, w.n, sizeof(*w.v), by_line);
	for (i = 0; !w.err && i < w.n; i++)
		w.err = cg_add_name(names, cnt, w.v[i].name);
	free(w.v);
	return w.err;
}

bool cg_btf_has(const struct btf *btf, char *const *names, int cnt)
{
	__u32 id;
	int i;

	for (i = 0; i < cnt; i++)
		if (cg_find_struct(btf, names[i], &id))
			return false;
	return true;
}

/* Is @name (of an EMF_EVENT() tag) among @names, as "struct NAME" or a typedef "NAME"? */
static bool named(const char *name, char *const *names, int cnt)
{
	int i;

	for (i = 0; i < cnt; i++)
		if (!strcmp(names[i], name) ||
		    (!strncmp(names[i], "struct ", 7) && !strcmp(names[i] + 7, name)))
			return true;
	return false;
}

bool cg_tags_named(const struct btf *btf, char *const *names, int cnt)
{
	int i, n = btf__type_cnt(btf);

	for (i = 1; i < n; i++) {
		const struct btf_type *t = btf__type_by_id(btf, i);
		const char *s = btf__name_by_offset(btf, t->name_off);

		if (btf_is_decl_tag(t) && s && !strncmp(s, CG_EVENT_TAG, strlen(CG_EVENT_TAG)) &&
		    !named(s + strlen(CG_EVENT_TAG), names, cnt))
			return false;
	}
	return true;
}

bool cg_sends_events(const struct btf *btf)
{
	int i, id = btf__find_by_name_kind(btf, ".maps", BTF_KIND_DATASEC);
	const struct btf_type *sec;
	const struct btf_var_secinfo *vs;

	if (id <= 0)
		return false;
	sec = btf__type_by_id(btf, id);
	vs = btf_var_secinfos(sec);
	for (i = 0; i < btf_vlen(sec); i++, vs++)
		if (cg_is_event_map(cg_map_type(btf, vs->type)))
			return true;
	return false;
}
