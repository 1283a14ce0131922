/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Private state shared by the runtime's lifecycle and reader. */
#ifndef __EMF_RUNTIME_INTERNAL_H
#define __EMF_RUNTIME_INTERNAL_H

#include <stdarg.h>

#include <emf/fmt.h>
#include <emf/runtime.h>

#include "log_internal.h"
#include "slots_internal.h"

/* Everything declared below is private to libemfsdk: hidden. */
#pragma GCC visibility push(hidden)

/* Events reach the host aligned this much (ring buffer records are 8-aligned). */
#define EMF_EVENT_ALIGN 16

struct ring_buffer;
struct perf_buffer;

struct bpf_map;
struct bpf_link;
struct bpf_program;
struct emf_sample_rt;
struct emf_attachment;
struct emf_iter;
struct emf_map_size;
/* A target set with emf_plugin__set_attach_target() (target_set.c). */
struct emf_attach_target {
	char *prog;
	char *targets; /* as given: alternatives separated by ',' */
	char *chosen; /* the one this start uses, NULL until chosen */
};

/*
 * One event output of one plugin, the context of the reader's callbacks.
 * Lives from the first setting or start until the plugin is freed, so its
 * counters survive a stop.
 */
struct emf_output_rt {
	struct emf_plugin *plugin;
	const struct emf_output *out;
	struct ring_buffer *rb; /* EMF_OUTPUT_RINGBUF, while the reader runs */
	struct perf_buffer *pb; /* EMF_OUTPUT_PERFBUF, while the reader runs */
	int map_fd; /* of the ring buffer, in the epoll set while rb is */
	const void *rb_pos; /* its consumer and producer pages, mapped read-only with rb */
	uint64_t rb_thresh; /* unread bytes from which a wake-up is read at once while busy */
	size_t ring_size; /* bytes set by emf_plugin__set_ring_size(), 0 for the default */
	unsigned int budget; /* events this read may still deliver */
	bool pending; /* a read stopped on its budget with events left */
	struct emf_output_stats stats;
	char *topic; /* "PLUGIN.EVENT", where the bus publishes its events */
	void *scratch; /* aligned copy of a perf sample, see EMF_EVENT_ALIGN */
	size_t scratch_size;
	uint64_t lost_run; /* emf_lost count of this output in the running object */
	uint64_t lost_scan; /* scratch of the emf_lost scan */
	uint64_t lost_warned; /* stats.lost at the last warning */
	uint64_t warned_ns; /* time of the last warning, 0 for never */
};

struct emf_plugin {
	struct emf_runtime *rt;
	const struct emf_plugin_desc *desc;
	int priority;
	enum emf_plugin_state state;
	void *skel;
	struct emf_output_rt *outs; /* desc->n_outputs, see struct emf_output_rt */
	struct emf_plugin_stats stats;
	struct bpf_map *lost_map; /* emf_lost of <emf/emf.bpf.h>, while the reader runs */
	uint64_t lost_run; /* emf_lost total of the running object, all keys */
	bool lost_stray_warned; /* emf_lost counted under a name no output has */
	void **opt_vals; /* per option: the value to write at open, or NULL */
	char *log_buf; /* verifier log, from open until loaded */
	struct emf_log_capture libbpf_log; /* libbpf's warnings of its last step */
	int step_err; /* result of the plugin's last step */
	char *last_error; /* report of its last failure, NULL when none */
	bool required; /* its failure fails the start even with keep_going */
	bool hooked; /* its create hook ran: its destroy hook must run */
	void *dl_handle; /* dlopen() handle of a dynamic plugin */
	char *dl_path; /* the file it came from */
	int dl_fd; /* the sealed memfd copy dl_handle maps, with dl_handle */
	struct emf_sample_rt *samples; /* desc->n_samples, while the reader runs */
	struct emf_attachment *atts; /* declared attachments (attach.c), while attached */
	size_t n_atts;
	struct emf_iter *iters; /* EMF_ATTACH_ITER() iterators (iter.c), while attached */
	struct emf_map_size *map_sizes; /* emf_plugin__set_map_size(), mapsize.c */
	size_t n_map_sizes;
	struct emf_attach_target *targets; /* emf_plugin__set_attach_target(), targets.c */
	size_t n_targets;
	void *priv; /* emf_plugin__set_priv(): the hooks' own, never freed here */
	struct emf_filter **filters; /* desc->n_outputs, emf_plugin__set_filter(), or NULL */
};

