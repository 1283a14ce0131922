/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* emf-codegen internals: the plugin model built from a plugin directory and its BPF object. */
#ifndef __EMF_CODEGEN_H
#define __EMF_CODEGEN_H

#include <stdbool.h>
#include <stdio.h>
#include <linux/types.h>

struct btf;

#define CG_NAME_MAX 128
/* The BTF decl tag of EMF_EVENT(NAME) (<emf/emf.bpf.h>), before NAME. */
#define CG_EVENT_TAG "emf.event:"
/* System include directories taken from clang (see cg_sys_includes()). */
#define CG_SYS_INCS_MAX 16

/* A struct of the event header, found in the object's BTF. */
struct cg_event {
	char name[CG_NAME_MAX]; /* C name in the header, e.g. "event" */
	__u32 type_id; /* STRUCT in the object's BTF */
	bool nested; /* used as a member of another header struct */
};

/* A ring buffer or perf event array map and the event it carries. */
struct cg_output {
	char map[CG_NAME_MAX];
	bool perf; /* BPF_MAP_TYPE_PERF_EVENT_ARRAY, else RINGBUF */
	int event; /* index into cg_plugin.events */
};

/* A map the SDK samples periodically (EMF_SAMPLE_* of <emf/emf.bpf.h>). */
struct cg_sample {
	char map[CG_NAME_MAX];
	bool log2; /* EMF_SAMPLE_LOG2_HIST, else COUNTERS */
	unsigned int interval_ms; /* 0: recognised by its shape, read when the host asks */
	bool clear;
	__u32 key_id; /* key and value types of the map, from its BTF definition */
	__u32 value_id;
};

/* A const volatile global of .rodata. */
struct cg_global {
	char name[CG_NAME_MAX];
	__u32 type_id;
	__u32 offset;
	__u32 size;
	char doc[512]; /* the comment beside or above its declaration in the .bpf.c, one line */
};

struct cg_plugin {
	const char *name; /* C identifier of the plugin: the directory's base name, '-' as '_' */
	const char *file; /* the directory's base name: file names and the plugin's name */
	const char *dir; /* plugin directory */
	const char *outdir;
	const char *src; /* NAME.bpf.c path as given */
	const char *hdr; /* NAME.h path; NULL when the plugin has none (no events) */
	const char *obj_path; /* the linked object in outdir (temporary name until done) */
	char **struct_names; /* of the event header, as C spells them ("struct event"), dwarf.c */
	bool all_debug_types; /* compile with DWARF of every type, to find them all */
	int n_struct_names;
	struct btf *btf;
	struct cg_event *events;
	int n_events;
	struct cg_output *outputs;
	int n_outputs;
	struct cg_global *globals;
	int n_globals;
	struct cg_sample *samples;
	int n_samples;
	int n_options; /* globals settable from text, set by the emitter */
	void *rodata; /* initial contents of .rodata: the globals' defaults */
	size_t rodata_size;
	char description[256];
	int priority;
};

struct cg_opts {
	const char *clang;
	const char *bpftool;
	const char *vmlinux_h; /* a vmlinux.h to use; NULL to generate one into outdir */
	const char *btf_file; /* BTF to generate vmlinux.h from */
	const char **incs; /* extra -I directories for the BPF compile */
	int n_incs;
	const char **defs; /* extra -D definitions for the BPF compile */
	int n_defs;
	char **sys_incs; /* clang's own system include dirs, for -idirafter (cg_sys_includes) */
	int n_sys_incs;
	bool verbose;
};

/* Messages: "emf-codegen: <what failed> for <what>: <why>" on stderr. */
void cg_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cg_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
extern bool cg_verbose;

/* run.c: processes and files. All return 0 or a negative errno, after a message. */
int cg_run(char *const argv[], const char *stdout_path, bool quiet_stderr);
int cg_compile(struct cg_plugin *p, const struct cg_opts *opts, const char *vmlinux_dir,
	       const char *src, const char *obj_out, const char *dep_out, const char *dep_target);
int cg_fix_deps(const char *path, const char *anchor);
int cg_sys_includes(struct cg_opts *opts);
void cg_sys_includes_free(struct cg_opts *opts);
int cg_write_anchor(const struct cg_plugin *p, const char *path);
int cg_link(const char *in, const char *extra, const char *out);
int cg_shim_defs(struct cg_plugin *p, const struct cg_opts *opts, const char *vmlinux_dir,
		 const char *obj, const char *src_out, const char *obj_out, bool *linked);
int cg_skeleton(const struct cg_opts *opts, const char *obj, const char *name, const char *out);
int cg_vmlinux_h(const struct cg_opts *opts, const char *out);
char *cg_path(const char *dir, const char *name, const char *suffix);
char *cg_tmp_path(const char *final);

/*
 * dwarf.c: the structs event header @hdr defines, as C spells their type
 * ("struct X", or "Y" for a typedef of an anonymous struct), in the order of
 * their lines, from the DWARF of object @obj, into *@names (the caller frees
 * each and the array). 0, or a negative errno after one message.
 */
int cg_header_structs(const char *obj, const char *hdr, char ***names, int *cnt);
/* Does @btf define every struct of @names (as cg_header_structs() spells them)? */
bool cg_btf_has(const struct btf *btf, char *const *names, int cnt);
/* Is every struct an EMF_EVENT() tag of @btf names among @names? */
bool cg_tags_named(const struct btf *btf, char *const *names, int cnt);
/* Does @btf declare a map that sends events (cg_is_event_map())? */
bool cg_sends_events(const struct btf *btf);

/* model.c: what the object's BTF says. */
/* Append a copy of @name to the list @names of *@cnt, unless it is there already; 0 or -ENOMEM. */
int cg_add_name(char ***names, int *cnt, const char *name);
/* Free the list @names of *@cnt and what it holds; both end empty. */
void cg_names_free(char ***names, int *cnt);
int cg_model_build(struct cg_plugin *p);
/* The comment of global @name in source text @src, as one line into @buf ("" when none). */
void cg_global_doc(const char *src, const char *name, char *buf, size_t n);
void cg_model_free(struct cg_plugin *p);
/* Skip typedefs and modifiers; returns the resolved id. */
__u32 cg_resolve(const struct btf *btf, __u32 id);
/* The BPF_MAP_TYPE_* of map variable @var_id of .maps, -1 when it declares none. */
int cg_map_type(const struct btf *btf, __u32 var_id);
/* Does a map of BPF_MAP_TYPE_* @type send events (a ring buffer or perf event array)? */
static inline bool cg_is_event_map(int type)
{
	return type == 27 /* RINGBUF */ || type == 4 /* PERF_EVENT_ARRAY */;
}
/*
 * The BTF id of the struct C spells @name ("struct X", or "Y" for a typedef
 * of a struct) in *@id; 0, or -ENOENT when @btf has none.
 */
int cg_find_struct(const struct btf *btf, const char *name, __u32 *id);

struct btf_type;
/* maps.c: the sampled maps, annotated (EMF_SAMPLE_*) or recognised by their shape. */
int cg_build_samples(struct cg_plugin *p, const struct btf_type *maps_sec);

/* emit.c: the generated files. */
int cg_emit_header(struct cg_plugin *p, FILE *f);
int cg_emit_source(struct cg_plugin *p, FILE *f);
/* describe.c: the plugin's schema as JSON. */
int cg_describe(struct cg_plugin *p, FILE *f);

#endif /* __EMF_CODEGEN_H */
