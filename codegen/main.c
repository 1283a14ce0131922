// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * emf-codegen - turn a plugin directory into a skeleton and a typed decoder.
 *
 *   emf-codegen [OPTIONS] PLUGIN_DIR -o OUTDIR
 *
 * PLUGIN_DIR/NAME.bpf.c is compiled (clang, -g -O2, CO-RE), linked, turned
 * into a bpftool skeleton, and the structs of PLUGIN_DIR/NAME.h are read from
 * the object's BTF to write OUTDIR/NAME.emf.h and NAME.emf.c. Every output is
 * written under a temporary name and renamed only when all of them succeeded.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/btf.h>

#include "codegen.h"

#ifndef EMF_CLANG
#define EMF_CLANG "clang"
#endif
#ifndef EMF_BPFTOOL
#define EMF_BPFTOOL "bpftool"
#endif
#ifndef EMF_BPF_INCLUDEDIR
#define EMF_BPF_INCLUDEDIR "/usr/local/include"
#endif
#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0"
#endif

enum {
	OPT_CLANG = 256,
	OPT_BPFTOOL,
	OPT_VMLINUX_H,
	OPT_BTF,
	OPT_VERSION,
	OPT_DESCRIBE,
	OPT_CLANG_FORMAT,
	OPT_NO_FORMAT,
};

static const struct option long_opts[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "include", required_argument, NULL, 'I' },
	{ "define", required_argument, NULL, 'D' },
	{ "clang", required_argument, NULL, OPT_CLANG },
	{ "bpftool", required_argument, NULL, OPT_BPFTOOL },
	{ "vmlinux-h", required_argument, NULL, OPT_VMLINUX_H },
	{ "btf", required_argument, NULL, OPT_BTF },
	{ "describe", no_argument, NULL, OPT_DESCRIBE },
	{ "clang-format", required_argument, NULL, OPT_CLANG_FORMAT },
	{ "no-format", no_argument, NULL, OPT_NO_FORMAT },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{},
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: emf-codegen [OPTIONS] PLUGIN_DIR -o OUTDIR\n"
		"       emf-codegen [OPTIONS] --describe PLUGIN_DIR\n"
		"\n"
		"Build the plugin in PLUGIN_DIR (NAME.bpf.c and its event header NAME.h, NAME\n"
		"being the directory's name) into OUTDIR: NAME.bpf.o, the bpftool skeleton\n"
		"NAME.skel.h, the typed decoder and plugin descriptor NAME.emf.h/NAME.emf.c, and\n"
		"NAME.emf.d, the files the plugin includes, for make.\n"
		"\n"
		"Options:\n"
		"  -o, --output DIR     where to write the outputs (created if missing)\n"
		"      --describe       print the plugin's schema as JSON (programs, maps,\n"
		"                       event structs and their fields, options) instead\n"
		"  -I, --include DIR    extra include directory for the BPF compile\n"
		"  -D, --define NAME[=VALUE]  extra definition for the BPF compile\n"
		"      --vmlinux-h FILE a ready vmlinux.h (default: OUTDIR/vmlinux.h, generated\n"
		"                       from --btf when missing)\n"
		"      --btf FILE       kernel BTF for vmlinux.h (default /sys/kernel/btf/vmlinux)\n"
		"      --clang PATH     clang to use (default %s)\n"
		"      --bpftool PATH   bpftool to use (default %s)\n"
		"  -v, --verbose        show the commands run\n"
		"  -h, --help           this help\n"
		"      --version        print the version\n",
		EMF_CLANG, EMF_BPFTOOL);
}

/*
 * A directory name that makes a C identifier once each '-' is '_' (as in
 * "my-tool"), into @ident; anything else is refused.
 */
static bool to_ident(const char *s, char *ident, size_t n)
{
	size_t i;

	if (!s[0] || !(isalpha((unsigned char)s[0]) || s[0] == '_') || strlen(s) >= n)
		return false;
	for (i = 0; s[i]; i++) {
		if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '-')
			return false;
		ident[i] = s[i] == '-' ? '_' : s[i];
	}
	ident[i] = '\0';
	return true;
}

static int mkdir_p(const char *path)
{
	char *dup = strdup(path), *p;
	int err = 0;

	if (!dup)
		return -ENOMEM;
	for (p = dup + 1; !err; p++) {
		char c = *p;

		if (c != '/' && c != '\0')
			continue;
		*p = '\0';
		if (mkdir(dup, 0755) && errno != EEXIST)
			err = -errno;
		*p = c;
		if (!c)
			break;
	}
	free(dup);
	return err;
}