/* Events of one poll waiting to be delivered in time order (order.c). */
struct emf_order {
	struct emf_order_ev *evs;
	size_t n, cap;
	char *arena; /* copies of the records, EMF_EVENT_ALIGN-aligned */
	size_t arena_len, arena_cap;
	uint64_t seq; /* read order, the tie-break */
};

/* Queue a copy of @ev. Returns 0 or -ENOMEM. */
__attribute__((visibility("hidden"))) int emf__order_push(struct emf_order *o,
							   const struct emf_event *ev);
/*
 * Hand the queued events to @cb sorted by time and empty the queue. Returns 0
 * or what @cb returned to stop (the events after it are dropped).
 */
__attribute__((visibility("hidden"))) int emf__order_flush(struct emf_order *o, emf_event_fn cb,
							    void *ctx);
__attribute__((visibility("hidden"))) void emf__order_free(struct emf_order *o);

struct emf__kernel_ops;

struct emf_runtime {
	const struct emf__kernel_ops *kernel; /* maps and event buffers, kernel.h */
	struct emf_plugin **plugins; /* lifecycle order */
	size_t cnt;
	size_t cap;
	emf_event_fn event_cb;
	void *ctx;
	int epfd;
	int timerfd; /* drain timer: armed while events flow, and for sampled maps */
	int kickfd; /* eventfd: outputs left pending by the read budget */
	unsigned int drain_ms; /* period of timerfd while busy */
	bool busy; /* events flow: drain every drain_ms, see reader.c */
	uint64_t burst; /* events read since the last drain (busy) or in this poll (idle) */
	uint64_t timer_armed; /* 0: off, UINT64_MAX: every drain_ms, else a one-shot at this ms */
	unsigned int n_perf; /* perf buffer outputs being read: they need the timer */
	uint64_t next_sync_ns; /* when to read the emf_lost counters again */
	uint64_t delivered; /* events handed to event_cb, all plugins */
	bool kick; /* an output went pending during this poll */
	uint64_t *pcpu_vals; /* per-CPU value buffer for emf_lost lookups */
	int ncpus;
	bool running;
	int cb_err; /* what the event callback returned to stop a poll */
	struct emf_bus *bus; /* created by emf_runtime__bus(), NULL until then */
	/*
	 * What the bus taps of the event stream, installed with it: every event
	 * and sampled-map reading (JSON, @type NULL) under its topic, and the
	 * bus's own host-loop deliveries once per poll. Unset without a bus.
	 */
	struct {
		void (*event)(void *ctx, const char *topic, const struct emf_event_type *type,
			      const void *data, size_t size);
		void (*dispatch)(void *ctx);
		void *ctx;
	} tee;
	/*
	 * The event being delivered (its record, NULL between events) and its
	 * fields as JSON once someone rendered them (a control socket's
	 * listener, in the tee): emf_event__json_line() copies them rather
	 * than render again. json.len 0: not rendered.
	 */
	const void *json_data;
	struct emf_buf json;
	emf_sample_fn sample_cb; /* sampled maps, each interval */
	emf_lost_fn lost_cb; /* lost events; NULL: warn_loss() of reader.c warns */
	struct emf_bus_sub *sig_sub; /* forwards bus signals to the plugins' hooks */
	bool keep_going; /* a failing plugin is skipped, the others start */
	bool idle_fails; /* a program attached nowhere fails its plugin (attach.c) */
	struct btf *start_btf; /* vmlinux BTF while plugins are prepared, emf__kernel_btf() */
	bool start_btf_tried;
	unsigned int jobs; /* threads for loads and detaches, 0 for one per CPU */
	char errmsg[2048];
	struct emf_share share; /* shared tail-call slots and maps, slots.c */
	struct emf_watch *watches; /* host fds watched by the loop, watch.c */
	/* when a watched fd last had work, and until when the loop waits awake (loop.c) */
	uint64_t watch_last_ns, watch_spin_until_ns;
	bool ordered; /* deliver each poll's events in time order, order.c */
	bool exclude_host; /* set EMF_HOST_FILTER's tgid to ours at open, options.c */
	bool batching; /* inside a poll or drain: ordered events are queued */
	struct emf_order order;
	uint64_t read_ns; /* wall-clock time of this poll's reads */
	uint64_t clock_off[3]; /* per enum emf_clock: add to get wall-clock time */
};

