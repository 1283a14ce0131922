// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * emf-codegen: the maps of the ring buffer shim, defined at link time.
 *
 * <emf/shim.bpf.h> declares emf_lost and emf_rb_wakeup extern, so clang
 * emits them only in an object whose code counts or batches through them. For
 * such an object a second unit defines exactly the maps it declared extern,
 * and the BPF linker joins the two; any other object links alone, as it did
 * before the shim.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/btf.h>

#include "codegen.h"

/* The shim's extern maps, and the macro that makes the definitions unit define each. */
static const struct {
	const char *name;
	const char *define;
} shim_maps[] = {
	{ "emf_lost", "EMF__SHIM_DEFINE_LOST" },
	{ "emf_rb_wakeup", "EMF__SHIM_DEFINE_WAKEUP" },
};

#define N_SHIM_MAPS (sizeof(shim_maps) / sizeof(shim_maps[0]))

/* Which of shim_maps @obj declares but does not define. */
static int extern_maps(const char *obj, bool want[N_SHIM_MAPS], int *n)
{
	struct btf *btf = btf__parse_elf(obj, NULL);
	__u32 id, cnt;
	size_t i;

	*n = 0;
	if (!btf) {
		cg_err("failed to read the BTF of %s: %s\n", obj, strerror(errno));
		return -errno;
	}
	cnt = btf__type_cnt(btf);
	for (id = 1; id < cnt; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		const char *name;

		if (!btf_is_var(t) || btf_var(t)->linkage != BTF_VAR_GLOBAL_EXTERN)
			continue;
		name = btf__name_by_offset(btf, t->name_off);
		for (i = 0; i < N_SHIM_MAPS; i++) {
			if (name && !strcmp(name, shim_maps[i].name) && !want[i]) {
				want[i] = true;
				(*n)++;
			}
		}
	}
	btf__free(btf);
	return 0;
}

/*
 * cg_shim_defs - compile, into @obj_out, the definitions of the shim maps
 * that @obj declares extern, from a unit written to @src_out. Sets @linked
 * when there is something to link; with none, writes nothing.
 */
int cg_shim_defs(struct cg_plugin *p, const struct cg_opts *opts, const char *vmlinux_dir,
		 const char *obj, const char *src_out, const char *obj_out, bool *linked)
{
	bool want[N_SHIM_MAPS] = {};
	FILE *f;
	size_t i;
	int n, err;

	*linked = false;
	err = extern_maps(obj, want, &n);
	if (err || !n)
		return err;
	f = fopen(src_out, "w");
	if (!f) {
		cg_err("failed to create %s: %s\n", src_out, strerror(errno));
		return -errno;
	}
	fputs("#include \"vmlinux.h\"\n#include <bpf/bpf_helpers.h>\n", f);
	for (i = 0; i < N_SHIM_MAPS; i++)
		if (want[i])
			fprintf(f, "#define %s\n", shim_maps[i].define);
	fputs("#include <emf/shim.bpf.h>\n", f);
	if (fclose(f)) {
		cg_err("failed to write %s: %s\n", src_out, strerror(errno));
		unlink(src_out);
		return -errno;
	}
	err = cg_compile(p, opts, vmlinux_dir, src_out, obj_out, NULL, NULL);
	if (!err)
		*linked = true;
	return err;
}