struct outputs {
	char *final[5];
	char *tmp[5];
	int n;
};

static int add_output(struct outputs *o, const char *dir, const char *name, const char *suffix)
{
	o->final[o->n] = cg_path(dir, name, suffix);
	o->tmp[o->n] = o->final[o->n] ? cg_tmp_path(o->final[o->n]) : NULL;
	if (!o->tmp[o->n])
		return -ENOMEM;
	o->n++;
	return 0;
}

static int emit_file(struct cg_plugin *p, const char *path,
		     int (*emit)(struct cg_plugin *p, FILE *f))
{
	FILE *f = fopen(path, "w");
	int err;

	if (!f) {
		err = -errno;
		cg_err("failed to create %s: %s\n", path, strerror(errno));
		return err;
	}
	err = emit(p, f);
	if (fclose(f) && !err) {
		err = -errno;
		cg_err("failed to write %s: %s\n", path, strerror(errno));
	}
	return err;
}

/*
 * Compile @p into @raw, and name the event header's structs from its DWARF
 * (cg_header_structs()). DWARF describes the structs the code uses through
 * variables and pointers; one it only names in sizeof() or a compound
 * literal is left out, so when none is found and the object sends events,
 * or an EMF_EVENT() tag names one that is not, compile again with DWARF of
 * every type defined. Those missing from BTF (only local variables use
 * them) are then named by the anchor, in a last compile.
 */
static int compile(struct cg_plugin *p, const struct cg_opts *opts, const char *vdir,
		   const char *anchor, const char *raw, const char *dep, const char *target)
{
	struct btf *btf;
	int err;

	err = cg_write_anchor(p, anchor) ?: cg_compile(p, opts, vdir, anchor, raw, dep, target);
	if (err || !p->hdr)
		return err;
	err = cg_header_structs(raw, p->hdr, &p->struct_names, &p->n_struct_names);
	if (err)
		return err;
	/* BTF the flag does not change: one read serves both compiles. */
	btf = btf__parse_elf(raw, NULL);
	if (!btf)
		return 0; /* cg_model_build() says why */
	if ((!p->n_struct_names && cg_sends_events(btf)) ||
	    !cg_tags_named(btf, p->struct_names, p->n_struct_names)) {
		cg_names_free(&p->struct_names, &p->n_struct_names);
		p->all_debug_types = true;
		err = cg_compile(p, opts, vdir, anchor, raw, dep, target) ?:
			      cg_header_structs(raw, p->hdr, &p->struct_names, &p->n_struct_names);
		p->all_debug_types = false; /* which changes DWARF only, which cg_link() drops */
	}
	if (!err && !cg_btf_has(btf, p->struct_names, p->n_struct_names))
		err = cg_write_anchor(p, anchor) ?:
			      cg_compile(p, opts, vdir, anchor, raw, dep, target);
	btf__free(btf);
	return err;
}

