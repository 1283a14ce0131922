// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Shared maps: a plugin exports a map under a name (decl tag emf.export:NAME),
 * others import it (emf.import:NAME) and use the exporter's map instead of
 * their own, so programs at different hook points share state.
 *
 * The map lives at ROOT/maps/NAME. When a plugin using a name is prepared
 * (after open, before any load), the SDK opens that pin or, when there is
 * none, creates the map from the exporter's declaration (with its BTF) and
 * pins it; then it points the plugin's map at it with bpf_map__reuse_fd().
 * Loads never create shared maps, so plugins may load in parallel. Every
 * declaration must agree with the map on type, key size, value size, max
 * entries and flags; a mismatch, a second exporter or an import nobody
 * exports is refused before anything loads, with what differs.
 */
#include <errno.h>
#include <limits.h>
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

#define TAG_EXPORT "emf.export:"
#define TAG_IMPORT "emf.import:"

static struct emf_map_shape shape_of(const struct bpf_map *map)
{
	return (struct emf_map_shape){
		.type = bpf_map__type(map),
		.key = bpf_map__key_size(map),
		.value = bpf_map__value_size(map),
		.max = bpf_map__max_entries(map),
		.flags = bpf_map__map_flags(map),
	};
}

static const char *type_str(uint32_t type)
{
	return libbpf_bpf_map_type_str(type) ?: "unknown";
}

static void describe(const struct emf_map_shape *s, char *buf, size_t n)
{
	snprintf(buf, n, "%s, key %u B, value %u B, %u entries, flags 0x%x", type_str(s->type),
		 s->key, s->value, s->max, s->flags);
}

/* "key size 4 vs 8, max entries 1024 vs 4096": what differs, "" when nothing does. */
static void diff(const struct emf_map_shape *a, const struct emf_map_shape *b, char *buf,
		 size_t n)
{
	size_t len = 0;

	buf[0] = '\0';
#define DIFF(cond, fmt, ...)                                                           \
	do {                                                                           \
		if ((cond) && len < n)                                                 \
			len += snprintf(buf + len, n - len, "%s" fmt, len ? ", " : "", \
					__VA_ARGS__);                                  \
	} while (0)
	DIFF(a->type != b->type, "type %s vs %s", type_str(a->type), type_str(b->type));
	DIFF(a->key != b->key, "key size %u vs %u", a->key, b->key);
	DIFF(a->value != b->value, "value size %u vs %u", a->value, b->value);
	DIFF(a->max != b->max, "max entries %u vs %u", a->max, b->max);
	DIFF(a->flags != b->flags, "flags 0x%x vs 0x%x", a->flags, b->flags);
#undef DIFF
}

