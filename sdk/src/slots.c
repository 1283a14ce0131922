// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Shared tail-call slots: named entries of pinned prog arrays, one array per
 * program kind, that plugins' BPF code calls and fills (<emf/slots.bpf.h>).
 *
 * At start, after every plugin is open and before any loads, the runtime
 * reads each object's BTF once: the programs that fill slots (decl tag
 * emf.slot:NAME), the calls (.rodata variables named __emf_slot__NAME
 * made by emf_tail_call()) and the programs marked as callers. It checks that
 * each slot has one filler and one program kind, then, holding the pin
 * root's lock, gives each slot name an index in the shared registry, writes
 * the indices into the callers' .rodata (which load freezes, so the verifier
 * sees constants and the JIT emits direct tail calls) and points each
 * caller's emf_slots and emf_slot_missed maps at the pinned ones. A slot is
 * filled when its plugin attaches and emptied when it detaches (slots_end.c
 * removes what a run no longer uses); a plugin of the same name filling a
 * slot replaces the program in one map update.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include <emf/errno.h>
#include <emf/slots.h>

#include "kernel.h"
#include "log_internal.h"
#include "runtime_internal.h"

#define SLOT_VAR "__emf_slot__"
#define TAG_SLOT "emf.slot:"
#define TAG_CALLER "emf.caller"
#define TABLE_MAP "emf_slots"
#define MISSED_MAP "emf_slot_missed"

/*
 * What the kernel matches when it puts a program in a prog array, as a name:
 * program type, expected attach type, XDP frags, sleepable and, for programs
 * whose context is a BTF function, the attach target. libbpf applies the
 * frags and sleepable flags only at load, so they come from the section name.
 */
static void prog_kind(const struct bpf_program *prog, char *buf, size_t n)
{
	enum bpf_prog_type type = bpf_program__type(prog);
	enum bpf_attach_type eat = bpf_program__expected_attach_type(prog);
	const char *ts = libbpf_bpf_prog_type_str(type) ?: "unknown";
	const char *as = libbpf_bpf_attach_type_str(eat);
	const char *sec = bpf_program__section_name(prog) ?: "";
	const char *slash = strchr(sec, '/');
	size_t pfx = slash ? (size_t)(slash - sec) : strlen(sec);
	__u32 flags = bpf_program__flags(prog);
	size_t len;
	char *c;

	len = snprintf(buf, n, "%s", ts);
	/* 0 is a real attach type only for cgroup_skb (ingress). */
	if (as && (eat || type == BPF_PROG_TYPE_CGROUP_SKB) && strcmp(as, ts) && len < n)
		len += snprintf(buf + len, n - len, ".%s", as);
	if (((flags & BPF_F_XDP_HAS_FRAGS) || (pfx > 6 && !strncmp(sec + pfx - 6, ".frags", 6))) &&
	    len < n)
		len += snprintf(buf + len, n - len, ".frags");
	if (((flags & BPF_F_SLEEPABLE) || (pfx > 2 && !strncmp(sec + pfx - 2, ".s", 2))) && len < n)
		len += snprintf(buf + len, n - len, ".sleepable");
	if ((type == BPF_PROG_TYPE_TRACING || type == BPF_PROG_TYPE_LSM ||
	     type == BPF_PROG_TYPE_EXT) &&
	    slash && len < n)
		snprintf(buf + len, n - len, ":%s", slash + 1);
	/* A kind names a file under ROOT/slots. */
	for (c = buf; *c; c++)
		if (*c == '/')
			*c = '_';
}

static bool valid_name(const char *s, size_t max)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (!(s[i] == '_' || (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (i && s[i] >= '0' && s[i] <= '9')))
			return false;
	return i > 0 && i < max;
}

static struct emf_slot *find_slot(struct emf_share *sh, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < sh->n_slots; i++)
		if (strlen(sh->slots[i].name) == len && !strncmp(sh->slots[i].name, name, len))
			return &sh->slots[i];
	return NULL;
}