static int generate(struct cg_plugin *p, struct cg_opts *opts, bool describe)
{
	struct outputs o = {};
	char *raw = NULL, *vmlinux = NULL, *vmlinux_tmp = NULL, *vdir = NULL, *anchor = NULL;
	char *shim_src = NULL, *shim_obj = NULL, *dir, *unit_dir = NULL;
	bool shim = false;
	int i, err;

	if ((err = add_output(&o, p->outdir, p->file, ".bpf.o")) ||
	    (err = add_output(&o, p->outdir, p->file, ".skel.h")) ||
	    (err = add_output(&o, p->outdir, p->file, ".emf.h")) ||
	    (err = add_output(&o, p->outdir, p->file, ".emf.c")) ||
	    (err = add_output(&o, p->outdir, p->file, ".emf.d")))
		goto out;
	raw = cg_tmp_path(o.final[0]);
	if (!raw || !(raw = realloc(raw, strlen(raw) + 5))) {
		err = -ENOMEM;
		goto out;
	}
	strcat(raw, ".raw");

	if (opts->vmlinux_h) {
		vdir = strdup(opts->vmlinux_h);
		if (!vdir) {
			err = -ENOMEM;
			goto out;
		}
		if (strcmp(basename(vdir), "vmlinux.h")) {
			cg_err("--vmlinux-h %s: the file must be named vmlinux.h, as BPF code includes it by that name\n",
			       opts->vmlinux_h);
			err = -EINVAL;
			goto out;
		}
		if (access(opts->vmlinux_h, R_OK)) {
			err = -errno;
			cg_err("cannot read %s: %s\n", opts->vmlinux_h, strerror(errno));
			goto out;
		}
		/* dirname() returns a part of its argument, or a string of its own. */
		strcpy(vdir, opts->vmlinux_h);
		dir = dirname(vdir);
		memmove(vdir, dir, strlen(dir) + 1);
	} else {
		vmlinux = cg_path(p->outdir, "vmlinux", ".h");
		vdir = strdup(p->outdir);
		if (!vmlinux || !vdir) {
			err = -ENOMEM;
			goto out;
		}
		if (access(vmlinux, R_OK)) {
			vmlinux_tmp = cg_tmp_path(vmlinux);
			if (!vmlinux_tmp) {
				err = -ENOMEM;
				goto out;
			}
			err = cg_vmlinux_h(opts, vmlinux_tmp);
			if (!err && rename(vmlinux_tmp, vmlinux)) {
				err = -errno;
				cg_err("failed to create %s: %s\n", vmlinux, strerror(errno));
			}
			if (err)
				goto out;
		}
	}

	/*
	 * The compile units go in a directory of their own, under names of no
	 * run: the object keeps a unit's name (its STT_FILE symbol), and the
	 * same plugin must build the same bytes every time.
	 */
	if (asprintf(&unit_dir, "%s.units", raw) < 0) {
		unit_dir = NULL;
		err = -ENOMEM;
		goto out;
	}
	if (asprintf(&anchor, "%s/%s.emf.c", unit_dir, p->file) < 0) {
		anchor = NULL;
		err = -ENOMEM;
		goto out;
	}
	if (mkdir(unit_dir, 0700)) {
		err = -errno;
		cg_err("failed to create %s: %s\n", unit_dir, strerror(errno));
		free(unit_dir);
		unit_dir = NULL;
		goto out;
	}
	err = compile(p, opts, vdir, anchor, raw, o.tmp[4], o.final[3]);
	if (!err)
		err = cg_fix_deps(o.tmp[4], anchor);
	if (err)
		goto out;
	/* The maps of <emf/shim.bpf.h> the program uses, defined beside it. */
	if (asprintf(&shim_src, "%s.shim.c", anchor) < 0) {
		shim_src = NULL;
		err = -ENOMEM;
		goto out;
	}
	if (asprintf(&shim_obj, "%s.shim.o", raw) < 0) {
		shim_obj = NULL;
		err = -ENOMEM;
		goto out;
	}
	err = cg_shim_defs(p, opts, vdir, raw, shim_src, shim_obj, &shim);
	if (err)
		goto out;
	err = cg_link(raw, shim ? shim_obj : NULL, o.tmp[0]);
	if (err)
		goto out;
	err = cg_skeleton(opts, o.tmp[0], p->name, o.tmp[1]);
	if (err)
		goto out;
	p->obj_path = o.tmp[0];
	err = cg_model_build(p);
	if (err)
		goto out;
	if (describe) {
		err = cg_describe(p, stdout);
		goto out;
	}
	err = emit_file(p, o.tmp[2], cg_emit_header);
	if (!err)
		err = emit_file(p, o.tmp[3], cg_emit_source);
	if (err)
		goto out;
	for (i = 0; i < o.n; i++) {
		if (rename(o.tmp[i], o.final[i])) {
			err = -errno;
			cg_err("failed to create %s: %s\n", o.final[i], strerror(errno));
			/* Do not leave a mix of old and new outputs. */
			while (i-- > 0)
				unlink(o.final[i]);
			goto out;
		}
	}
	cg_info("wrote %s, %s, %s and %s\n", o.final[0], o.final[1], o.final[2], o.final[3]);
out:
	cg_model_free(p);
	if (raw)
		unlink(raw);
	if (anchor)
		unlink(anchor);
	free(anchor);
	if (shim_src)
		unlink(shim_src);
	if (unit_dir)
		rmdir(unit_dir);
	free(unit_dir);
	if (shim_obj)
		unlink(shim_obj);
	free(shim_src);
	free(shim_obj);
	if (vmlinux_tmp)
		unlink(vmlinux_tmp);
	for (i = 0; i < o.n; i++) {
		unlink(o.tmp[i]);
		free(o.tmp[i]);
		free(o.final[i]);
	}
	free(raw);
	free(vmlinux);
	free(vmlinux_tmp);
	free(vdir);
	return err;
}

