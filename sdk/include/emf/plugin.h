/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Plugin descriptors: what emf-codegen emits for a plugin directory.
 *
 * A descriptor is constant data plus the functions that drive the plugin's
 * bpftool skeleton. Static plugins register themselves with
 * EMF_PLUGIN_REGISTER(); the SDK finds every registered descriptor of the
 * program without any hand-written list (see emf_static_plugins()).
 */
#ifndef __EMF_PLUGIN_H
#define __EMF_PLUGIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <emf/event.h>

#ifdef __cplusplus
extern "C" {
#endif

struct bpf_object;
struct bpf_object_open_opts;

/*
 * Bumped whenever what struct emf_plugin_desc points to changes layout, or its
 * own fields change other than by appending. Fields are only appended to the
 * descriptor itself: desc_size says which a descriptor has, and a plugin built
 * against a newer SDK of the same ABI version loads here as long as it leaves
 * the fields this SDK does not know zero.
 */
#define EMF_PLUGIN_ABI_VERSION 2

#define EMF_PLUGIN_DEFAULT_PRIORITY 50

/* Section holding a pointer to every static plugin descriptor of a program. */
#define EMF_PLUGIN_SECTION emf_plugins

enum emf_output_kind {
	EMF_OUTPUT_RINGBUF, /* BPF_MAP_TYPE_RINGBUF */
	EMF_OUTPUT_PERFBUF, /* BPF_MAP_TYPE_PERF_EVENT_ARRAY */
};

/* A map the plugin's BPF code sends events through, and the event struct it carries. */
struct emf_output {
	const char *map_name;
	enum emf_output_kind kind;
	const struct emf_event_type *event;
};

/* A const volatile global of the .bpf.c, settable before load. */
struct emf_option {
	const char *name;
	const char *type_name; /* C spelling, e.g. "pid_t" */
	enum emf_field_kind kind;
	uint32_t offset; /* in the .rodata section */
	uint32_t size; /* bytes */
	uint32_t count; /* char[N] strings: N; 0 otherwise */
	const char *defval; /* default, rendered as text */
	uint32_t n_enum_values;
	const struct emf_enum_value *enum_values; /* EMF_FIELD_ENUM only */
	/* Appended in ABI 2: present when the descriptor's option_size says so. */
	const char *description; /* the comment beside its declaration in the .bpf.c; "" for none */
	const char *friendly_type; /* for people: "pid", "bool", "string(15)", "u16 0-65535" */
	const char *long_name; /* command-line spelling: "uid" for target_uid, '-' for '_' */
};

/*
 * Skeleton operations, generated around bpftool's skeleton. @skel is the
 * skeleton pointer returned by open. Each int function returns 0 or a negative
 * errno. destroy is NULL-safe and copes with a skeleton at any stage.
 */
struct emf_plugin_ops {
	int (*open)(void **skel, const struct bpf_object_open_opts *opts);
	int (*load)(void *skel);
	int (*attach)(void *skel);
	void (*detach)(void *skel);
	void (*destroy)(void *skel);
	struct bpf_object *(*object)(void *skel);
};

struct emf_plugin;

enum emf_sample_kind {
	EMF_SAMPLE_COUNTERS, /* key -> integer, or struct of integers */
	/*
	 * Slot i counts 2^i <= v < 2^(i+1): an array of counts, key = slot, or
	 * one histogram per key in the value struct's integer array "slots"
	 */
	EMF_SAMPLE_LOG2_HIST,
};

/* A map the SDK reads periodically (EMF_SAMPLE_* in <emf/emf.bpf.h>). */
struct emf_sample {
	const char *map_name;
	enum emf_sample_kind kind;
	uint32_t interval_ms; /* 0: recognised by its shape, read by emf_runtime__sample() */
	bool clear; /* delete (hash) or zero (array) the entries after each read */
	struct emf_field key; /* layout of the key; .type for a struct key */
	struct emf_field value; /* layout of one value (one CPU's for per-CPU maps) */
};

/*
 * Optional user hooks of a plugin, run by the lifecycle around its own steps.
 * A plugin defines them in C next to its BPF code, as
 *
 *   const struct emf_plugin_hooks NAME__hooks = { .attach = my_attach };
 *
 * and the generated descriptor picks them up (a weak reference: without the
 * definition the plugin runs with none). Each returns 0 or a negative errno;
 * a failing create or attach fails that step, which is rolled back like any
 * other, and the error names the plugin and the hook.
 */
struct emf_plugin_hooks {
	int (*create)(struct emf_plugin *plugin); /* after open: set options, resize maps */
	int (*attach)(struct emf_plugin *plugin); /* after its programs are attached */
	void (*detach)(struct emf_plugin *plugin); /* before its programs are detached */
	void (*destroy)(struct emf_plugin *plugin); /* before its object is closed */
	/* A signal raised on the runtime's bus (emf_bus__signal()): pause, resume, reload... */
	void (*signal)(struct emf_plugin *plugin, int signo, const char *name);
};

struct emf_plugin_desc {
	uint32_t abi_version; /* EMF_PLUGIN_ABI_VERSION at build time */
	uint32_t desc_size; /* sizeof(struct emf_plugin_desc) at build time */
	const char *name;
	const char *description;
	int priority; /* lower starts first; EMF_PLUGIN_DEFAULT_PRIORITY unless declared */
	const struct emf_plugin_ops *ops;
	uint32_t n_outputs;
	const struct emf_output *outputs;
	uint32_t n_events;
	const struct emf_event_type *const *events;
	uint32_t n_options;
	const struct emf_option *options;
	const char *source; /* the .bpf.c it was generated from, for messages */
	const struct emf_plugin_hooks *hooks; /* NAME__hooks when the plugin defines it */
	uint32_t n_samples;
	const struct emf_sample *samples;
	/*
	 * sizeof(struct emf_option) at build time, when there are options: the
	 * SDK reads options of exactly its own layout and refuses others.
	 */
	uint32_t option_size;
};

/*
 * EMF_PLUGIN_REGISTER - make a descriptor known to the SDK of this program
 *
 * Places a pointer to @desc in the EMF_PLUGIN_SECTION section and defines the
 * global symbol emf_static__<name>. When plugins come from a static archive,
 * link it whole (-Wl,--whole-archive) or reference the symbol
 * (-Wl,--undefined=emf_static__<name>), or the linker drops the object.
 */
#define EMF_PLUGIN_REGISTER(name, desc)                                                      \
	const struct emf_plugin_desc *const emf_static__##name                               \
		__attribute__((used, section("emf_plugins"), aligned(sizeof(void *)))) = &(desc)

/*
 * EMF_PLUGIN_ENTRY - the descriptor of a plugin built as a shared object
 *
 * Defines emf_plugin_entry, the symbol emf_runtime__add_file() looks up. It
 * is weak, so that any number of plugins can be linked into one program
 * statically as well.
 */
#define EMF_PLUGIN_ENTRY(desc)                                                               \
	const struct emf_plugin_desc *const emf_plugin_entry __attribute__((weak)) = &(desc)

/*
 * emf_static_plugins - every descriptor registered in this program
 * @cnt: set to the number of descriptors
 *
 * Returns an array owned by the program's image (never freed), in link order;
 * NULL with *cnt == 0 when none is linked in.
 */
const struct emf_plugin_desc *const *emf_static_plugins(size_t *cnt);

/*
 * emf_plugin_desc__check - validate a descriptor before use
 * @desc: the descriptor
 * @origin: where it came from (file name), for messages; may be NULL
 *
 * Returns 0, or -EMF_ERRNO__ABI for another ABI version (or a longer descriptor
 * that sets fields this SDK does not know) and -EMF_ERRNO__NOTPLUGIN for a
 * descriptor missing a name or operations; a warning names the plugin.
 */
int emf_plugin_desc__check(const struct emf_plugin_desc *desc, const char *origin);

#ifdef __cplusplus
}
#endif

#endif /* __EMF_PLUGIN_H */