/* Lines of a verifier log a failure report shows (at level info). */
#define EMF_VERIFIER_TAIL_LINES 12

/*
 * @p failed to @step ("load", "attach") with @err for the reason @fmt says:
 * "plugin 'NAME' failed to STEP: REASON" becomes the runtime's error and the
 * plugin's last one, warned once. Returns @err.
 */
__attribute__((visibility("hidden"))) int
emf__plugin_failv(struct emf_runtime *rt, struct emf_plugin *p, int err, const char *step,
		  const char *fmt, va_list ap) __attribute__((format(printf, 5, 0)));

/* The last @lines lines of @log: the verifier says why at the end. */
__attribute__((visibility("hidden"))) const char *emf__log_tail(const char *log, int lines);

/*
 * The verifier's reason in its log @log: its last line that is not a
 * statistic, into @reason, and the "FILE:LINE" of the source line before it
 * into @where ("" when the kernel gives none, as 6.1 does).
 */
__attribute__((visibility("hidden"))) void emf__verifier_reason(const char *log, char *reason,
								 size_t n, char *where, size_t wn);

/*
 * Why @p's @step failed with @err, in plain words (explain.c): a one-line
 * reason into @why ("" when none is known beyond @err) and, for a verifier
 * rejection, the log's tail into @tail. Returns the error to report, e.g.
 * -EMF_ERRNO__NOFEAT when the kernel lacks what the plugin needs.
 */
__attribute__((visibility("hidden"))) int emf__explain(struct emf_plugin *p, enum emf_step step,
							int err, char *why, size_t n, char *tail,
							size_t tn);

/*
 * After open (sections.c): give the programs whose section only a newer
 * libbpf knows the type and attach type it would have given them.
 */
__attribute__((visibility("hidden"))) void emf__sections_fix(struct emf_plugin *p);

/*
 * Before load, after the create hooks (targets.c): apply the targets set
 * with emf_plugin__set_attach_target() (the first alternative the kernel
 * has), choose among variants (emf__variants_choose()), then leave out, with
 * a note, every program whose hook point this kernel lacks. Returns 0, or a
 * negative errno after a message naming the plugin, the program and the
 * target: a target that is not there, a plugin left with no program, or
 * any program left out under idle_fails.
 */
__attribute__((visibility("hidden"))) int emf__targets_prepare(struct emf_runtime *rt,
							       struct emf_plugin *p);

/*
 * After the skeleton's attach, before emf__attach_declared() (targets.c):
 * attach the kprobes, uprobes and tracepoints whose target the host set.
 * Returns 0 or a negative errno after a message.
 */
__attribute__((visibility("hidden"))) int emf__targets_attach(struct emf_runtime *rt,
							      struct emf_plugin *p);

/* The target chosen for program @prog at this start, or NULL when the host set none. */
__attribute__((visibility("hidden"))) const char *
emf__attach_target_of(const struct emf_plugin *p, const char *prog);
__attribute__((visibility("hidden"))) void emf__attach_targets_free(struct emf_plugin *p);
/*
 * The running kernel's vmlinux BTF, parsed once and shared by the hook
 * checks of every plugin a start prepares (targets.c, variants.c); NULL when
 * the kernel has none. @rt owns it until emf__kernel_btf_release(), which
 * the start calls once its plugins are prepared.
 */