int main(int argc, char **argv)
{
	struct cg_opts opts = {
		.clang = EMF_CLANG,
		.bpftool = EMF_BPFTOOL,
		.btf_file = "/sys/kernel/btf/vmlinux",
	};
	const char *incs[64], *defs[64];
	struct cg_plugin p = {};
	char *dir = NULL, *name, *src = NULL, *hdr = NULL, ident[CG_NAME_MAX];
	const char *outdir = NULL;
	char tmpdir[] = "/tmp/emf-codegen.XXXXXX";
	bool describe = false;
	struct stat st;
	int c, err;

	opts.incs = incs;
	opts.defs = defs;
	while ((c = getopt_long(argc, argv, "o:I:D:vh", long_opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			outdir = optarg;
			break;
		case 'I':
			if (opts.n_incs == 63) {
				cg_err("too many -I options (at most 63)\n");
				return 2;
			}
			incs[opts.n_incs++] = optarg;
			break;
		case 'D':
			if (opts.n_defs == 63) {
				cg_err("too many -D options (at most 63)\n");
				return 2;
			}
			defs[opts.n_defs++] = optarg;
			break;
		case OPT_CLANG:
			opts.clang = optarg;
			break;
		case OPT_BPFTOOL:
			opts.bpftool = optarg;
			break;
		case OPT_VMLINUX_H:
			opts.vmlinux_h = optarg;
			break;
		case OPT_BTF:
			opts.btf_file = optarg;
			break;
		case OPT_CLANG_FORMAT:
		case OPT_NO_FORMAT:
			/* The output no longer depends on clang-format: kept for old Makefiles. */
			break;
		case OPT_DESCRIBE:
			describe = true;
			break;
		case 'v':
			cg_verbose = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case OPT_VERSION:
			printf("emf-codegen %s\n", PACKAGE_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (describe && !outdir) {
		if (!mkdtemp(tmpdir)) {
			cg_err("failed to create a temporary directory: %s\n", strerror(errno));
			return 1;
		}
		outdir = tmpdir;
	}
	if (optind != argc - 1 || !outdir) {
		cg_err(optind >= argc ? "missing PLUGIN_DIR\n" :
		       !outdir	      ? "missing -o OUTDIR\n" :
					"only one PLUGIN_DIR at a time\n");
		usage(stderr);
		return 2;
	}
	incs[opts.n_incs++] = EMF_BPF_INCLUDEDIR;

	dir = strdup(argv[optind]);
	if (!dir)
		return 1;
	while (strlen(dir) > 1 && dir[strlen(dir) - 1] == '/')
		dir[strlen(dir) - 1] = '\0';
	if (stat(dir, &st) || !S_ISDIR(st.st_mode)) {
		cg_err("plugin directory %s: %s\n", dir,
		       stat(dir, &st) ? strerror(errno) : "not a directory");
		err = -ENOENT;
		goto out;
	}
	name = basename(dir);
	if (!to_ident(name, ident, sizeof(ident))) {
		cg_err("plugin directory %s: its name '%s' must be a C identifier (letters, digits, '_'; a '-' becomes '_'), as it names the plugin's symbols\n",
		       argv[optind], name);
		err = -EINVAL;
		goto out;
	}
	src = cg_path(argv[optind], name, ".bpf.c");
	hdr = cg_path(argv[optind], name, ".h");
	if (!src || !hdr) {
		err = -ENOMEM;
		goto out;
	}
	if (access(src, R_OK)) {
		cg_err("plugin %s: cannot read %s: %s; a plugin directory holds NAME.bpf.c and NAME.h\n",
		       name, src, strerror(errno));
		err = -ENOENT;
		goto out;
	}
	/* No header: a plugin without events (maps, printk), as the map check below tells. */
	if (access(hdr, F_OK) && errno == ENOENT) {
		cg_info("plugin %s has no event header %s: no event types\n", name, hdr);
		free(hdr);
		hdr = NULL;
	} else if (access(hdr, R_OK)) {
		cg_err("plugin %s: cannot read its event header %s: %s\n", name, hdr, strerror(errno));
		err = -EACCES;
		goto out;
	}
	err = mkdir_p(outdir);
	if (err) {
		cg_err("failed to create output directory %s: %s\n", outdir, strerror(-err));
		goto out;
	}
	p.name = ident;
	p.file = name;
	p.dir = argv[optind];
	p.outdir = outdir;
	p.src = src;
	p.hdr = hdr;
	err = cg_sys_includes(&opts);
	if (!err)
		err = generate(&p, &opts, describe);
out:
	cg_sys_includes_free(&opts);
	if (outdir == tmpdir) {
		char *v = cg_path(tmpdir, "vmlinux", ".h");

		if (v)
			unlink(v);
		free(v);
		rmdir(tmpdir);
	}
	free(src);
	free(hdr);
	free(dir);
	return err ? 1 : 0;
}
