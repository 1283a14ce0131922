/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The runtime: what a host application embeds to run a set of plugins.
 *
 * A runtime holds plugins in lifecycle order (priority, lower first, ties
 * broken by name), drives open/load -> attach -> detach -> destroy over all
 * of them with rollback on failure, reads their event outputs and hands
 * decoded events to the host. Everything it watches sits behind one epoll
 * file descriptor, so any host event loop can drive it.
 *
 * A runtime is used from one thread at a time.
 */
#ifndef __EMF_RUNTIME_H
#define __EMF_RUNTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <emf/event.h>
#include <emf/opts.h>
#include <emf/plugin.h>

#ifdef __cplusplus
extern "C" {
#endif

struct emf_runtime;
struct emf_plugin;
struct bpf_object;

enum emf_plugin_state {
	EMF_PLUGIN_NEW, /* added, nothing done in the kernel yet */
	EMF_PLUGIN_OPENED, /* skeleton opened, options can be set */
	EMF_PLUGIN_LOADED, /* programs and maps in the kernel */
	EMF_PLUGIN_ATTACHED, /* programs attached, events flowing */
	EMF_PLUGIN_FAILED, /* a step failed; everything it did is undone */
};

/* The lifecycle steps, for error reports. */
enum emf_step {
	EMF_STEP_OPEN,
	EMF_STEP_LOAD,
	EMF_STEP_ATTACH,
	EMF_STEP_DETACH,
	EMF_STEP_DESTROY,
};

/* One decoded event, valid only during the callback it is passed to. */
struct emf_event {
	const struct emf_plugin *plugin;
	const struct emf_event_type *type;
	const void *data; /* at least type->min_size bytes */
	size_t size;
};

/*
 * Called for every event read from a plugin's outputs, on the thread calling
 * emf_runtime__poll(). Return 0 to go on; a negative value stops the current
 * poll, which returns it.
 */
typedef int (*emf_event_fn)(void *ctx, const struct emf_event *ev);

struct emf_runtime_opts {
	size_t sz;
	emf_event_fn event_cb; /* NULL: events are read and counted only */
	void *ctx; /* passed to event_cb */
	size_t :0;
};

/*
 * emf_runtime__new - create an empty runtime
 * @opts: options, NULL for defaults
 *
 * Returns a runtime the caller frees with emf_runtime__destroy(), or NULL with
 * errno set (EINVAL for bad options, ENOMEM).
 */
struct emf_runtime *emf_runtime__new(const struct emf_runtime_opts *opts);

/*
 * emf_runtime__destroy - stop every plugin and free the runtime
 *
 * NULL-safe. Leaves nothing of the runtime's in the kernel.
 */
void emf_runtime__destroy(struct emf_runtime *rt);

/*
 * emf_runtime__add - add a plugin to the runtime
 * @desc: its descriptor; must outlive the runtime
 *
 * The plugin takes its place in lifecycle order; nothing is done in the kernel
 * until emf_runtime__start(). Returns the plugin (owned by the runtime) or NULL
 * with errno EMF_ERRNO__DUP for a name already present, EMF_ERRNO__ABI or
 * EMF_ERRNO__NOTPLUGIN for a bad descriptor, EMF_ERRNO__STATE once started.
 */
struct emf_plugin *emf_runtime__add(struct emf_runtime *rt, const struct emf_plugin_desc *desc);

/*
 * emf_runtime__add_static - add every plugin linked into the program
 *
 * Returns the number of plugins added, or a negative errno (see
 * emf_runtime__add()); on error, none of them is added.
 */
int emf_runtime__add_static(struct emf_runtime *rt);

/*
 * emf_runtime__remove - drop a plugin that was not started
 *
 * Returns 0, or -EMF_ERRNO__STATE when the runtime is running.
 */
int emf_runtime__remove(struct emf_runtime *rt, struct emf_plugin *plugin);

/* emf_runtime__plugin_cnt - the number of plugins */
size_t emf_runtime__plugin_cnt(const struct emf_runtime *rt);

/* emf_runtime__plugin - the @idx-th plugin in lifecycle order, NULL past the end */
struct emf_plugin *emf_runtime__plugin(const struct emf_runtime *rt, size_t idx);

/* emf_runtime__find - the plugin named @name, or NULL with errno ENOENT */
struct emf_plugin *emf_runtime__find(const struct emf_runtime *rt, const char *name);

/*
 * emf_runtime__open - open every plugin's skeleton, in lifecycle order
 *
 * After this, options may be set (emf_plugin__set_option()). Called by
 * emf_runtime__start() when not done before. On failure every plugin opened
 * so far is destroyed, in reverse order. Returns 0 or a negative errno; the
 * message names the plugin and the reason.
 */
int emf_runtime__open(struct emf_runtime *rt);

/*
 * emf_runtime__start - load and attach every plugin, all or nothing
 *
 * Opens (if needed), loads and attaches each plugin in lifecycle order, then
 * sets up the readers of their outputs. When plugin k fails at any step,
 * everything done for plugins 0..k is undone in reverse order, so the kernel
 * holds nothing of the runtime, and the error (with the verifier log's tail
 * for a rejected program) names the plugin and the step. Returns 0 or a
 * negative errno; emf_runtime__last_error() describes it.
 */
int emf_runtime__start(struct emf_runtime *rt);

/*
 * emf_runtime__stop - detach and destroy every plugin, in reverse order
 *
 * The plugins stay in the runtime (state EMF_PLUGIN_NEW) and can be started
 * again. Safe to call on a runtime that is not running.
 */
void emf_runtime__stop(struct emf_runtime *rt);

/*
 * emf_runtime__epoll_fd - the one fd a host loop watches for readability
 *
 * Owned by the runtime. When it is readable, call emf_runtime__poll(rt, 0).
 */
int emf_runtime__epoll_fd(const struct emf_runtime *rt);

/*
 * emf_runtime__poll - wait up to @timeout_ms for events and deliver them
 *
 * @timeout_ms: -1 waits forever, 0 does not wait.
 * Returns the number of events delivered, -EINTR when a signal interrupted the
 * wait, or another negative errno (or what the event callback returned).
 */
int emf_runtime__poll(struct emf_runtime *rt, int timeout_ms);

/*
 * emf_runtime__last_error - text of the last failed start, or "" when none
 *
 * Owned by the runtime, valid until the next call on it.
 */
const char *emf_runtime__last_error(const struct emf_runtime *rt);

/* Accessors; strings are owned by the plugin's descriptor. */
const char *emf_plugin__name(const struct emf_plugin *plugin);
const char *emf_plugin__description(const struct emf_plugin *plugin);
const struct emf_plugin_desc *emf_plugin__desc(const struct emf_plugin *plugin);
int emf_plugin__priority(const struct emf_plugin *plugin);
enum emf_plugin_state emf_plugin__state(const struct emf_plugin *plugin);
const char *emf_plugin_state_str(enum emf_plugin_state state);
const char *emf_step_str(enum emf_step step);

/*
 * emf_plugin__set_priority - override the descriptor's priority
 *
 * Reorders the runtime. Returns 0, or -EMF_ERRNO__STATE after start.
 */
int emf_plugin__set_priority(struct emf_plugin *plugin, int priority);

/*
 * emf_plugin__object - the plugin's libbpf object, NULL before open
 *
 * Owned by the plugin; valid until it is stopped.
 */
struct bpf_object *emf_plugin__object(const struct emf_plugin *plugin);

/*
 * emf_plugin__option - the option (const volatile global) named @name
 *
 * Returns the option (owned by the descriptor), or NULL with errno ENOENT.
 */
const struct emf_option *emf_plugin__option(const struct emf_plugin *plugin, const char *name);

/*
 * emf_plugin__set_option - set an option from text, before the plugin loads
 * @value: "42", "0x2a", "true", an enum's name, or a string
 *
 * The value is checked against the option's type and range, kept, and
 * written into the plugin's .rodata at every open. Returns 0, -ENOENT for an
 * unknown option, -ERANGE or -EINVAL for a value that does not fit (with a
 * message saying why), -EMF_ERRNO__STATE once the plugin is loaded.
 */
int emf_plugin__set_option(struct emf_plugin *plugin, const char *name, const char *value);

/*
 * emf_plugin__set_option_raw - set an option from its binary value
 *
 * @size must be the option's size. The generated typed setters
 * (NAME__set_OPTION()) call this. Errors as emf_plugin__set_option().
 */
int emf_plugin__set_option_raw(struct emf_plugin *plugin, const char *name, const void *value,
			       size_t size);

/* Per-plugin counters, readable at any time. */
struct emf_plugin_stats {
	uint64_t events; /* delivered to the host */
	uint64_t lost; /* never delivered: dropped in the kernel or the reader */
	uint64_t decode_errors; /* refused by the decoder (too short) */
};

/* emf_plugin__stats - copy the plugin's counters into @stats */
void emf_plugin__stats(const struct emf_plugin *plugin, struct emf_plugin_stats *stats);

#ifdef __cplusplus
}
#endif

#endif /* __EMF_RUNTIME_H */