__attribute__((visibility("hidden"))) struct btf *emf__kernel_btf(struct emf_runtime *rt);
__attribute__((visibility("hidden"))) void emf__kernel_btf_release(struct emf_runtime *rt);
/* Is kernel function @name one ftrace can trace? 1, 0, or -1 when tracefs cannot tell. */
__attribute__((visibility("hidden"))) int emf__kfunc_traceable(const char *name);

/*
 * Keep @link of @prog as one of @p's attachments (attach.c): destroyed by
 * emf__attach_undo(), and @prog is not idle. Returns 0 or -ENOMEM (@link is
 * the caller's then).
 */
__attribute__((visibility("hidden"))) int emf__attach_keep(struct emf_plugin *p,
							   const struct bpf_program *prog,
							   struct bpf_link *link);

/*
 * Choose among programs that are variants of one hook point (variants.c):
 * before load (after the create hooks, so a program they turned off takes no
 * part), keep the best kind the running kernel supports and turn the others'
 * autoload off. Returns 0 or a negative errno after a message.
 */
__attribute__((visibility("hidden"))) int emf__variants_choose(struct emf_runtime *rt,
							       struct emf_plugin *p);

/*
 * After @p's attach step (attach.c): warn about every loaded program that got
 * no attachment, or, with idle_fails, fail with -EMF_ERRNO__IDLE (the
 * runtime's and the plugin's last error say which program and what to set).
 */
__attribute__((visibility("hidden"))) int emf__attach_check_idle(struct emf_runtime *rt,
								  struct emf_plugin *p);

/*
 * Make the attachments @p's programs declare with EMF_ATTACH_*() of
 * <emf/attach.bpf.h> (attach.c), after the skeleton's attach. Returns 0 or a
 * negative errno after a message, with none of them left.
 */
__attribute__((visibility("hidden"))) int emf__attach_declared(struct emf_runtime *rt,
								struct emf_plugin *p);

/* Undo them, last made first undone. Idempotent; prints nothing (runs on detach threads). */
__attribute__((visibility("hidden"))) void emf__attach_undo(struct emf_plugin *p);

/*
 * Between open and load (mapsize.c): apply the sizes set with
 * emf_plugin__set_map_size(), then give a map without max_entries (or a
 * stack map without value_size) a default, with a note. Returns 0, or a
 * negative errno with what failed, naming the map, in @why (" (...)").
 */
__attribute__((visibility("hidden"))) int emf__maps_prepare(struct emf_plugin *p, char *why,
							     size_t n);
__attribute__((visibility("hidden"))) void emf__map_sizes_free(struct emf_plugin *p);
/* The filters of emf_plugin__set_filter() (filter.c). */
__attribute__((visibility("hidden"))) void emf__filters_free(struct emf_plugin *p);

/*
 * The fields of the event being delivered, record @data, as render_json
 * wrote them (*@len bytes), or NULL when nobody rendered them yet or @data is
 * not that event. Valid until the event's delivery ends.
 */
__attribute__((visibility("hidden"))) const char *
emf__runtime_event_json(const struct emf_runtime *rt, const void *data, size_t *len);
/* Keep @json (@len bytes, render_json's output) when @data is the event being delivered. */
__attribute__((visibility("hidden"))) void emf__runtime_event_json_keep(struct emf_runtime *rt,
									 const void *data,
									 const char *json,
									 size_t len);

/* Put the plugins back in lifecycle order after a change of priority or kind. */
void emf__runtime_sort(struct emf_runtime *rt);

/*
 * Periodic iterators (iter.c): run @prog's iter link every @interval_ms,
 * its records (or with @lines, its lines of text) delivered as events of
 * output @out. @link is the skeleton's
 * (borrowed), or NULL to make one (owned). Returns 0, or a negative errno
 * with the reason in @why. Freed, own links destroyed, by emf__iters_free()
 * (from emf__attach_undo()).
 */
__attribute__((visibility("hidden"))) int emf__iter_add(struct emf_plugin *p,
							 struct bpf_program *prog,
							 struct bpf_link *link,
							 unsigned int interval_ms, uint32_t out,
							 bool lines, char *why, size_t n);
