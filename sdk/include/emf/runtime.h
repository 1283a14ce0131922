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

#include <signal.h>
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
struct emf_pin_opts;
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
	/*
	 * Wall-clock time (CLOCK_REALTIME, ns since the epoch): the event's own
	 * timestamp field converted (see <emf/types.h>), or, for an event type
	 * without one, when the poll read it.
	 */
	uint64_t time_ns;
};

/*
 * emf_event__json_line - write @ev as one JSON object, the line format of
 * emf-agent --json: {"plugin":"NAME","event":"TYPE","time":"RFC 3339",FIELDS}
 * @p: room for emf_event__json_max(@ev) bytes
 *
 * The time is emf_fmt_time() of @ev->time_ns; the fields are the type's JSON
 * renderer's. Neither a newline nor a NUL is written: add your framing.
 * Returns the end of what was written.
 */
char *emf_event__json_line(char *p, const struct emf_event *ev);
/* The most bytes emf_event__json_line() writes for @ev. */
size_t emf_event__json_max(const struct emf_event *ev);

/*
 * emf_event__json_line_fields - emf_event__json_line() with only the fields
 * of @fields (see emf_fields__new() in <emf/event.h>), compiled for @ev's
 * type; NULL @fields writes them all, as emf_event__json_line() does
 * @p: room for emf_event__json_max_fields(@ev, @fields) bytes
 *
 * Returns the end of what was written.
 */
char *emf_event__json_line_fields(char *p, const struct emf_event *ev,
				  const struct emf_fields *fields);
/* The most bytes emf_event__json_line_fields() writes for @ev. */
size_t emf_event__json_max_fields(const struct emf_event *ev, const struct emf_fields *fields);

/*
 * Called for every event read from a plugin's outputs, on the thread calling
 * emf_runtime__poll() (or __drain(), or __stop_plugin(), __stop() and
 * __destroy(), which deliver what a plugin's outputs still hold once its
 * programs are detached). Return 0 to go on; a negative value stops the
 * current poll, which returns it.
 */
typedef int (*emf_event_fn)(void *ctx, const struct emf_event *ev);

/*
 * One reading of a sampled map (EMF_SAMPLE_* in <emf/emf.bpf.h>, or one
 * emf-codegen recognised), valid only during the callback it is passed to.
 * For EMF_SAMPLE_COUNTERS, the entries read (of an array map, only those not
 * zero); for EMF_SAMPLE_LOG2_HIST of integer values, the non-empty slots, key
 * = slot number; for EMF_SAMPLE_LOG2_HIST of a value struct with an integer
 * array "slots", the entries, one histogram each. Per-CPU values are summed.
 */
struct emf_sample_data {
	const struct emf_plugin *plugin;
	const struct emf_sample *sample; /* map name, kind, key and value layouts */
	size_t n;
	const void *keys; /* n keys of sample->key.size bytes */
	const void *values; /* n values of sample->value.size bytes */
};

/*
 * Called for each reading of a sampled map, on the thread calling
 * emf_runtime__poll(), every interval of the map. Return 0; a negative value
 * stops the current poll, which returns it.
 */
typedef int (*emf_sample_fn)(void *ctx, const struct emf_sample_data *data);

/*
 * Called when the reader finds that @plugin lost events on its @output-th
 * output (an index of emf_plugin__desc(plugin)->outputs): @lost more since
 * the last call, @total since the plugin was added. Ring buffer losses are
 * failed reserves counted by the plugin's BPF code, read about once a second
 * and at stop; perf buffer losses are the kernel's in-band reports. Called on
 * the thread calling emf_runtime__poll() (or __drain(), __stop_plugin(),
 * __destroy()); it must not stop or remove plugins.
 */
typedef void (*emf_lost_fn)(void *ctx, const struct emf_plugin *plugin, size_t output,
			    uint64_t lost, uint64_t total);

