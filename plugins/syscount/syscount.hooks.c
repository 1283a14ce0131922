// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * syscount's C side: the create hook tells the BPF code which process hosts
 * the plugin, so that the host's own syscalls are left out. Without it, every
 * read of a sampled map would count itself: each lookup and delete the SDK
 * makes to read and clear map procs would put the host's entry back into it
 * during the read.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include <emf/runtime.h>

#include "syscount.emf.h"

/* Write @size bytes of @val into global @name of data section @sec, before load. */
static int set_global(struct bpf_object *obj, const char *sec, const char *name, const void *val,
		      size_t size)
{
	struct bpf_map *map = bpf_object__find_map_by_name(obj, sec);
	const struct btf *btf = bpf_object__btf(obj);
	const struct btf_var_secinfo *vs;
	const struct btf_type *t;
	const char *cur;
	size_t sz = 0;
	char *data;
	int id, i, err;

	id = btf ? btf__find_by_name_kind(btf, sec, BTF_KIND_DATASEC) : -ENOENT;
	cur = map ? bpf_map__initial_value(map, &sz) : NULL;
	if (id < 0 || !cur)
		return -ENOENT;
	t = btf__type_by_id(btf, id);
	vs = btf_var_secinfos(t);
	for (i = 0; i < btf_vlen(t); i++, vs++) {
		const struct btf_type *var = btf__type_by_id(btf, vs->type);

		if (strcmp(btf__name_by_offset(btf, var->name_off), name))
			continue;
		if (vs->size != size || vs->offset + size > sz)
			return -EINVAL;
		/* The section's whole image is replaced: patch a copy of it. */
		data = malloc(sz);
		if (!data)
			return -ENOMEM;
		memcpy(data, cur, sz);
		memcpy(data + vs->offset, val, size);
		err = bpf_map__set_initial_value(map, data, sz);
		free(data);
		return err;
	}
	return -ENOENT;
}

static int syscount_create(struct emf_plugin *plugin)
{
	__u32 tgid = getpid();
	int err = set_global(emf_plugin__object(plugin), ".bss", "host_tgid", &tgid, sizeof(tgid));

	if (err)
		fprintf(stderr,
			"syscount: failed to set host_tgid in the plugin's .bss: %s; rebuild it with emf-codegen\n",
			strerror(-err));
	return err;
}

/* The generated descriptor finds the hooks by this name. */
const struct emf_plugin_hooks syscount__hooks = {
	.create = syscount_create,
};