__attribute__((visibility("hidden"))) void emf__iters_free(struct emf_plugin *p);
/* Run the iterators that are due; when the next is, in CLOCK_MONOTONIC ms (0 for none). */
__attribute__((visibility("hidden"))) int emf__iters_poll(struct emf_runtime *rt);
__attribute__((visibility("hidden"))) uint64_t emf__iters_next_ms(const struct emf_runtime *rt);

/* Sampled maps of a running plugin: set up, read when due (on the drain timer), tear down. */
int emf__samples_setup(struct emf_runtime *rt, struct emf_plugin *p);
void emf__samples_teardown(struct emf_plugin *p);
int emf__samples_poll(struct emf_runtime *rt);
/* When the next sampled map is due, in CLOCK_MONOTONIC ms; 0 for none. */
__attribute__((visibility("hidden"))) uint64_t emf__samples_next_ms(const struct emf_runtime *rt);

/* Watched host fds: the watch @tag belongs to, or NULL; run one; free all. */
__attribute__((visibility("hidden"))) struct emf_watch *emf__watch_of(const struct emf_runtime *rt,
								      const void *tag);
__attribute__((visibility("hidden"))) void emf__watch_run(struct emf_watch *w);
__attribute__((visibility("hidden"))) void emf__watch_free_all(struct emf_runtime *rt);

int emf__options_apply(struct emf_plugin *p);
void emf__options_free(struct emf_plugin *p);

int emf__reader_setup(struct emf_runtime *rt);
void emf__reader_teardown(struct emf_runtime *rt);
/* Read, or stop reading, one plugin's outputs while the others run. */
int emf__reader_plugin_setup(struct emf_runtime *rt, struct emf_plugin *p);
void emf__reader_plugin_teardown(struct emf_runtime *rt, struct emf_plugin *p);
/*
 * Deliver what a detached plugin's outputs still hold (up to EMF_DRAIN_ROUNDS
 * reads of each), so that stopping a plugin loses none of the events it sent
 * before its programs were detached.
 */
void emf__reader_plugin_drain(struct emf_runtime *rt, struct emf_plugin *p);
#define EMF_DRAIN_ROUNDS 256 /* budgets per output in one drain */

/* Deliver one record of output @o that did not come through its map (iter.c). */
int emf__reader_deliver(struct emf_output_rt *o, const void *data, size_t size);
/* Read output @o, up to its budget; 0 or a negative errno (reader.c, for the loop). */
int emf__reader_consume(struct emf_runtime *rt, struct emf_output_rt *o);
/* While busy: whether a wake-up of @o is read now rather than at the next drain. */
bool emf__reader_wakeup_due(const struct emf_output_rt *o);
/* At the start of a read: its wall-clock time, and each BPF clock's offset from it. */
void emf__reader_stamp_clocks(struct emf_runtime *rt);
uint64_t emf__reader_now_ns(void);

/* loop.c: one wait and what it found; emf_runtime__poll(). */
int emf__loop_poll(struct emf_runtime *rt, int timeout_ms);
/* After outputs or sampled maps came or went: arm the drain timer for them. */
void emf__loop_rearm(struct emf_runtime *rt);
/* Between open and load: apply the plugin's ring sizes to its maps. */
int emf__reader_prepare(struct emf_plugin *plugin);
/* Fold the kernel's counts of failed reserves into the plugin's stats. */
void emf__reader_sync_lost(struct emf_plugin *plugin);
/* Free the plugin's reader state, before the plugin itself. */
void emf__reader_plugin_free(struct emf_plugin *plugin);

/*
 * The value of @name for a field of semantic type @sem, the reverse of its
 * formatter: "ENOENT" is 2 (-2 for EMF_SEM_RET), "SIGKILL" 9, "openat" this
 * system's number. Returns false for a name that type does not have.
 */
bool emf__sem_value(enum emf_semantic sem, const char *name, int64_t *v);

#pragma GCC visibility pop

#endif /* __EMF_RUNTIME_INTERNAL_H */