struct emf_runtime_opts {
	size_t sz;
	emf_event_fn event_cb; /* NULL: events are read and counted only */
	void *ctx; /* passed to event_cb */
	/*
	 * Period of the drain of every output while events flow, in ms
	 * (1..1000; 0 for EMF_DRAIN_MS_DEFAULT). A lone event wakes the host
	 * at once (emf_submit() of <emf/emf.bpf.h> wakes the reader for the
	 * first unread record); while events keep coming the reader drains
	 * each period instead of waking per event, so an event waits at most
	 * this long, plus scheduling delay, while the host polls. No timer
	 * runs while nothing happens. A longer period costs a storm fewer
	 * wake-ups; a shorter one bounds its latency tighter.
	 */
	unsigned int drain_ms;
	/*
	 * Keep going when a plugin fails to start: it is reported (state
	 * EMF_PLUGIN_FAILED, nothing of it left in the kernel) and the others
	 * run. Default: all or nothing.
	 */
	bool keep_going;
	/* Threads that load and detach plugins in parallel; 0: one per CPU, 1: none. */
	unsigned int jobs;
	emf_sample_fn sample_cb; /* NULL: sampled maps are only published on the bus */
	/*
	 * Lost events, per output; passed ctx. NULL: the SDK warns itself, on
	 * the first loss of an output and then at most every 10 s.
	 */
	emf_lost_fn lost_cb;
	/*
	 * A loaded program that got no attachment (its section names no target
	 * and it declares none, or the option naming its target is empty)
	 * fails its plugin's attach step with -EMF_ERRNO__IDLE, and a program
	 * whose hook this kernel lacks fails its plugin's load with
	 * -EMF_ERRNO__NOFEAT. Default: a warning naming the plugin, the program,
	 * its section and what to set; the program without a hook is left out.
	 */
	bool idle_fails;
	/*
	 * Hand events to event_cb in time order (struct emf_event.time_ns,
	 * ties in read order) within each emf_runtime__poll() and
	 * emf_runtime__drain(): every output is read first, each record copied
	 * once, then the batch is sorted and delivered. The order holds among
	 * the events of one poll, which are what the buffers held when it read
	 * them (up to 4096 per output; the rest come in the next poll). Events
	 * are not reordered across polls: one submitted after its buffer was
	 * read comes in a later poll even when it is stamped earlier than some
	 * of this poll's. That bound is the delay between an event's timestamp
	 * and its submit plus one drain period (drain_ms) for outputs read on
	 * the drain timer. If event_cb stops a poll, the rest of the batch is
	 * delivered by the next one. Default: each event as it is read, with no
	 * copy.
	 */
	bool ordered;
	/*
	 * Tell plugins that use EMF_HOST_FILTER (<emf/emf.bpf.h>) which
	 * process hosts them, so their BPF code can leave this process's own
	 * activity out (emf-agent's opens of its own files, say). Default:
	 * they see it like any other.
	 */
	bool exclude_host;
	/*
	 * Where shared tail-call slots and maps are pinned, and whether the
	 * pins outlive the runtime (struct emf_pin_opts of <emf/slots.h>);
	 * NULL for the defaults. The same as emf_runtime__set_pin_opts() right
	 * after creation; a bad value fails emf_runtime__new() with EINVAL.
	 */
	const struct emf_pin_opts *pin;
	size_t :0;
};

#define EMF_DRAIN_MS_DEFAULT 2

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
 * NULL-safe. Delivers what the outputs still hold, as emf_runtime__stop()
 * does, and leaves nothing of the runtime's in the kernel.
 */
void emf_runtime__destroy(struct emf_runtime *rt);

