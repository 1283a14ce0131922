/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* emf-agent internals shared by its files. */
#ifndef __EMF_AGENT_H
#define __EMF_AGENT_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include <getopt.h>
#include <sys/types.h>

#include <emf/cli.h>
#include <emf/fmt.h>
#include <emf/runtime.h>

/* What the agent knows of a dynamic plugin file, to notice it changed. */
struct agent_file {
	char *path;
	dev_t dev;
	ino_t ino;
	long long mtime_ns;
	off_t size;
};

struct agent_dyn {
	const char *dir; /* plugin directory, NULL for none */
	struct agent_file *files;
	int n_files;
	bool keep_going; /* a refused file of the directory is skipped */
	bool keep_going_files; /* a refused file given by path is skipped too */
	/* Whether a plugin a rescan loads may start (-p, -x); NULL for all. */
	bool (*selected)(void *ctx, struct emf_plugin *p);
	void *ctx;
};

/*
 * Add the dynamic plugins of @files (paths given with --plugin) and of the
 * plugin directory. Returns 0, or a negative errno after a message.
 */
int agent_dyn_load(struct agent_dyn *d, struct emf_runtime *rt, const char *const *files,
		   int n_files);

/*
 * Rescan the plugin directory of a running runtime: start new files, stop
 * and remove plugins whose file is gone, reload changed ones. A plugin that
 * selected() refuses is not started (and its file, while unchanged, not
 * loaded again). Logs what it did; a plugin that fails is reported and the
 * others go on.
 */
void agent_dyn_rescan(struct agent_dyn *d, struct emf_runtime *rt);

void agent_dyn_free(struct agent_dyn *d);

/* --printk: bpf_printk() lines from a tracefs instance of the agent's own (agent_printk.c). */
struct agent_printk {
	void (*line)(void *ctx, const char *s, size_t n); /* one line, without its newline */
	void *ctx;
	struct emf_runtime *rt; /* watching fd, once open */
	int fd; /* the instance's trace_pipe */
	char dir[128]; /* the instance */
	bool made; /* dir is ours to remove */
	bool mounted; /* tracefs was mounted for it */
	char buf[4096]; /* a partial line */
	size_t len;
};

/*
 * Make the instance, enable bpf_trace/bpf_trace_printk in it and watch its
 * trace_pipe in @rt's loop; @pk->line and @pk->ctx must be set. Returns 0, or
 * a negative errno after a message (and nothing left made).
 */
int agent_printk_open(struct agent_printk *pk, struct emf_runtime *rt);

/* Show what is left to read, stop watching, remove the instance. Safe on a closed @pk. */
void agent_printk_close(struct agent_printk *pk);

struct emf_metrics;
struct emf_metrics_server;

/* --metrics and --metric: the runtime's metrics, served over HTTP. */
struct agent_metrics {
	struct emf_metrics *m; /* NULL without --metrics or --metric */
	struct emf_metrics_server *srv;
	struct emf_runtime *rt; /* watches the metrics' eventfd while srv serves */
};

/*
 * Set up the metrics of @rt: add the --metric @rules (after the plugins are
 * chosen), then serve them on @listen ("[ADDR:]PORT"; NULL for no server).
 * Returns 0, -EINVAL for a bad rule or address (a usage error, after a
 * message), or another negative errno after a message.
 */
int agent_metrics_setup(struct agent_metrics *am, struct emf_runtime *rt, const char *listen,
			char *const *rules, int n_rules);

/* After every poll: render the metrics when a scrape waits for them. */
void agent_metrics_publish(struct agent_metrics *am);

void agent_metrics_free(struct agent_metrics *am);

/* --fields: the field selection of each event type of the plugins given one (agent_fields.c). */
struct agent_fields {
	struct agent_sel {
		const struct emf_event_type *type;
		struct emf_fields *fields;
	} *sels;
	size_t n;
};

/*
 * Compile @list ("f1,f2,...") for plugin @p: every event type of it renders
 * the fields of @list it has, in that order; a type with none of them stays
 * whole. A field no type has, or a bad list, is printed (naming the plugin,
 * its types and their fields) and returns -EINVAL; -ENOMEM otherwise.
 */
int agent_fields_add(struct agent_fields *af, const struct emf_plugin *p, const char *list);

/* The selection events of @type render, or NULL for all their fields. */
static inline const struct emf_fields *agent_fields_of(const struct agent_fields *af,
						       const struct emf_event_type *type)
{
	size_t i;

	for (i = 0; i < af->n; i++)
		if (af->sels[i].type == type)
			return af->sels[i].fields;
	return NULL;
}

void agent_fields_free(struct agent_fields *af);

/* --time=FMT: the TIME column of text output. */
enum agent_time {
	AGENT_TIME_NONE, /* no column */
	AGENT_TIME_CLOCK, /* 17:20:01, local */
	AGENT_TIME_MS, /* 17:20:01.123 */
	AGENT_TIME_US, /* 17:20:01.123456 */
	AGENT_TIME_REL, /* seconds since the agent started, 0.001234 */
	AGENT_TIME_ISO, /* RFC 3339 local time with ns, 2026-12-02T17:20:01.123456789+00:00 */
};

/* Renders event times; zero-initialise, then set fmt and start_ns. */
struct agent_clock {
	enum agent_time fmt;
	uint64_t start_ns; /* wall clock at start, for AGENT_TIME_REL */
	time_t local_sec; /* the second the cached text is of */
	char local[32], zone[8];
	size_t local_len;
};