static bool valid_name(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (!(s[i] == '_' || s[i] == '-' || s[i] == '.' || (s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9')))
			return false;
	return i > 0 && i < EMF_SHARED_NAME_MAX && s[0] != '.';
}

static struct emf_shared_map *find(struct emf_share *sh, const char *name)
{
	size_t i;

	for (i = 0; i < sh->n_maps; i++)
		if (!strcmp(sh->maps[i].name, name))
			return &sh->maps[i];
	return NULL;
}

static const struct emf_shared_use *exporter_of(const struct emf_shared_map *m)
{
	size_t i;

	for (i = 0; i < m->n_uses; i++)
		if (m->uses[i].export)
			return &m->uses[i];
	return NULL;
}

static int add_use(struct emf_runtime *rt, struct emf_plugin *p, const char *name,
		   const char *var, bool export)
{
	struct emf_share *sh = &rt->share;
	struct bpf_map *map = bpf_object__find_map_by_name(emf_plugin__object(p), var);
	const char *verb = export ? "export" : "import";
	const struct emf_shared_use *other;
	struct emf_shared_use *u;
	struct emf_shared_map *m;

	if (!valid_name(name))
		return emf__share_error(
			rt, -EINVAL,
			"plugin '%s' failed to %s map '%s': a shared map name has at most %d letters, digits, '_', '-' or '.'",
			emf_plugin__name(p), verb, name, EMF_SHARED_NAME_MAX - 1);
	if (!map)
		return emf__share_error(
			rt, -EINVAL,
			"plugin '%s' failed to %s map '%s': %s is not a map of the object (EMF_MAP_%s() goes on a map of SEC(\".maps\"))",
			emf_plugin__name(p), verb, name, var, export ? "EXPORT" : "IMPORT");
	if (bpf_map__type(map) == BPF_MAP_TYPE_ARRAY_OF_MAPS ||
	    bpf_map__type(map) == BPF_MAP_TYPE_HASH_OF_MAPS)
		return emf__share_error(
			rt, -EOPNOTSUPP,
			"plugin '%s' failed to %s map '%s': maps of maps cannot be shared",
			emf_plugin__name(p), verb, name);
	m = find(sh, name);
	if (!m) {
		m = realloc(sh->maps, (sh->n_maps + 1) * sizeof(*m));
		if (!m)
			return -ENOMEM;
		sh->maps = m;
		m += sh->n_maps++;
		memset(m, 0, sizeof(*m));
		snprintf(m->name, sizeof(m->name), "%s", name);
		m->fd = -1;
	}
	other = export ? exporter_of(m) : NULL;
	if (other)
		return emf__share_error(
			rt, -EBUSY,
			"plugin '%s' failed to export map '%s': plugin '%s' exports it too; a name has one exporter, the others import it",
			emf_plugin__name(p), name, emf_plugin__name(other->plugin));
	u = realloc(m->uses, (m->n_uses + 1) * sizeof(*u));
	if (!u)
		return -ENOMEM;
	m->uses = u;
	u += m->n_uses++;
	u->plugin = p;
	u->map = map;
	u->export = export;
	return 0;
}

/* The declaration that exports @name in a plugin of the runtime not prepared yet, or NULL. */
static struct bpf_map *pending_exporter(struct emf_runtime *rt, const char *name,
					struct emf_plugin **who)
{
	size_t i;

	for (i = 0; i < rt->cnt; i++) {
		struct emf_plugin *p = rt->plugins[i];
		const char *tag, *var;
		int cursor = 1;

		if (!emf_plugin__object(p))
			continue;
		while ((tag = emf__share_tag(p, &cursor, TAG_EXPORT, &var))) {
			if (strcmp(tag, name))
				continue;
			*who = p;
			return bpf_object__find_map_by_name(emf_plugin__object(p), var);
		}
	}
	return NULL;
}

/* Create the map as @decl declares it, with its object's BTF when the kernel takes it. */
static int create(struct emf_runtime *rt, const struct bpf_map *decl, struct bpf_object *obj)
{
	const struct emf__kernel_ops *k = rt->kernel;
	struct btf *btf = bpf_object__btf(obj), *copy = NULL;
	struct emf_map_shape s = shape_of(decl);
	char kname[BPF_OBJ_NAME_LEN], *c;
	const void *raw;
	__u32 raw_size;
	int fd, btf_fd;
	LIBBPF_OPTS(bpf_map_create_opts, o, .map_flags = s.flags,
		    .map_extra = bpf_map__map_extra(decl), .numa_node = bpf_map__numa_node(decl));

	snprintf(kname, sizeof(kname), "%s", bpf_map__name(decl));
	for (c = kname; *c; c++)
		if (*c == '-')
			*c = '_';
	if (s.type == BPF_MAP_TYPE_PERF_EVENT_ARRAY && !s.max)
		s.max = k->possible_cpus();
	/* A copy: the object's own BTF is loaded by libbpf with the object. */
	raw = btf && bpf_map__btf_value_type_id(decl) ? btf__raw_data(btf, &raw_size) : NULL;
	copy = raw ? btf__new(raw, raw_size) : NULL;
	btf_fd = copy ? k->btf_load(copy) : -1;
	if (btf_fd >= 0) {
		o.btf_fd = btf_fd;
		o.btf_key_type_id = bpf_map__btf_key_type_id(decl);
		o.btf_value_type_id = bpf_map__btf_value_type_id(decl);
	}
	fd = k->map_create(s.type, kname, s.key, s.value, s.max, &o);
	if (fd < 0 && o.btf_fd) {
		o.btf_fd = o.btf_key_type_id = o.btf_value_type_id = 0;
		fd = k->map_create(s.type, kname, s.key, s.value, s.max, &o);
	}
	if (fd < 0)
		fd = -errno;
	btf__free(copy);
	return fd;
}

/* Open the pin of @m, or create and pin the map; holding the lock. */
static int open_or_create(struct emf_runtime *rt, struct emf_plugin *p, struct emf_shared_map *m)
{
	const struct emf_shared_use *ref = exporter_of(m);
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	struct emf_plugin *who = ref ? ref->plugin : NULL;
	const struct bpf_map *decl = ref ? ref->map : NULL;
	char path[EMF_PIN_ROOT_MAX + EMF_SHARED_NAME_MAX + 8], at[PATH_MAX];
	int fd, err;

	snprintf(path, sizeof(path), "%s/maps/%s", emf__share_root(rt), m->name);
	fd = rt->kernel->obj_get(emf__share_path(rt, "maps", m->name, at, sizeof(at)));
	if (fd < 0 && errno != ENOENT)
		return emf__share_error(rt, -errno, "plugin '%s' failed to share map '%s': %s: %s",
					emf_plugin__name(p), m->name, path, emf_strerror(-errno));
	if (fd >= 0) {
		if (rt->kernel->obj_info(fd, &info, &len)) {
			err = -errno;
			close(fd);
			return emf__share_error(rt, err,
						"plugin '%s' failed to share map '%s': %s: %s",
						emf_plugin__name(p), m->name, path,
						emf_strerror(err));
		}
		m->shape = (struct emf_map_shape){ info.type, info.key_size, info.value_size,
						   info.max_entries, info.map_flags };
		snprintf(m->source, sizeof(m->source),
			 "the map pinned at %s (by another runtime or process) is", path);
		goto out;
	}
	if (!decl)
		decl = pending_exporter(rt, m->name, &who);
	if (!decl)
		return emf__share_error(
			rt, -ENOENT,
			"plugin '%s' failed to import map '%s': no plugin exports it (none of this runtime, and nothing is pinned at %s); start the plugin that exports it first",
			emf_plugin__name(p), m->name, path);
	fd = create(rt, decl, emf_plugin__object(who));
	if (fd < 0)
		return emf__share_error(
			rt, fd,
			"plugin '%s' failed to share map '%s': failed to create it as plugin '%s' declares it: %s",
			emf_plugin__name(p), m->name, emf_plugin__name(who), emf_strerror(fd));
	if (rt->kernel->obj_pin(fd, at)) {
		err = -errno;
		close(fd);
		return emf__share_error(
			rt, err, "plugin '%s' failed to share map '%s': failed to pin it at %s: %s",
			emf_plugin__name(p), m->name, path, emf_strerror(err));
	}
	pr_debug("slots: created %s as plugin '%s' exports it\n", path, emf_plugin__name(who));
	m->ours = true;
	m->shape = shape_of(decl);
	snprintf(m->source, sizeof(m->source), "plugin '%s' exports it as", emf_plugin__name(who));
out:
	m->fd = fd;
	m->map_id = emf__share_map_id(rt, fd);
	return 0;
}

/* @u's declaration must be the map's; then the plugin's map becomes the shared one. */
static int use(struct emf_runtime *rt, struct emf_shared_map *m, const struct emf_shared_use *u)
{
	struct emf_map_shape want = shape_of(u->map);
	char what[256], a[128], b[128];
	int err;

	diff(&want, &m->shape, what, sizeof(what));
	if (what[0]) {
		describe(&want, a, sizeof(a));
		describe(&m->shape, b, sizeof(b));
		return emf__share_error(
			rt, -EMF_ERRNO__INCOMPAT,
			"plugin '%s' failed to %s map '%s': it declares %s as %s, but %s %s: %s; declare it the same way",
			emf_plugin__name(u->plugin), u->export ? "export" : "import", m->name,
			bpf_map__name(u->map), a, m->source, b, what);
	}
	bpf_map__set_pin_path(u->map, NULL); /* the SDK pins it, not libbpf */
	err = rt->kernel->map_reuse_fd(u->map, m->fd);
	if (err)
		return emf__share_error(rt, err, "plugin '%s' failed to share map '%s': %s",
					emf_plugin__name(u->plugin), m->name, emf_strerror(err));
	m->ours = true;
	return 0;
}

bool emf__shmap_uses(const struct emf_runtime *rt, const struct emf_plugin *p)
{
	size_t i, j;

	for (i = 0; i < rt->share.n_maps; i++)
		for (j = 0; j < rt->share.maps[i].n_uses; j++)
			if (rt->share.maps[i].uses[j].plugin == p)
				return true;
	return false;
}

int emf__shmap_prepare(struct emf_plugin *p)
{
	static const char *const tags[] = { TAG_EXPORT, TAG_IMPORT };
	struct emf_runtime *rt = p->rt;
	struct emf_share *sh = &rt->share;
	size_t i, j, k;
	int err;

	for (k = 0; k < 2; k++) {
		const char *name, *var;
		int cursor = 1;

		while ((name = emf__share_tag(p, &cursor, tags[k], &var))) {
			err = add_use(rt, p, name, var, k == 0);
			if (err)
				return err;
		}
	}
	if (!emf__shmap_uses(rt, p))
		return 0;
	err = emf__share_lock(rt, true);
	if (!err)
		err = emf__share_mkdir(rt, "maps");
	if (err)
		return err;
	for (i = 0; i < sh->n_maps; i++) {
		struct emf_shared_map *m = &sh->maps[i];

		for (j = 0; j < m->n_uses; j++) {
			if (m->uses[j].plugin != p)
				continue;
			if (m->fd < 0) {
				err = open_or_create(rt, p, m);
				if (err)
					return err;
			}
			err = use(rt, m, &m->uses[j]);
			if (err)
				return err;
		}
	}
	return 0;
}

void emf__shmap_forget(struct emf_runtime *rt, struct emf_plugin *only, const uint32_t *used,
		       size_t n_used)
{
	struct emf_share *sh = &rt->share;
	char path[PATH_MAX];
	size_t i, j;

	for (i = 0; i < sh->n_maps;) {
		struct emf_shared_map *m = &sh->maps[i];

		for (j = 0; j < m->n_uses;) {
			if (!only || m->uses[j].plugin == only)
				m->uses[j] = m->uses[--m->n_uses];
			else
				j++;
		}
		if (m->n_uses) {
			i++;
			continue;
		}
		/*
		 * Nobody of the run uses it: unpin it unless a program still does,
		 * or it was found pinned and refused (its contents are not ours).
		 */
		if (m->fd >= 0 && m->ours && used && !sh->keep_pins &&
		    !emf__share_id_used(used, n_used, m->map_id)) {
			int pin = rt->kernel->obj_get(
				emf__share_path(rt, "maps", m->name, path, sizeof(path)));

			if (pin >= 0 && emf__share_map_id(rt, pin) == m->map_id)
				emf__share_unpin(rt, "maps", m->name);
			if (pin >= 0)
				close(pin);
		}
		if (m->fd >= 0)
			close(m->fd);
		free(m->uses);
		*m = sh->maps[--sh->n_maps];
	}
}

int emf_runtime__shared_map_fd(const struct emf_runtime *rt, const char *name)
{
	const struct emf_shared_map *m;
	size_t i;

	if (!rt || !name)
		return emf_err(-EINVAL);
	for (i = 0; rt->share.active && i < rt->share.n_maps; i++) {
		m = &rt->share.maps[i];
		if (!strcmp(m->name, name) && m->fd >= 0)
			return m->fd;
	}
	return emf_err(-ENOENT);
}