/*
 * emf_runtime__add - add a plugin to the runtime
 * @desc: its descriptor; must outlive the runtime
 *
 * The plugin takes its place in lifecycle order; nothing is done in the kernel
 * until emf_runtime__start(), or emf_runtime__start_plugin() on a running
 * runtime. Returns the plugin (owned by the runtime) or NULL with errno
 * EMF_ERRNO__DUP for a name already present, EMF_ERRNO__ABI or
 * EMF_ERRNO__NOTPLUGIN for a bad descriptor.
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
 * emf_runtime__remove - drop a plugin that is not running
 *
 * The plugin must be new, stopped (emf_runtime__stop_plugin()) or failed; a
 * dynamic plugin's shared object is closed. Returns 0, -ENOENT, or
 * -EMF_ERRNO__STATE for a plugin that runs.
 */
int emf_runtime__remove(struct emf_runtime *rt, struct emf_plugin *plugin);

/* emf_runtime__plugin_cnt - the number of plugins */
size_t emf_runtime__plugin_cnt(const struct emf_runtime *rt);

/* emf_runtime__plugin - the @idx-th plugin in lifecycle order, NULL past the end */
struct emf_plugin *emf_runtime__plugin(const struct emf_runtime *rt, size_t idx);

/*
 * emf_runtime__find - the plugin named @name
 *
 * Returns it, or NULL with errno ENOENT (none of that name) or EINVAL (a NULL
 * argument).
 */
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
 * Between the two, the events still in the outputs are delivered to
 * event_cb, so none sent before the detach is lost. The plugins stay in the runtime (state EMF_PLUGIN_NEW) and can be started
 * again. Safe to call on a runtime that is not running.
 */
void emf_runtime__stop(struct emf_runtime *rt);

/*
 * emf_runtime__add_file - add a dynamic plugin from a shared object
 * @path: a .so built from a plugin directory (it defines emf_plugin_entry)
 *
 * @path is walked once, a component at a time, without letting the kernel
 * follow a symlink: the file, every directory crossed (also those a symlink
 * leads through) and every symlink must be owned by root or the effective
 * user, and no directory or file may be writable by group or others (a
 * root-owned sticky directory such as /tmp is accepted), as sudo and sshd
 * require. The checks are made on the objects opened, and what is loaded is
 * a sealed private copy of the very file checked (a memfd, dlopen()ed as
 * /proc/self/fd/N): a symlink renamed after the checks is never loaded, and
 * overwriting the file in place later does not change the code loaded. So
 * $ORIGIN in the object's RPATH does not name the file's directory.
 *
 * The object's constructors run when it is dlopen()ed, as the calling
 * process's user and before its descriptor is checked: only files from
 * trusted authors belong in a plugin directory, even when they will be
 * refused as no plugin, of another ABI or a duplicate.
 *
 * Its descriptor must carry this SDK's ABI version and a name not already
 * present (the file refused is named, and the plugin kept). The plugin is
 * added as by emf_runtime__add(); on a running runtime, start it with
 * emf_runtime__start_plugin(). The copy stays loaded until the plugin is
 * removed. Returns the plugin, or NULL with errno set: EMF_ERRNO__UNSAFE,
 * EMF_ERRNO__NOTPLUGIN (not a regular file, not a shared object, no
 * emf_plugin_entry), EMF_ERRNO__ABI, EMF_ERRNO__DUP, EAGAIN (the file changed
 * while it was read), or a system error; the message names the file and the
 * reason.
 */
struct emf_plugin *emf_runtime__add_file(struct emf_runtime *rt, const char *path);

struct emf_add_file_opts {
	size_t sz; /* sizeof(struct emf_add_file_opts), set by EMF_OPTS */
	/*
	 * A plugin built into the program (emf_runtime__add_static()) of the
	 * same name, not started yet, is removed and this one added in its
	 * place, with a note: the file the user named wins.
	 */
	bool replace_builtin;
	size_t : 0;
};

/*
 * emf_runtime__add_file_opts - emf_runtime__add_file() with options
 * @opts: NULL for the defaults
 *
 * Returns as emf_runtime__add_file(), and NULL with errno EINVAL for bad
 * @opts.
 */
