// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Maps sized by user space. A tool's own C code often sets max_entries (or a
 * stack map's value_size, from the stack depth it wants) before load, and
 * its BPF source leaves them out; loaded as-is, the kernel refuses the map.
 * Between open and load the runtime applies the sizes the host gave
 * (emf_plugin__set_map_size()) and gives every map still left without one a
 * default, with a note naming the map.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>

#include <emf/errno.h>
#include <emf/runtime.h>

#include "log_internal.h"
#include "runtime_internal.h"

#define DEFAULT_ENTRIES 10240
#define DEFAULT_RING_BYTES (256 * 1024)
/* A stack map's value without a size: this many frames, as libbpf-tools' default. */
#define DEFAULT_STACK_DEPTH 127

struct emf_map_size {
	char *name;
	uint32_t max_entries;
};

int emf_plugin__set_map_size(struct emf_plugin *p, const char *map, uint32_t max_entries)
{
	struct emf_map_size *s;
	size_t i;

	if (!p || !map || !*map)
		return emf_err(-EINVAL);
	if (p->state == EMF_PLUGIN_LOADED || p->state == EMF_PLUGIN_ATTACHED) {
		pr_warn("runtime: cannot size map '%s' of plugin '%s': it is loaded; size maps before emf_runtime__start()\n",
			map, p->desc->name);
		return emf_err(-EMF_ERRNO__STATE);
	}
	if (!max_entries) {
		pr_warn("runtime: invalid size 0 for map '%s' of plugin '%s': give at least 1\n", map,
			p->desc->name);
		return emf_err(-EINVAL);
	}
	for (i = 0; i < p->n_map_sizes; i++) {
		if (!strcmp(p->map_sizes[i].name, map)) {
			p->map_sizes[i].max_entries = max_entries;
			return 0;
		}
	}
	s = realloc(p->map_sizes, (p->n_map_sizes + 1) * sizeof(*s));
	if (!s)
		return emf_err(-ENOMEM);
	p->map_sizes = s;
	s[p->n_map_sizes].name = strdup(map);
	if (!s[p->n_map_sizes].name)
		return emf_err(-ENOMEM);
	s[p->n_map_sizes++].max_entries = max_entries;
	return 0;
}

void emf__map_sizes_free(struct emf_plugin *p)
{
	size_t i;

	for (i = 0; i < p->n_map_sizes; i++)
		free(p->map_sizes[i].name);
	free(p->map_sizes);
	p->map_sizes = NULL;
	p->n_map_sizes = 0;
}

/* Map types whose max_entries the kernel requires and that a default suits. */
static uint32_t default_entries(enum bpf_map_type type)
{
	switch (type) {
	case BPF_MAP_TYPE_RINGBUF:
	case BPF_MAP_TYPE_USER_RINGBUF:
		return DEFAULT_RING_BYTES;
	case BPF_MAP_TYPE_HASH:
	case BPF_MAP_TYPE_ARRAY:
	case BPF_MAP_TYPE_PERCPU_HASH:
	case BPF_MAP_TYPE_PERCPU_ARRAY:
	case BPF_MAP_TYPE_LRU_HASH:
	case BPF_MAP_TYPE_LRU_PERCPU_HASH:
	case BPF_MAP_TYPE_STACK_TRACE:
	case BPF_MAP_TYPE_LPM_TRIE:
	case BPF_MAP_TYPE_QUEUE:
	case BPF_MAP_TYPE_STACK:
	case BPF_MAP_TYPE_BLOOM_FILTER:
	case BPF_MAP_TYPE_SOCKMAP:
	case BPF_MAP_TYPE_SOCKHASH:
	case BPF_MAP_TYPE_DEVMAP:
	case BPF_MAP_TYPE_DEVMAP_HASH:
	case BPF_MAP_TYPE_XSKMAP:
	case BPF_MAP_TYPE_PROG_ARRAY:
		return DEFAULT_ENTRIES;
	default:
		/* Perf event arrays (libbpf: one per CPU), local storage (must be 0), ... */
		return 0;
	}
}

int emf__maps_prepare(struct emf_plugin *p, char *why, size_t n)
{
	struct bpf_object *obj = emf_plugin__object(p);
	struct bpf_map *m;
	size_t i;
	int err;

	if (!obj)
		return 0;
	for (i = 0; i < p->n_map_sizes; i++) {
		m = bpf_object__find_map_by_name(obj, p->map_sizes[i].name);
		if (!m || bpf_map__is_internal(m)) {
			snprintf(why, n, " (it has no map '%s' to size)", p->map_sizes[i].name);
			return -ENOENT;
		}
		err = bpf_map__set_max_entries(m, p->map_sizes[i].max_entries);
		if (err) {
			snprintf(why, n, " (sizing map '%s' to %u entries)", p->map_sizes[i].name,
				 p->map_sizes[i].max_entries);
			return err;
		}
	}
	bpf_object__for_each_map(m, obj) {
		uint32_t dflt = default_entries(bpf_map__type(m));

		if (bpf_map__is_internal(m) || !bpf_map__autocreate(m))
			continue;
		if (!bpf_map__max_entries(m) && dflt) {
			err = bpf_map__set_max_entries(m, dflt);
			if (err) {
				snprintf(why, n, " (giving map '%s' a default size)", bpf_map__name(m));
				return err;
			}
			pr_warn("runtime: note: plugin '%s': map '%s' declares no max_entries (its tool's user space sized it): using %u; size it with emf_plugin__set_map_size() (emf-agent --map-size %s.%s=N)\n",
				p->desc->name, bpf_map__name(m), dflt, p->desc->name, bpf_map__name(m));
		}
		if (bpf_map__type(m) == BPF_MAP_TYPE_STACK_TRACE && !bpf_map__value_size(m)) {
			err = bpf_map__set_value_size(m, DEFAULT_STACK_DEPTH * sizeof(__u64));
			if (err) {
				snprintf(why, n, " (giving stack map '%s' a value size)", bpf_map__name(m));
				return err;
			}
			pr_warn("runtime: note: plugin '%s': stack map '%s' declares no value size (its tool's user space set it from a stack depth): using %d frames\n",
				p->desc->name, bpf_map__name(m), DEFAULT_STACK_DEPTH);
		}
	}
	return 0;
}