/* The longest text agent_time_text() writes. */
#define AGENT_TIME_MAX 48

/* Parse a --time name into @t; returns 0, or -1 for an unknown name. */
int agent_time_parse(const char *s, enum agent_time *t);
/* The TIME column's width for @c's format (0 for none). */
int agent_time_width(const struct agent_clock *c);
/* Write wall-clock time @ns (ns since the epoch) as @c's format; returns the end. */
char *agent_time_text(struct agent_clock *c, char *p, uint64_t ns);

#ifndef EMF_PLUGIN_DIR
#define EMF_PLUGIN_DIR "/usr/local/lib/emf/plugins"
#endif

#define EXIT_RUNTIME 1
#define EXIT_USAGE 2
#define EXIT_SKIPPED 3 /* ran, but the kernel refused some plugin */

/* The first option number of "emf-agent PLUGIN"'s own options, see emf_cli__new(). */
#define AGENT_OPT_PLUGIN_FIRST 1000

/* emf-agent's state: its command line, the output and the runtime's parts it runs. */
#define MAX_NAMES 64

struct agent {
	bool json;
	bool list;
	double duration; /* seconds, 0 for until a signal */
	const char *only[MAX_NAMES];
	int n_only;
	const char *exclude[MAX_NAMES];
	int n_exclude;
	char *args[MAX_NAMES]; /* PLUGIN.NAME=VALUE */
	int n_args;
	const char *filters[MAX_NAMES]; /* [PLUGIN:] EXPR */
	int n_filters;
	const char *field_lists[MAX_NAMES]; /* [PLUGIN:] FIELD,... */
	int n_field_lists;
	struct agent_fields fields; /* their selections, per event type */
	char *ring_sizes[MAX_NAMES]; /* PLUGIN[:MAP]=BYTES */
	int n_ring_sizes;
	char *map_sizes[MAX_NAMES]; /* PLUGIN.MAP=ENTRIES */
	int n_map_sizes;
	char *attach_to[MAX_NAMES]; /* PLUGIN.PROG=TARGET */
	int n_attach_to;
	const char *files[MAX_NAMES]; /* --plugin FILE.so */
	int n_files;
	const char *plugin_dir; /* --plugin-dir, or the default when it exists */
	char *prios[MAX_NAMES]; /* NAME=N */
	int n_prios;
	bool keep_going; /* even plugins asked for by name may be skipped */
	bool strict; /* all plugins or none */
	const char *calls[MAX_NAMES]; /* SERVICE.METHOD[=JSON] */
	int n_calls;
	const char *pin_root; /* --pin-root, NULL for EMF_PIN_ROOT_DEFAULT */
	bool cleanup_pins;
	const char *control; /* --control socket path, NULL for none */
	const char *control_group;
	bool stats; /* print counters at exit */
	double stats_every; /* and every so many seconds, 0 for never */
	unsigned int drain_ms; /* --drain-ms, 0 for the SDK's default */
	const char *metrics_listen; /* --metrics [ADDR:]PORT */
	char *rules[MAX_NAMES]; /* --metric NAME=PLUGIN.EVENT:... */
	int n_rules;
	struct agent_metrics metrics;
	bool want_printk;
	struct agent_printk printk; /* --printk */
	struct emf_buf out;
	struct agent_clock clock;
	size_t name_width;
	bool tty; /* stdout is a terminal */
	bool color; /* --color, and stdout is a terminal */
	bool include_self; /* --include-self */
	size_t top; /* --top: rows of a sampled table */
	const char *sort; /* --sort: the column tables are sorted by */
	double interval; /* --interval: recognised maps every so many seconds, 0 at the end only */
	/* Text headers: of the last row's type (terminal), or of each type seen once (file). */
	const struct emf_event_type *last_type;
	const struct emf_event_type **headed;
	size_t n_headed;
	bool write_failed;
	/* "emf-agent PLUGIN ..." or a link named PLUGIN: that plugin's command line. */
	struct emf_cli *cli;
	char prog[96]; /* the command as run, for its --help and messages */
	const struct option *long_opts; /* the agent's own, for the names --list shows */
};

/*
 * Set on @rt's plugins what the command line asks (agent_apply.c). Each
 * returns 0, or a negative errno after one message (a usage error). @again:
 * after a SIGHUP rescan, for the plugins it (re)loaded; a plugin that is
 * gone is no error, a filter that no longer fits a warning.
 */
int agent_apply_args(struct agent *a, struct emf_runtime *rt);
int agent_apply_filters(struct agent *a, struct emf_runtime *rt, bool again);
int agent_apply_fields(struct agent *a, struct emf_runtime *rt, bool again);
int agent_apply_ring_sizes(struct agent *a, struct emf_runtime *rt);
int agent_apply_map_sizes(struct agent *a, struct emf_runtime *rt);
int agent_apply_attach_to(struct agent *a, struct emf_runtime *rt);
int agent_apply_prios(struct agent *a, struct emf_runtime *rt);

/*
 * Read the command line into @a (agent_args.c); --help and --version print
 * and exit. Returns 0, or a negative errno after a message (a usage error).
 */
int agent_parse_args(struct agent *a, int argc, char **argv);

#endif /* __EMF_AGENT_H */