struct emf_plugin *emf_runtime__add_file_opts(struct emf_runtime *rt, const char *path,
					      const struct emf_add_file_opts *opts);

/*
 * emf_runtime__add_dir - add every *.so of a directory, in name order
 *
 * All or nothing: when one file is refused, the plugins added from the
 * directory so far are removed again. Returns the number added, or a
 * negative errno (see emf_runtime__add_file()).
 */
int emf_runtime__add_dir(struct emf_runtime *rt, const char *dir);

/*
 * The names of emf_runtime__add_file() and emf_runtime__add_dir() before
 * they matched emf_runtime__add(): they load no BPF (that is the load step
 * of a start), they add plugins. Kept for one release.
 */
struct emf_plugin *emf_runtime__load_file(struct emf_runtime *rt, const char *path)
	__attribute__((deprecated("use emf_runtime__add_file()")));
int emf_runtime__load_dir(struct emf_runtime *rt, const char *dir)
	__attribute__((deprecated("use emf_runtime__add_dir()")));

/*
 * emf_runtime__start_plugin - start one plugin while the others run
 *
 * Opens, loads and attaches @plugin (added after the start, or stopped) and
 * reads its events; the others keep delivering. On failure the plugin is
 * rolled back (state EMF_PLUGIN_FAILED) and the others are untouched.
 * Returns 0 or a negative errno; emf_runtime__last_error() says why.
 */
int emf_runtime__start_plugin(struct emf_runtime *rt, struct emf_plugin *plugin);

/*
 * emf_runtime__stop_plugin - stop one plugin while the others run
 *
 * Detaches it, delivers to event_cb the events its outputs still hold, stops
 * reading them and destroys it (hooks included); it stays in the runtime in
 * state EMF_PLUGIN_NEW. Returns 0 or -EINVAL.
 */
int emf_runtime__stop_plugin(struct emf_runtime *rt, struct emf_plugin *plugin);

/*
 * emf_plugin__path - the shared object a dynamic plugin came from
 *
 * Returns a string owned by the plugin, or NULL for a static plugin.
 */
const char *emf_plugin__path(const struct emf_plugin *plugin);

struct emf_bus;
struct emf_buf;

/*
 * emf_sample_data__json - append a reading as one JSON object (no newline):
 * {"plugin":P,"map":M,"entries":[{"key":K,"value":V},...]} for counters
 * (struct keys and values as objects of their fields), or
 * {"plugin":P,"map":M,"hist":[{"low":L,"high":H,"count":N},...]} for a log2
 * histogram (slots 0 to the highest used), or
 * {"plugin":P,"map":M,"hists":[{"key":K,"F":V,...,"hist":[...]},...]} for one
 * histogram per key, F the value's members other than "slots". Returns 0 or
 * -ENOMEM.
 */
int emf_sample_data__json(const struct emf_sample_data *data, struct emf_buf *b);

/*
 * emf_sample_data__text - append a reading as text: a title line, then a
 * table of keys and values, largest first (see emf_sample_data__text_opts()),
 * or histograms with bars as libbpf-tools' print_log2_hist() prints them
 * (one per key, under its "field = value" line); nothing for an empty
 * reading. Returns 0 or
 * -ENOMEM.
 */
int emf_sample_data__text(const struct emf_sample_data *data, struct emf_buf *b);

struct emf_sample_text_opts {
	size_t sz;
	/*
	 * Field the table's rows are sorted by, largest first: an integer
	 * field of the value (or of a struct key). NULL, or a name the map
	 * lacks: the value's first integer field.
	 */
	const char *sort;
	size_t top; /* show at most this many rows (the title says of how many); 0: all */
	const char *title; /* put before "PLUGIN MAP" in the title line, e.g. a time */
	size_t :0;
};

/*
 * emf_sample_data__text_opts - emf_sample_data__text() with @opts (NULL for
 * the defaults). Returns 0, -EINVAL for bad @opts, or -ENOMEM.
 */