static int add_slot(struct emf_runtime *rt, struct emf_plugin *p, const char *name, size_t len,
		    struct emf_slot **slot)
{
	struct emf_share *sh = &rt->share;
	char buf[EMF_SLOT_NAME_MAX];
	struct emf_slot *v;

	*slot = find_slot(sh, name, len);
	if (*slot)
		return 0;
	snprintf(buf, sizeof(buf), "%.*s", (int)len, name);
	if (len >= EMF_SLOT_NAME_MAX || !valid_name(buf, EMF_SLOT_NAME_MAX))
		return emf__share_error(
			rt, -EINVAL,
			"plugin '%s' failed to share slot '%.*s': a slot name is a C identifier of at most %d characters",
			emf_plugin__name(p), (int)len, name, EMF_SLOT_NAME_MAX - 1);
	v = realloc(sh->slots, (sh->n_slots + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	sh->slots = v;
	*slot = &v[sh->n_slots++];
	memset(*slot, 0, sizeof(**slot));
	memcpy((*slot)->name, name, len);
	(*slot)->table = -1;
	return 0;
}

/* A slot takes the kind of its first caller or filler; every other must agree. */
static int set_kind(struct emf_runtime *rt, struct emf_plugin *p, struct emf_slot *s,
		    const char *kind, bool fills, const char *what)
{
	if (!s->kind[0]) {
		snprintf(s->kind, sizeof(s->kind), "%s", kind);
		snprintf(s->kind_from, sizeof(s->kind_from), "%s", emf_plugin__name(p));
		s->kind_how = fills ? "fills" : "calls";
		return 0;
	}
	if (!strcmp(s->kind, kind))
		return 0;
	return emf__share_error(
		rt, -EMF_ERRNO__INCOMPAT,
		"plugin '%s' failed to share slot '%s': it %s, but plugin '%s' %s it as a slot of kind %s; a tail call reaches only programs of the caller's kind (program type, attach type and target, XDP frags, sleepable): %s differs from %s",
		emf_plugin__name(p), s->name, what, s->kind_from, s->kind_how, s->kind, kind,
		s->kind);
}

/* The programs of @p that fill slots (decl tag emf.slot:NAME on the program). */
static int scan_fillers(struct emf_runtime *rt, struct emf_plugin *p)
{
	struct bpf_object *obj = emf_plugin__object(p);
	const char *name, *fn;
	int cursor = 1, err;

	while ((name = emf__share_tag(p, &cursor, TAG_SLOT, &fn))) {
		struct bpf_program *prog = bpf_object__find_program_by_name(obj, fn);
		char kind[EMF_SLOT_KIND_MAX], what[160];
		struct emf_slot *s;

		err = add_slot(rt, p, name, strlen(name), &s);
		if (err)
			return err;
		if (!prog)
			return emf__share_error(
				rt, -EINVAL,
				"plugin '%s' failed to share slot '%s': EMF_SLOT() marks function %s(), which is not a program of the object (give it a SEC())",
				emf_plugin__name(p), s->name, fn);
		if (s->filler)
			return emf__share_error(
				rt, -EBUSY,
				"plugin '%s' failed to share slot '%s': plugin '%s' fills it too (program %s()); one program fills a slot: rename one of the slots",
				emf_plugin__name(p), s->name, emf_plugin__name(s->filler),
				bpf_program__name(s->prog));
		prog_kind(prog, kind, sizeof(kind));
		snprintf(what, sizeof(what), "fills it with program %s() of kind %s", fn, kind);
		err = set_kind(rt, p, s, kind, true, what);
		if (err)
			return err;
		s->filler = p;
		s->prog = prog;
		/* It runs through the slot, not at its section's hook point as well. */
		bpf_program__set_autoattach(prog, false);
	}
	return 0;
}

/* The kind of the emf_slots table of @p: its marked callers', or all its programs'. */
static int caller_kind(struct emf_runtime *rt, struct emf_plugin *p, char *kind, size_t n)
{
	struct bpf_object *obj = emf_plugin__object(p);
	char k[EMF_SLOT_KIND_MAX], first[EMF_SLOT_KIND_MAX] = "", firstprog[64] = "";
	struct bpf_program *prog;
	const char *tag, *fn = "";
	int cursor = 1;
	bool marked = false;

	while ((tag = emf__share_tag(p, &cursor, TAG_CALLER, &fn))) {
		prog = bpf_object__find_program_by_name(obj, fn);
		if (!prog)
			return emf__share_error(
				rt, -EINVAL,
				"plugin '%s' failed to share slots: EMF_SLOT_CALLER marks function %s(), which is not a program of the object",
				emf_plugin__name(p), fn);
		prog_kind(prog, k, sizeof(k));
		if (first[0] && strcmp(first, k))
			goto mixed;
		snprintf(first, sizeof(first), "%s", k);
		snprintf(firstprog, sizeof(firstprog), "%s", fn);
		marked = true;
	}
	if (!marked) {
		bpf_object__for_each_program(prog, obj) {
			if (!bpf_program__autoload(prog))
				continue;
			fn = bpf_program__name(prog);
			prog_kind(prog, k, sizeof(k));
			if (first[0] && strcmp(first, k))
				goto mixed;
			snprintf(first, sizeof(first), "%s", k);
			snprintf(firstprog, sizeof(firstprog), "%s", fn);
		}
	}
	if (!first[0])
		return emf__share_error(
			rt, -EINVAL,
			"plugin '%s' failed to share slots: it calls slots but loads no program",
			emf_plugin__name(p));
	snprintf(kind, n, "%s", first);
	return 0;
mixed:
	return emf__share_error(
		rt, -EMF_ERRNO__INCOMPAT,
		"plugin '%s' failed to share slots: it calls slots and %s programs of several kinds (%s() is %s, %s() is %s), and a prog array serves one kind; %s",
		emf_plugin__name(p), marked ? "marks as callers" : "has", firstprog, first, fn, k,
		marked ? "make the callers of one kind" :
			 "mark the programs that call slots with EMF_SLOT_CALLER");
}

static int add_user(struct emf_runtime *rt, struct emf_plugin *p, const char *kind)
{
	struct emf_share *sh = &rt->share;
	struct emf_slot_user *v = realloc(sh->users, (sh->n_users + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	sh->users = v;
	v += sh->n_users++;
	v->plugin = p;
	snprintf(v->kind, sizeof(v->kind), "%s", kind);
	v->table = -1;
	return 0;
}

static struct emf_slot_user *user_of(struct emf_share *sh, const struct emf_plugin *p)
{
	size_t i;

	for (i = 0; i < sh->n_users; i++)
		if (sh->users[i].plugin == p)
			return &sh->users[i];
	return NULL;
}

/* The calls of @p: every .rodata variable emf_tail_call() made. */
static int scan_calls(struct emf_runtime *rt, struct emf_plugin *p)
{
	struct emf_share *sh = &rt->share;
	struct bpf_object *obj = emf_plugin__object(p);
	struct btf *btf = bpf_object__btf(obj);
	size_t first = sh->n_sites, i;
	char kind[EMF_SLOT_KIND_MAX] = "", what[160];
	struct bpf_map *map;
	int id, n, err;

	n = btf ? (int)btf__type_cnt(btf) : 0;
	for (id = 1; id < n; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		const struct btf_var_secinfo *vs;
		const char *sec;
		int j;

		if (!btf_is_datasec(t))
			continue;
		sec = btf__name_by_offset(btf, t->name_off);
		if (strncmp(sec, ".rodata", 7))
			continue;
		map = bpf_object__find_map_by_name(obj, sec);
		vs = btf_var_secinfos(t);
		for (j = 0; j < btf_vlen(t); j++, vs++) {
			const char *vn = btf__name_by_offset(btf, btf__type_by_id(btf, vs->type)->name_off);
			const char *slot = strstr(vn, SLOT_VAR), *dot;
			struct emf_slot_site *v;
			struct emf_slot *s;

			if (!slot || vs->size != 4)
				continue;
			slot += strlen(SLOT_VAR);
			/* "func.__emf_slot__NAME" or, for a second call in func, "...NAME.1". */
			dot = strchr(slot, '.');
			err = add_slot(rt, p, slot, dot ? (size_t)(dot - slot) : strlen(slot), &s);
			if (err)
				return err;
			if (!map)
				return emf__share_error(
					rt, -ENOENT,
					"plugin '%s' failed to share slot '%s': no map holds section %s",
					emf_plugin__name(p), s->name, sec);
			v = realloc(sh->sites, (sh->n_sites + 1) * sizeof(*v));
			if (!v)
				return -ENOMEM;
			sh->sites = v;
			v += sh->n_sites++;
			v->plugin = p;
			v->slot = s - sh->slots;
			v->rodata = map;
			v->offset = vs->offset;
			if (!s->caller)
				s->caller = p;
		}
	}
	if (sh->n_sites == first) {
		/* Calls nothing: keep the BPF-side maps of <emf/slots.bpf.h> out of the kernel. */
		map = bpf_object__find_map_by_name(obj, TABLE_MAP);
		if (map)
			bpf_map__set_autocreate(map, false);
		map = bpf_object__find_map_by_name(obj, MISSED_MAP);
		if (map)
			bpf_map__set_autocreate(map, false);
		return 0;
	}
	if (!bpf_object__find_map_by_name(obj, TABLE_MAP) ||
	    !bpf_object__find_map_by_name(obj, MISSED_MAP))
		return emf__share_error(
			rt, -ENOENT,
			"plugin '%s' failed to share slots: its object calls slots but lacks the %s or %s map of <emf/slots.bpf.h>",
			emf_plugin__name(p), TABLE_MAP, MISSED_MAP);
	err = caller_kind(rt, p, kind, sizeof(kind));
	if (err)
		return err;
	snprintf(what, sizeof(what), "calls it from programs of kind %s", kind);
	for (i = first; i < sh->n_sites; i++) {
		err = set_kind(rt, p, &sh->slots[sh->sites[i].slot], kind, false, what);
		if (err)
			return err;
	}
	return add_user(rt, p, kind);
}

static int check_map(struct emf_runtime *rt, int fd, const char *path, enum bpf_map_type type,
		     __u32 key, __u32 value, __u32 max)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	if (rt->kernel->obj_info(fd, &info, &len))
		return emf__share_error(rt, -errno, "slots: failed to read %s: %s", path,
					emf_strerror(-errno));
	if (info.type == type && info.key_size == key && info.value_size == value &&
	    info.max_entries == max)
		return 0;
	return emf__share_error(
		rt, -EMF_ERRNO__INCOMPAT,
		"slots: %s is not what this SDK expects there (%s map, key %u B, value %u B, %u entries; found %s, key %u B, value %u B, %u entries): another version of emf made it; stop its users and remove it",
		path, libbpf_bpf_map_type_str(type), key, value, max,
		libbpf_bpf_map_type_str(info.type) ?: "unknown", info.key_size, info.value_size,
		info.max_entries);
}

/* The pinned map at ROOT/slots/@file, created and pinned when missing. */
static int open_pinned(struct emf_runtime *rt, const char *file, const char *kname,
		       enum bpf_map_type type, __u32 key, __u32 value, uint32_t *id)
{
	char path[PATH_MAX], at[PATH_MAX];
	int fd, err;

	snprintf(path, sizeof(path), "%s/slots/%s", emf__share_root(rt), file);
	fd = rt->kernel->obj_get(emf__share_path(rt, "slots", file, at, sizeof(at)));
	if (fd < 0 && errno != ENOENT)
		return emf__share_error(rt, -errno, "slots: failed to open pinned map %s: %s", path,
					emf_strerror(-errno));
	if (fd < 0) {
		fd = rt->kernel->map_create(type, kname, key, value, EMF_SLOTS_MAX, NULL);
		if (fd < 0)
			return emf__share_error(rt, -errno, "slots: failed to create %s: %s", path,
						emf_strerror(-errno));
		if (rt->kernel->obj_pin(fd, at)) {
			err = -errno;
			close(fd);
			return emf__share_error(rt, err, "slots: failed to pin %s: %s", path,
						emf_strerror(err));
		}
		pr_debug("slots: created %s\n", path);
	}
	err = check_map(rt, fd, path, type, key, value, EMF_SLOTS_MAX);
	if (err) {
		close(fd);
		return err;
	}
	*id = emf__share_map_id(rt, fd);
	return fd;
}

static int table_of(struct emf_runtime *rt, const char *kind)
{
	struct emf_share *sh = &rt->share;
	struct emf_slot_table *v;
	uint32_t id;
	size_t i;
	int fd;

	for (i = 0; i < sh->n_tables; i++)
		if (!strcmp(sh->tables[i].kind, kind))
			return (int)i;
	v = realloc(sh->tables, (sh->n_tables + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	sh->tables = v;
	fd = open_pinned(rt, kind, TABLE_MAP, BPF_MAP_TYPE_PROG_ARRAY, 4, 4, &id);
	if (fd < 0)
		return fd;
	v += sh->n_tables;
	snprintf(v->kind, sizeof(v->kind), "%s", kind);
	v->fd = fd;
	v->map_id = id;
	return (int)sh->n_tables++;
}

/* Give each new slot of the run its index in the registry: the one it has, or a free one. */
static int register_slots(struct emf_runtime *rt, struct emf_plugin *p)
{
	struct emf_share *sh = &rt->share;
	struct emf_slot_rec *recs = NULL;
	uint32_t i, free_idx;
	size_t k;
	int err = 0;

	for (k = 0; k < sh->n_slots; k++) {
		struct emf_slot *s = &sh->slots[k];

		if (s->table >= 0)
			continue;
		if (!recs) {
			recs = calloc(EMF_SLOTS_MAX, sizeof(*recs));
			if (!recs)
				return -ENOMEM;
			for (i = 0; i < EMF_SLOTS_MAX; i++) {
				if (rt->kernel->map_lookup(sh->names_fd, &i, &recs[i])) {
					err = emf__share_error(
						rt, -errno,
						"plugin '%s' failed to share slots: failed to read the slot registry: %s",
						emf_plugin__name(p), emf_strerror(-errno));
					goto out;
				}
				recs[i].name[EMF_SLOT_NAME_MAX - 1] = '\0';
				recs[i].kind[EMF_SLOT_KIND_MAX - 1] = '\0';
			}
		}
		free_idx = EMF_SLOTS_MAX;
		for (i = 0; i < EMF_SLOTS_MAX; i++) {
			if (!strcmp(recs[i].name, s->name))
				break;
			if (!recs[i].name[0] && free_idx == EMF_SLOTS_MAX)
				free_idx = i;
		}
		if (i < EMF_SLOTS_MAX && strcmp(recs[i].kind, s->kind)) {
			err = emf__share_error(
				rt, -EMF_ERRNO__INCOMPAT,
				"plugin '%s' failed to share slot '%s': it %s it as a slot of kind %s, but under %s the slot is of kind %s (other plugins still use it); a tail call reaches only programs of the caller's kind: stop those plugins or rename the slot",
				emf_plugin__name(p), s->name, s->filler == p ? "fills" : "calls",
				s->kind, emf__share_root(rt), recs[i].kind);
			goto out;
		}
		if (i == EMF_SLOTS_MAX) {
			if (free_idx == EMF_SLOTS_MAX) {
				err = emf__share_error(
					rt, -ENOSPC,
					"plugin '%s' failed to share slot '%s': all %d slots under %s are taken",
					emf_plugin__name(p), s->name, EMF_SLOTS_MAX,
					emf__share_root(rt));
				goto out;
			}
			i = free_idx;
			memset(&recs[i], 0, sizeof(recs[i]));
			snprintf(recs[i].name, sizeof(recs[i].name), "%s", s->name);
			snprintf(recs[i].kind, sizeof(recs[i].kind), "%s", s->kind);
			if (rt->kernel->map_update(sh->names_fd, &i, &recs[i], BPF_ANY)) {
				err = emf__share_error(
					rt, -errno,
					"plugin '%s' failed to share slot '%s': failed to register it: %s",
					emf_plugin__name(p), s->name, emf_strerror(-errno));
				goto out;
			}
			pr_debug("slots: slot '%s' (%s) is index %u\n", s->name, s->kind, i);
		}
		s->index = i;
		err = table_of(rt, s->kind);
		if (err < 0)
			goto out;
		s->table = err;
		err = 0;
	}
out:
	free(recs);
	return err;
}

/* A slot filled by a plugin of another name (another runtime or process) is not ours to take. */
static int check_taken(struct emf_runtime *rt, struct emf_slot *s)
{
	struct emf_slot_rec rec = {};
	uint32_t id = emf__slot_prog_id(rt, s);

	if (!id)
		return 0;
	emf__slot_rec_read(rt, s->index, &rec);
	if (!strcmp(rec.owner, emf_plugin__name(s->filler)))
		return 0; /* a reload: the fill replaces it in one update */
	if (rec.owner[0])
		return emf__share_error(
			rt, -EBUSY,
			"plugin '%s' failed to share slot '%s': plugin '%s' of another runtime or process fills it (program id %u); stop that plugin first",
			emf_plugin__name(s->filler), s->name, rec.owner, id);
	return emf__share_error(
		rt, -EBUSY,
		"plugin '%s' failed to share slot '%s': program id %u, which emf did not put there, fills it in %s/slots/%s; remove it first",
		emf_plugin__name(s->filler), s->name, id, emf__share_root(rt), s->kind);
}

/* Write the index of each slot @p calls into its call sites, one .rodata image at a time. */
static int write_indices(struct emf_runtime *rt, struct emf_plugin *p)
{
	struct emf_share *sh = &rt->share;
	size_t i, j;

	for (i = 0; i < sh->n_sites; i++) {
		struct bpf_map *map = sh->sites[i].rodata;
		const void *cur;
		size_t size;
		char *data;
		int err;

		if (sh->sites[i].plugin != p)
			continue;
		for (j = 0; j < i; j++)
			if (sh->sites[j].rodata == map)
				break;
		if (j < i)
			continue; /* done with an earlier site of the same image */
		cur = bpf_map__initial_value(map, &size);
		data = cur ? malloc(size) : NULL;
		if (!data)
			return cur ? -ENOMEM : -EINVAL;
		memcpy(data, cur, size);
		for (j = i; j < sh->n_sites; j++) {
			uint32_t idx = sh->slots[sh->sites[j].slot].index;

			if (sh->sites[j].rodata != map)
				continue;
			if (sh->sites[j].offset + sizeof(idx) > size) {
				free(data);
				return -EINVAL;
			}
			memcpy(data + sh->sites[j].offset, &idx, sizeof(idx));
		}
		err = bpf_map__set_initial_value(map, data, size);
		free(data);
		if (err)
			return emf__share_error(
				rt, err,
				"plugin '%s' failed to share slots: failed to write slot indices into %s: %s",
				emf_plugin__name(p), bpf_map__name(map), emf_strerror(err));
	}
	return 0;
}

/* The kernel part of @p's slots, holding the lock: registry, tables, indices, maps. */
static int slots_share(struct emf_runtime *rt, struct emf_plugin *p)
{
	struct emf_share *sh = &rt->share;
	struct emf_slot_user *u;
	struct bpf_object *obj;
	size_t i;
	int err;

	if (sh->names_fd < 0) {
		err = emf__share_mkdir(rt, "slots");
		if (err)
			return err;
		sh->names_fd = open_pinned(rt, "names", "emf_slot_names", BPF_MAP_TYPE_ARRAY, 4,
					   sizeof(struct emf_slot_rec), &sh->names_id);
		if (sh->names_fd < 0)
			return sh->names_fd;
		sh->missed_fd = open_pinned(rt, "missed", MISSED_MAP, BPF_MAP_TYPE_PERCPU_ARRAY, 4,
					    8, &sh->missed_id);
		if (sh->missed_fd < 0)
			return sh->missed_fd;
	}
	err = register_slots(rt, p);
	if (err)
		return err;
	for (i = 0; i < sh->n_slots; i++) {
		if (sh->slots[i].filler != p)
			continue;
		err = check_taken(rt, &sh->slots[i]);
		if (err)
			return err;
	}
	u = user_of(sh, p);
	if (!u)
		return 0;
	err = write_indices(rt, p);
	if (err)
		return err;
	err = table_of(rt, u->kind);
	if (err < 0)
		return err;
	u->table = err;
	obj = emf_plugin__object(p);
	err = rt->kernel->map_reuse_fd(bpf_object__find_map_by_name(obj, TABLE_MAP),
				       sh->tables[u->table].fd);
	if (!err)
		err = rt->kernel->map_reuse_fd(bpf_object__find_map_by_name(obj, MISSED_MAP),
					       sh->missed_fd);
	if (err)
		return emf__share_error(
			rt, err,
			"plugin '%s' failed to share slots: failed to use the shared prog array of kind %s: %s",
			emf_plugin__name(p), u->kind, emf_strerror(err));
	return 0;
}

static bool uses_slots(const struct emf_share *sh, const struct emf_plugin *p)
{
	size_t i;

	for (i = 0; i < sh->n_slots; i++)
		if (sh->slots[i].filler == p)
			return true;
	return user_of((struct emf_share *)sh, p) != NULL;
}

int emf__slots_prepare(struct emf_plugin *p)
{
	struct emf_runtime *rt = p->rt;
	struct emf_share *sh = &rt->share;
	int err;

	if (!emf_plugin__object(p))
		return 0; /* no libbpf object: nothing it could share */
	if (!sh->active) {
		sh->active = true;
		sh->lock_fd = sh->names_fd = sh->missed_fd = -1;
		sh->root_fd = sh->slots_fd = sh->maps_fd = -1;
	}
	/* First what needs no kernel: the declarations and their agreement. */
	err = scan_fillers(rt, p);
	if (!err)
		err = scan_calls(rt, p);
	if (!err && uses_slots(sh, p)) {
		if (sh->ncpus <= 0)
			sh->ncpus = rt->kernel->possible_cpus();
		err = sh->ncpus > 0 ? emf__share_lock(rt, true) : -EINVAL;
		if (!err)
			err = slots_share(rt, p);
	}
	if (!err)
		err = emf__shmap_prepare(p);
	if (err)
		/* Nothing of it stays: a refused plugin leaves the others as they were. */
		emf__slots_forget(rt, p);
	return err;
}

/* Remember @p's programs, loaded but not attached yet, to wait for their end at teardown. */
static void record_programs(struct emf_runtime *rt, struct emf_plugin *p)
{
	struct emf_share *sh = &rt->share;
	struct bpf_object *obj = emf_plugin__object(p);
	struct bpf_program *prog;
	size_t n = 0;
	void *v;

	if (!obj)
		return;
	bpf_object__for_each_program(prog, obj)
		n++;
	v = realloc(sh->progs, (sh->n_progs + n + 1) * sizeof(*sh->progs));
	if (!v)
		return; /* teardown then keeps the pins a dying program still uses */
	sh->progs = v;
	bpf_object__for_each_program(prog, obj) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);

		int fd = rt->kernel->prog_fd(prog);

		if (fd >= 0 && !rt->kernel->obj_info(fd, &info, &len))
			sh->progs[sh->n_progs++] = (struct emf_share_prog){ p, info.id };
	}
}

int emf__slots_fill(struct emf_plugin *p)
{
	struct emf_runtime *rt = p->rt;
	struct emf_share *sh = &rt->share;
	size_t i, k;
	int err;

	if (!sh->active || (!uses_slots(sh, p) && !emf__shmap_uses(rt, p)))
		return 0;
	record_programs(rt, p);
	for (i = 0; i < sh->n_slots; i++) {
		struct emf_slot *s = &sh->slots[i];
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		int prog_fd;

		if (s->filler != p)
			continue;
		/* A start_plugin() outside a start does not hold the lock yet. */
		err = emf__share_lock(rt, true);
		if (err)
			goto err_unfill;
		prog_fd = rt->kernel->prog_fd(s->prog);
		if (rt->kernel->obj_info(prog_fd, &info, &len)) {
			err = emf__share_error(
				rt, -errno,
				"plugin '%s' failed to fill slot '%s': failed to read program %s(): %s",
				emf_plugin__name(p), s->name, bpf_program__name(s->prog),
				emf_strerror(-errno));
			goto err_unfill;
		}
		s->prev_id = emf__slot_prog_id(rt, s);
		if (rt->kernel->map_update(sh->tables[s->table].fd, &s->index, &prog_fd, BPF_ANY)) {
			err = -errno;
			emf__share_error(
				rt, err,
				"plugin '%s' failed to fill slot '%s' with program %s(): the kernel refused it in the %s prog array: %s%s",
				emf_plugin__name(p), s->name, bpf_program__name(s->prog), s->kind,
				emf_strerror(err),
				err == -EINVAL ?
					" (programs in one prog array must agree on type, attach type and target, JIT, XDP frags, sleepable and cgroup storage)" :
					"");
			goto err_unfill;
		}
		s->prog_id = info.id;
		emf__slot_set_owner(rt, s->index, emf_plugin__name(p));
		pr_debug("slots: plugin '%s' fills slot '%s' with program id %u%s\n",
			 emf_plugin__name(p), s->name, info.id, s->prev_id ? " (replaced)" : "");
	}
	return 0;

err_unfill:
	sh->slots[i].prev_id = 0;
	for (k = 0; k < i; k++)
		if (sh->slots[k].filler == p && sh->slots[k].prog_id)
			emf__slots_unfill(rt, &sh->slots[k], true);
	return err;
}

void emf__slots_release(struct emf_plugin *p)
{
	struct emf_runtime *rt = p->rt;
	struct emf_share *sh = &rt->share;
	bool was_locked = sh->locked;
	size_t i;

	if (!sh->active)
		return;
	for (i = 0; i < sh->n_slots; i++) {
		struct emf_slot *s = &sh->slots[i];

		if (s->filler != p || !s->prog_id)
			continue;
		if (!sh->locked)
			emf__share_lock(rt, false);
		/* During a start that fails, a replaced program gets its slot back. */
		emf__slots_unfill(rt, s, !rt->running);
	}
	if (!was_locked)
		emf__share_unlock(rt);
}

void emf__slots_unlock(struct emf_runtime *rt)
{
	emf__share_unlock(rt);
}

size_t emf_runtime__slot_cnt(const struct emf_runtime *rt)
{
	return rt && rt->share.active ? rt->share.n_slots : 0;
}

int emf_runtime__slot(const struct emf_runtime *rt, size_t idx, struct emf_slot_info *info)
{
	const struct emf_share *sh;
	const struct emf_slot *s;
	uint64_t *vals;
	int i;

	if (!rt || !info)
		return emf_err(-EINVAL);
	sh = &rt->share;
	if (!sh->active || idx >= sh->n_slots)
		return emf_err(-ENOENT);
	s = &sh->slots[idx];
	memset(info, 0, sizeof(*info));
	info->name = s->name;
	info->kind = s->kind;
	info->index = s->index;
	info->filler = s->filler;
	info->caller = s->caller;
	if (s->table < 0 || sh->missed_fd < 0)
		return 0; /* not registered yet */
	info->prog_id = emf__slot_prog_id(rt, s);
	vals = calloc(sh->ncpus, sizeof(*vals));
	if (!vals)
		return emf_err(-ENOMEM);
	if (rt->kernel->map_lookup(sh->missed_fd, &s->index, vals)) {
		int err = -errno;

		free(vals);
		return emf_err(err);
	}
	for (i = 0; i < sh->ncpus; i++)
		info->missed += vals[i];
	free(vals);
	return 0;
}

int emf_runtime__slot_by_name(const struct emf_runtime *rt, const char *name,
			      struct emf_slot_info *info)
{
	size_t i;

	if (!rt || !name || !info)
		return emf_err(-EINVAL);
	for (i = 0; i < emf_runtime__slot_cnt(rt); i++)
		if (!strcmp(rt->share.slots[i].name, name))
			return emf_runtime__slot(rt, i, info);
	return emf_err(-ENOENT);
}