int emf_sample_data__text_opts(const struct emf_sample_data *data, struct emf_buf *b,
			       const struct emf_sample_text_opts *opts);

/*
 * emf_runtime__bus - the runtime's message bus, created on first use
 *
 * From then on every decoded event of every plugin is also published on the
 * bus, on topic "PLUGIN.EVENT" (e.g. "execsnoop.event") with its event type,
 * so code can subscribe instead of touching ring buffers; the bus's
 * host-loop deliveries run from emf_runtime__poll() (its fd is behind the
 * runtime's epoll fd); and signals raised on it reach every running plugin's
 * signal hook. Owned by the runtime, destroyed with it. Returns NULL with
 * errno set when it cannot be created.
 */
struct emf_bus *emf_runtime__bus(struct emf_runtime *rt);

/* emf_plugin__runtime - the runtime a plugin belongs to */
struct emf_runtime *emf_plugin__runtime(const struct emf_plugin *plugin);

/*
 * emf_runtime__epoll_fd - the one fd a host loop watches for readability
 *
 * Owned by the runtime. When it is readable, call emf_runtime__poll(rt, 0).
 * Returns the fd, or -EINVAL for a NULL runtime.
 */
int emf_runtime__epoll_fd(const struct emf_runtime *rt);

/*
 * Callback of a file descriptor watched by the runtime's loop, run on the
 * thread calling emf_runtime__poll() after the events of that poll were
 * delivered, so it may start, stop and remove plugins.
 */
typedef void (*emf_runtime_fd_fn)(void *ctx, int fd);

/*
 * emf_runtime__add_fd - let the runtime's loop watch @fd for readability
 * @fd: stays the caller's; remove it with emf_runtime__remove_fd() before
 *      closing it
 *
 * Lets a host add its own sources (a control socket, say) to the one epoll
 * fd it already polls. While watched fds have work at most 50 µs apart, as
 * a client's stream of calls has, emf_runtime__poll() looks for the next for
 * up to 50 µs before it sleeps (yielding the CPU to anyone else who wants
 * it), so that such a stream costs no wake-up per request; a lone request
 * costs no polling. Returns 0, -EINVAL, -EEXIST (@fd watched already),
 * -ENOMEM or the error of epoll_ctl().
 */
int emf_runtime__add_fd(struct emf_runtime *rt, int fd, emf_runtime_fd_fn fn, void *ctx);

/* emf_runtime__remove_fd - stop watching @fd; returns 0, -EINVAL or -ENOENT */
int emf_runtime__remove_fd(struct emf_runtime *rt, int fd);

/*
 * emf_plugin__signal - run one plugin's signal hook
 *
 * What a bus signal (emf_bus__signal()) does for every running plugin, for
 * this one only. Returns 0, -EMF_ERRNO__STATE when it is not attached, or
 * -EOPNOTSUPP when it has no signal hook.
 */
int emf_plugin__signal(struct emf_plugin *plugin, int signo, const char *name);

/*
 * emf_runtime__poll - wait up to @timeout_ms for events and deliver them
 *
 * @timeout_ms: -1 waits forever, 0 does not wait.
 * Returns the number of events delivered, -EINVAL for a NULL runtime,
 * -EMF_ERRNO__STATE when it is not running, -EINTR when a signal interrupted the
 * wait, or another negative errno (or what the event callback returned).
 */
int emf_runtime__poll(struct emf_runtime *rt, int timeout_ms);

/*
 * emf_runtime__last_error - text of the last failed start, or "" when none
 * (or for a NULL runtime)
 *
 * The SDK has already logged it (at EMF_WARN, through emf_set_print(), its
 * detail such as the verifier log's tail at EMF_INFO): a host that keeps the
 * default print callback need not print it again. The text is the one-line
 * report, followed for a verifier rejection by "\nverifier log (tail):\n"
 * and the log's last lines. Owned by the runtime, valid until the next call
 * on it.
 */
const char *emf_runtime__last_error(const struct emf_runtime *rt);

/*
 * emf_plugin__last_error - report of the plugin's last failure, "" when none
 *
 * The same text emf_runtime__last_error() gave for it, kept per plugin so a
 * host running with keep_going can say what each skipped plugin lacked.
 * Owned by the plugin, valid until it fails again or is removed.
 */
const char *emf_plugin__last_error(const struct emf_plugin *plugin);

/*
 * emf_plugin__set_required - make the plugin's failure fail the whole start
 *
 * With emf_runtime_opts.keep_going, a failing plugin is skipped; a required
 * one instead fails emf_runtime__start() all or nothing, as without
 * keep_going (e.g. plugins a user asked for by name). Without keep_going
 * every plugin is required. Returns 0, or -EINVAL for a NULL plugin.
 */
int emf_plugin__set_required(struct emf_plugin *plugin, bool required);

/* Accessors; strings are owned by the plugin's descriptor. */
const char *emf_plugin__name(const struct emf_plugin *plugin);
const char *emf_plugin__description(const struct emf_plugin *plugin);
const struct emf_plugin_desc *emf_plugin__desc(const struct emf_plugin *plugin);
int emf_plugin__priority(const struct emf_plugin *plugin);
enum emf_plugin_state emf_plugin__state(const struct emf_plugin *plugin);
const char *emf_plugin_state_str(enum emf_plugin_state state);
const char *emf_step_str(enum emf_step step);

/*
 * emf_plugin__set_priv - attach the plugin's own data to this instance
 * @priv: owned by the caller (typically allocated by the plugin's create hook
 *	  and freed by its destroy hook); NULL to clear
 *
 * State a plugin's hooks keep belongs to the emf_plugin, not to globals, so
 * two runtimes running the same descriptor do not share it. Kept until set
 * again; the runtime never reads or frees it. Returns 0, or -EINVAL for a
 * NULL plugin.
 */
int emf_plugin__set_priv(struct emf_plugin *plugin, void *priv);

/* emf_plugin__priv - the data given to emf_plugin__set_priv(); NULL when none or for NULL. */
void *emf_plugin__priv(const struct emf_plugin *plugin);

/*
 * emf_plugin__set_priority - override the descriptor's priority
 *
 * Reorders the runtime. Returns 0, -EINVAL for a NULL plugin, or
 * -EMF_ERRNO__STATE after start.
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
 * @name is its C name, or its long name (struct emf_option .long_name: "uid"
 * for target_uid); '-' and '_' are alike. Returns the option (owned by the
 * descriptor), or NULL with errno ENOENT.
 */
const struct emf_option *emf_plugin__option(const struct emf_plugin *plugin, const char *name);

/*
 * emf_plugin__set_option - set an option from text, before the plugin loads
 * @value: "42", "0x2a", "true", an enum's name, or a string; "-1" for an
 *         unsigned option is its largest value, as (uid_t)-1 in C
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
	uint64_t lost; /* never delivered: failed ring reserves, perf samples the kernel dropped */
	uint64_t decode_errors; /* refused by the decoder (too short) */
	/* Reads that delivered at least one event: events / batches is the mean batch. */
	uint64_t batches;
};

/*
 * emf_plugin__stats - copy the plugin's counters into @stats
 *
 * While the plugin runs, this first reads the kernel's count of events its BPF
 * code could not reserve (emf_reserve()/emf_output() of <emf/emf.bpf.h>, or the
 * plain bpf_ringbuf_*() helpers through emf-codegen's <emf/shim.bpf.h>), so
 * @stats->lost is current. Counters add up over stops and starts. Returns 0,
 * or -EINVAL for a NULL argument (as emf_plugin__output_stats()).
 */
int emf_plugin__stats(const struct emf_plugin *plugin, struct emf_plugin_stats *stats);

/* Counters of one event output (map) of a plugin. */
struct emf_output_stats {
	uint64_t events; /* delivered to the host */
	uint64_t lost; /* reserves that failed on a full ring, or samples a full perf buffer dropped */
	uint64_t decode_errors; /* refused by the decoder (too short) */
	uint64_t batches; /* reads that delivered at least one event */
};

/*
 * emf_plugin__output_stats - counters of the plugin's @idx-th output
 *
 * @idx indexes emf_plugin__desc(plugin)->outputs, whose map_name names it.
 * Returns 0, -EINVAL for a NULL argument, or -ENOENT when @idx is past the
 * last output.
 */
int emf_plugin__output_stats(const struct emf_plugin *plugin, size_t idx,
			     struct emf_output_stats *stats);

/*
 * emf_plugin__set_ring_size - size an event output before the plugin loads
 * @map: name of the output map, NULL for every output of the plugin
 * @bytes: a power of two, at least the page size
 *
 * For a ring buffer, @bytes is the whole ring (applied with
 * bpf_map__set_max_entries() between open and load); for a perf event array,
 * the buffer of each CPU (default 256 KiB). A larger ring absorbs longer
 * stalls of the host before events are lost. Kept for every later start.
 * Returns 0, -EINVAL for a bad size, -ENOENT when the plugin has no output
 * @map, or -EMF_ERRNO__STATE once the plugin is loaded; a message says which.
 */
int emf_plugin__set_ring_size(struct emf_plugin *plugin, const char *map, size_t bytes);

/*
 * emf_plugin__set_map_size - set a map's max_entries before the plugin loads
 * @map: name of the map in the plugin's BPF code
 * @max_entries: at least 1 (for a ring buffer, its size in bytes)
 *
 * What a tool's own user space did with bpf_map__set_max_entries(). Applied
 * between open and load at every later start; a map that is not there fails
 * that start with a message naming it. A map that declares no max_entries
 * and gets no size here gets a default (10240 entries, 256 KiB for a ring
 * buffer) and a note. Returns 0, -EINVAL for a size of 0, -ENOMEM, or
 * -EMF_ERRNO__STATE once the plugin is loaded; a message says which.
 */
int emf_plugin__set_map_size(struct emf_plugin *plugin, const char *map, uint32_t max_entries);

struct emf_runtime_sample_opts {
	size_t sz;
	/*
	 * Afterwards delete (hash) or zero (array) the entries read, so the
	 * next reading covers only what came since. Maps with an interval of
	 * their own keep their EMF_SAMPLE_*_CLEAR choice.
	 */
	bool clear;
	bool all; /* also the maps read at an interval of their own (EMF_SAMPLE_*) */
	size_t :0;
};

/*
 * emf_runtime__sample - read the sampled maps that have no interval now
 *
 * Those are the maps emf-codegen recognised by their shape, without an
 * EMF_SAMPLE_* annotation (interval_ms 0 in struct emf_sample): log2
 * histograms (a value struct with an integer array "slots") and counter
 * tables. Each attached plugin's map is read, per-CPU values summed, handed
 * to the sample callback and published on the bus, as the periodic ones
 * are; a host calls this at the end of a run, or on its own timer. @opts
 * may be NULL. Returns 0, -EINVAL for bad @opts, -EMF_ERRNO__STATE when the
 * runtime is not running, or what the sample callback returned to stop.
 */
int emf_runtime__sample(struct emf_runtime *rt, const struct emf_runtime_sample_opts *opts);

/*
 * emf_plugin__iter_run - run one of the plugin's iterators now
 * @prog: name of the SEC("iter/...") program declared with EMF_ATTACH_ITER*()
 *	of <emf/attach.bpf.h>; NULL when the plugin has only one
 *
 * Makes an iterator, reads it to the end and delivers what it wrote as
 * events of its output, as its interval does (an interval of 0 runs it only
 * when asked). The events reach the event callback, the bus and filters
 * before this returns. Call it from the thread that runs the runtime
 * (emf_runtime__poll()'s). Returns the number of records it delivered (0 or
 * more), -EINVAL (no @plugin, or @prog NULL and several iterators), -ENOENT
 * (no such iterator), -EMF_ERRNO__STATE when the plugin is not running, or
 * -ENOMEM.
 */
int emf_plugin__iter_run(struct emf_plugin *plugin, const char *prog);

/*
 * emf_plugin__set_attach_target - set where one program attaches
 * @prog: name of the program (its function in the plugin's BPF code)
 * @target: a kernel function for fentry, fexit, fmod_ret, kprobe and
 *	kretprobe programs; a tracepoint NAME for tp_btf and raw_tp ones,
 *	CATEGORY/NAME for tp ones; BINARY:SYMBOL (an absolute path) for
 *	uprobe and uretprobe ones. Alternatives separated by ',' ("f,__f"):
 *	the first this kernel has is used.
 *
 * What a tool's own user space did for a placeholder section such as
 * SEC("fentry/dummy_file_read"), or for a function some kernels name
 * differently. Applied between open and load at every later start: a BTF
 * target with bpf_program__set_attach_target(); the others are attached by
 * name after the skeleton's attach (the section's own target is not used).
 * A target this kernel lacks, or a program that is not there, fails that
 * start with a message naming the plugin, the program and the target.
 * @target is copied. Returns 0, -EINVAL for an empty name or target,
 * -ENOMEM, or -EMF_ERRNO__STATE once the plugin is loaded; a message says
 * which.
 *
 * Without a target set, a program whose section names a hook point this
 * kernel lacks (a tracepoint, kernel function or BTF type not there) is left
 * out at start with a note; a plugin left with no program fails, and with
 * idle_fails (struct emf_runtime_opts) so does any that leaves one out.
 */
int emf_plugin__set_attach_target(struct emf_plugin *plugin, const char *prog,
				  const char *target);

/*
 * emf_runtime__drain - deliver the events already waiting in every output
 *
 * Reads every output now, without waiting, whether or not the kernel woke the
 * reader, until each is empty (events arriving meanwhile may be read too),
 * and brings the lost counters up to date. Returns the number of events
 * delivered, -EMF_ERRNO__STATE when the runtime is not running, or what the
 * event callback returned to stop.
 */
int emf_runtime__drain(struct emf_runtime *rt);

struct emf_run_opts {
	size_t sz;
	/*
	 * Return once *stop is non-zero, set by a signal handler, or by another
	 * thread with an atomic store (__atomic_store_n()); NULL: never.
	 */
	const volatile sig_atomic_t *stop;
	/* Return after this many ms; 0: no limit. */
	unsigned int duration_ms;
	/*
	 * Called after every poll, at least every 100 ms, with tick_ctx:
	 * return 0 to go on, a positive value to stop, a negative errno to
	 * stop with that error (e.g. to flush output written by event_cb).
	 */
	int (*tick_cb)(void *tick_ctx);
	void *tick_ctx;
	size_t :0;
};

/*
 * emf_runtime__run - deliver events until stopped
 * @opts: when to stop; NULL runs until an error
 *
 * The run loop for hosts without their own: polls, and on a stop drains
 * what is already waiting (emf_runtime__drain()). A signal interrupts the
 * wait, so a handler that sets @opts->stop stops it at once; without a
 * tick_cb the loop also wakes every second to look at @opts->stop (a signal
 * that lands just before the wait), and costs an idle host nothing more.
 * Signals interrupting the wait are not errors.
 * Returns 0 when stopped by @opts, -EMF_ERRNO__STATE when the runtime is not
 * running, or a negative errno (or what event_cb or tick_cb returned).
 */
int emf_runtime__run(struct emf_runtime *rt, const struct emf_run_opts *opts);

#ifdef __cplusplus
}
#endif

#endif /* __EMF_RUNTIME_H */
