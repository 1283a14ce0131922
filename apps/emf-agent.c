// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * emf-agent - the reference host: runs the plugins linked into it and prints
 * their events as aligned text columns or as JSON lines.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/magic.h>
#include <jansson.h>

#include <emf/bus.h>
#include <emf/cli.h>
#include <emf/ctl.h>
#include <emf/errno.h>
#include <emf/filter.h>
#include <emf/fmt.h>
#include <emf/log.h>
#include <emf/metrics.h>
#include <emf/runtime.h>
#include <emf/slots.h>

#include "agent.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0"
#endif
#ifndef EMF_PLUGIN_DIR
#define EMF_PLUGIN_DIR "/usr/local/lib/emf/plugins"
#endif

#define EXIT_RUNTIME 1
#define EXIT_USAGE 2
#define EXIT_SKIPPED 3 /* ran, but the kernel refused some plugin */

/* Long-only options. */
enum {
	OPT_STATS = 256,
	OPT_RING_SIZE,
	OPT_MAP_SIZE,
	OPT_ATTACH_TO,
	OPT_DRAIN_MS,
	OPT_PLUGIN_DIR,
	OPT_PRIO,
	OPT_KEEP_GOING,
	OPT_STRICT,
	OPT_PRINTK,
	OPT_CALL,
	OPT_PIN_ROOT,
	OPT_CLEANUP_PINS,
	OPT_CONTROL,
	OPT_CONTROL_GROUP,
	OPT_METRICS,
	OPT_METRIC,
	OPT_TIME,
	OPT_TOP,
	OPT_SORT,
	OPT_COLOR,
	OPT_INCLUDE_SELF,
	OPT_FILTER,
	OPT_FIELDS,
	OPT_INTERVAL,
	OPT_PLUGIN_FIRST = 1000, /* the options of "emf-agent PLUGIN", see emf_cli__new() */
};

static volatile sig_atomic_t exiting, rescan;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		rescan = 1;
	else
		exiting = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: emf-agent [OPTIONS]\n"
		"       emf-agent PLUGIN [PLUGIN-OPTIONS] [OPTIONS]\n"
		"\n"
		"Run the eBPF plugins built into this agent and print their events, one per\n"
		"line, until interrupted (Ctrl-C) or until --duration has passed. Needs root.\n"
		"Given a plugin's name first, run only that plugin, with its options as long\n"
		"options ('emf-agent PLUGIN --help' lists them).\n"
		"\n"
		"Options:\n"
		"  -j, --json             print one JSON object per event, with its \"time\"\n"
		"                         (RFC 3339, UTC, nanoseconds)\n"
		"      --time=FMT         the TIME column of text output: ms (17:20:01.123,\n"
		"                         the default), clock (17:20:01), us, rel (seconds\n"
		"                         since the start), iso (RFC 3339, local) or none\n"
		"  -T                     same as --time=clock\n"
		"      --top N            rows of a sampled table, largest first (default\n"
		"                         10; 0 for all); empty tables print nothing\n"
		"      --sort FIELD       the column tables are sorted by (default: the\n"
		"                         first counter of the value)\n"
		"      --interval SECS    print the histograms and counter tables found\n"
		"                         without EMF_SAMPLE_* every SECS seconds, each\n"
		"                         covering that interval (default: once, at the end)\n"
		"      --color            colour headers and plugin names, on a terminal\n"
		"      --include-self     also trace the agent's own process (by default\n"
		"                         plugins using EMF_HOST_FILTER leave it out)\n"
		"  -l, --list             list the plugins in start order and exit\n"
		"  -d, --duration SECS    stop after SECS seconds\n"
		"  -p, --plugin NAME      run only this plugin (repeatable)\n"
		"  -p, --plugin FILE.so   also run this dynamic plugin (a path; repeatable)\n"
		"      --plugin-dir DIR   run the dynamic plugins (*.so) of DIR; rescanned on\n"
		"                         SIGHUP: new files start, removed ones stop, changed\n"
		"                         ones reload (default " EMF_PLUGIN_DIR ", if it exists)\n"
		"      --prio NAME=N      start plugin NAME at priority N (lower first)\n"
		"      --strict           run every plugin or none: a plugin the kernel refuses\n"
		"                         stops the start (default: it is skipped and reported),\n"
		"                         and so does a program attached nowhere (default: a\n"
		"                         warning)\n"
		"      --keep-going       skip failing plugins even when asked for by name\n"
		"      --printk           show the bpf_printk() output of BPF programs (read from\n"
		"                         a tracefs instance of the agent's own)\n"
		"      --call SERVICE.METHOD[=JSON]\n"
		"                         at the end of the run, call a method plugins offer on\n"
		"                         the bus and print its JSON reply (repeatable)\n"
		"      --control[=PATH]   serve emf-ctl on a Unix socket (default\n"
		"                         " EMF_CTL_DEFAULT_PATH ", root only)\n"
		"      --control-group GROUP\n"
		"                         also let members of GROUP use the socket\n"
		"  -x, --exclude NAME     do not run this plugin (repeatable)\n"
		"      --filter '[PLUGIN:] EXPR'\n"
		"                         show only the plugin's events that match EXPR, e.g.\n"
		"                         'opensnoop: comm == \"bash\" && ret < 0' (PLUGIN: may\n"
		"                         go when one plugin runs; repeatable, all apply)\n"
		"      --fields '[PLUGIN:] FIELD,...'\n"
		"                         show only these fields of the plugin's events, in\n"
		"                         this order, e.g. 'opensnoop: pid,comm,path' (a.b\n"
		"                         for a nested one; PLUGIN: may go when one plugin\n"
		"                         runs; one per plugin)\n"
		"  -a, --arg PLUGIN.OPTION=VALUE\n"
		"                         set a plugin option (repeatable); --list shows them\n"
		"      --map-size PLUGIN.MAP=ENTRIES\n"
		"                         set max_entries of a map before load, as a tool's\n"
		"                         own user space would (repeatable)\n"
		"      --attach-to PLUGIN.PROG=TARGET[,TARGET...]\n"
		"                         attach program PROG where its tool's user space\n"
		"                         would: a kernel function (fentry, kprobe), a\n"
		"                         tracepoint (CATEGORY/NAME for tp) or BINARY:SYMBOL\n"
		"                         (uprobe); of alternatives, the first this kernel\n"
		"                         has (repeatable)\n"
		"      --ring-size PLUGIN[:MAP]=BYTES\n"
		"                         size the plugin's event buffers (every output, or\n"
		"                         MAP only): a power of two up to 2 GiB, suffix k, m\n"
		"                         or g allowed;\n"
		"                         for a perf buffer, the size of each CPU's buffer\n"
		"      --drain-ms MS      while events flow, read them in batches every MS ms\n"
		"                         (1 to 1000, default 2) rather than one wake-up per\n"
		"                         event; an idle agent runs no timer\n"
		"      --stats[=SECS]     print per-plugin counters (events, lost, decode\n"
		"                         errors, reads) and per tail-call slot what fills\n"
		"                         it and how many calls missed, to stderr at exit\n"
		"                         and, with =SECS, every SECS seconds\n"
		"      --pin-root DIR     pin shared tail-call slots and maps under DIR on\n"
		"                         bpffs (default " EMF_PIN_ROOT_DEFAULT "); a root has one\n"
		"                         owner process: give two agents different roots\n"
		"      --cleanup-pins     empty the slots and remove the pins under the pin\n"
		"                         root that a dead agent left (or kept), then exit\n"
		"      --metrics [ADDR:]PORT\n"
		"                         serve Prometheus metrics on http://ADDR:PORT/metrics\n"
		"                         (ADDR 127.0.0.1 by default; PORT 0 picks a free one)\n"
		"      --metric NAME=PLUGIN.EVENT:count [by FIELD,...]\n"
		"      --metric NAME=PLUGIN.EVENT:sum FIELD [by FIELD,...]\n"
		"                         a metric counting events, or summing a field, per\n"
		"                         value of the fields after 'by' (repeatable)\n"
		"  -v, --verbose          more messages (same as EMF_LOG_LEVEL=info)\n"
		"  -h, --help             this help\n"
		"  -V, --version          print the version\n"
		"\n"
		"Examples:\n"
		"  emf-agent                      every plugin, text columns\n"
		"  emf-agent --json -d 5          five seconds of JSON lines\n"
		"  emf-agent -p execsnoop         exec events only\n"
		"  emf-agent -p opensnoop -a opensnoop.failed_only=true\n"
		"  emf-agent execsnoop --uid 1000 execsnoop alone, execs of uid 1000 only\n"
		"  emf-agent opensnoop --fields pid,path   opensnoop alone, two columns\n"
		"  emf-agent --stats=5 --ring-size execsnoop=1m\n"
		"  emf-agent --metrics 9437 --metric 'opens_total=opensnoop.event:count by comm'\n"
		"\n"
		"Exit status: 0 when every plugin ran; 3 when some plugin was skipped because\n"
		"the kernel refused it (the others ran); 1 when nothing could run (or, with\n"
		"--strict or -p NAME, a plugin failed); 2 on bad usage.\n");
}

static __attribute__((format(printf, 2, 0))) int
verbose_print(enum emf_print_level level, const char *fmt, va_list args)
{
	if (level == EMF_DEBUG && emf_print_level_from_env() != EMF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, args);
}

/* tracepoints need tracefs, pinning needs bpffs: mount them when missing, as bpftool does. */
static void ensure_mount(const char *dir, const char *type, long magic)
{
	struct statfs st;

	if (!statfs(dir, &st) && st.f_type == magic)
		return;
	if (mount(type, dir, type, 0, NULL) && errno != EBUSY)
		fprintf(stderr, "emf-agent: warning: failed to mount %s on %s: %s\n", type, dir,
			strerror(errno));
}

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

/* Is capability @cap in the effective set? */
static bool has_cap(int cap)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};

	if (syscall(SYS_capget, &hdr, data))
		return false;
	return data[cap / 32].effective & (1U << (cap % 32));
}

/*
 * Loading BPF programs needs root, or CAP_BPF (with CAP_PERFMON for tracing,
 * CAP_NET_ADMIN for XDP) or CAP_SYS_ADMIN: without any, say so first rather
 * than the first EPERM of some later step.
 */
static int check_privileges(void)
{
	if (!geteuid() || has_cap(CAP_SYS_ADMIN) || has_cap(CAP_BPF))
		return 0;
	fprintf(stderr, "emf-agent: needs root to load BPF programs (or the capabilities the plugins use: CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN, CAP_SYS_ADMIN); run it with sudo\n");
	return -EPERM;
}

static bool named(const char *const *names, int n, const char *name)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(names[i], name))
			return true;
	return false;
}

static int flush_out(struct agent *a)
{
	if (!a->out.len)
		return 0;
	if (fwrite(a->out.data, 1, a->out.len, stdout) != a->out.len || fflush(stdout)) {
		a->write_failed = true;
		return -EIO;
	}
	emf_buf__reset(&a->out);
	return 0;
}

/* A bpf_printk() line: "PRINTK <trace line>", or {"printk":"<trace line>"} with --json. */
static void on_printk(void *ctx, const char *s, size_t n)
{
	struct agent *a = ctx;
	char *p = emf_buf__reserve(&a->out, EMF_FMT_JSON_STR_MAX(n) + 16);

	if (!p)
		return;
	if (a->json) {
		p = stpcpy(p, "{\"printk\":");
		p = emf_fmt_json_str(p, s, n);
		p = stpcpy(p, "}\n");
	} else {
		p = stpcpy(p, "PRINTK ");
		p = emf_fmt_str(p, s, n);
		*p++ = '\n';
	}
	emf_buf__commit(&a->out, p);
}

#define AGENT_COLOR_LEN 9 /* "\033[3Xm" and "\033[0m" around a label */

/* Does the plugin send more than one event type? Its rows then say which. */
static bool many_types(const struct emf_plugin_desc *d)
{
	uint32_t j;

	for (j = 1; j < d->n_outputs; j++)
		if (d->outputs[j].event != d->outputs[0].event)
			return true;
	return false;
}

/*
 * The first column: the plugin, as PLUGIN.EVENT when it has several event
 * types, so rows of two types of one plugin never look alike. On a terminal
 * with --color, in a colour of its own.
 */
static char *put_label(struct agent *a, char *p, const struct emf_plugin *pl,
		       const struct emf_event_type *t)
{
	const char *name = emf_plugin__name(pl);
	size_t n = strlen(name), h = 0, i;

	if (a->color) {
		for (i = 0; i < n; i++)
			h = h * 31 + (unsigned char)name[i];
		p += sprintf(p, "\033[3%dm", (int)(h % 6) + 1);
	}
	memcpy(p, name, n);
	p += n;
	if (many_types(emf_plugin__desc(pl))) {
		*p++ = '.';
		memcpy(p, t->name, strlen(t->name));
		p += strlen(t->name);
	}
	if (a->color) {
		memcpy(p, "\033[0m", 4);
		p += 4;
	}
	return p;
}

/*
 * Headers follow the rows they title. On a terminal, a type's header comes
 * again whenever the type changes, so the one above a row is always its
 * own; into a file or pipe, once, before the first row of each type, so
 * the output stays easy to cut and grep.
 */
static bool needs_header(struct agent *a, const struct emf_event_type *t)
{
	size_t i;

	if (a->tty)
		return t != a->last_type;
	for (i = 0; i < a->n_headed; i++)
		if (a->headed[i] == t)
			return false;
	return true;
}

static int put_header(struct agent *a, const struct emf_event_type *t,
		      const struct emf_fields *fs)
{
	const char *title = fs ? emf_fields__text_header(fs) : t->text_header;
	size_t n = strlen(title) + a->name_width + 64;
	char *p = emf_buf__reserve(&a->out, n), *start = p;

	if (!p)
		return -ENOMEM;
	if (!a->tty) {
		const struct emf_event_type **h;

		h = realloc(a->headed, (a->n_headed + 1) * sizeof(*h));
		if (!h)
			return -ENOMEM;
		a->headed = h;
		a->headed[a->n_headed++] = t;
	}
	a->last_type = t;
	if (a->color) {
		memcpy(p, "\033[1m", 4);
		p += 4;
		start = p;
	}
	if (a->clock.fmt != AGENT_TIME_NONE) {
		memcpy(p, "TIME", 4);
		p = emf_fmt_pad(start, p + 4, agent_time_width(&a->clock) + 1);
		start = p;
	}
	memcpy(p, "PLUGIN", 6);
	p = emf_fmt_pad(start, p + 6, a->name_width + 1);
	memcpy(p, title, strlen(title));
	p += strlen(title);
	if (a->color) {
		memcpy(p, "\033[0m", 4);
		p += 4;
	}
	*p++ = '\n';
	emf_buf__commit(&a->out, p);
	return 0;
}

static int on_event(void *ctx, const struct emf_event *ev)
{
	struct agent *a = ctx;
	const struct emf_fields *fs = agent_fields_of(&a->fields, ev->type);
	size_t need = a->json ? emf_event__json_max_fields(ev, fs) + 1 :
				(fs ? emf_fields__text_max(fs) : ev->type->text_max) +
					strlen(emf_plugin__name(ev->plugin)) +
					strlen(ev->type->name) + 64 + AGENT_TIME_MAX +
					a->name_width + 2 * AGENT_COLOR_LEN;
	char *p = emf_buf__reserve(&a->out, need), *start;

	emf_metrics__event(a->metrics.m, ev);
	if (!p)
		return -ENOMEM;
	start = p;
	if (a->json) {
		p = emf_event__json_line_fields(p, ev, fs);
	} else {
		if (needs_header(a, ev->type)) {
			if (put_header(a, ev->type, fs))
				return -ENOMEM;
			p = emf_buf__reserve(&a->out, need);
			if (!p)
				return -ENOMEM;
			start = p;
		}
		if (a->clock.fmt != AGENT_TIME_NONE) {
			p = agent_time_text(&a->clock, p, ev->time_ns);
			p = emf_fmt_pad(start, p, agent_time_width(&a->clock) + 1);
			start = p;
		}
		p = put_label(a, p, ev->plugin, ev->type);
		p = emf_fmt_pad(start, p, a->name_width + 1 + (a->color ? AGENT_COLOR_LEN : 0));
		p = fs ? emf_fields__text(fs, p, ev->data, ev->size) :
			 ev->type->render_text(p, ev->data, ev->size);
	}
	*p++ = '\n';
	emf_buf__commit(&a->out, p);
	/* Flush in large writes; the loop flushes the rest after each poll. */
	if (a->out.len > 64 * 1024)
		return flush_out(a);
	return 0;
}

/* A sampled map's reading: a JSON line, or a titled table or histogram. */
static int on_sample(void *ctx, const struct emf_sample_data *d)
{
	struct agent *a = ctx;
	int err;

	if (a->metrics.m && emf_metrics__sample(a->metrics.m, d))
		return -ENOMEM;
	if (a->json) {
		err = emf_sample_data__json(d, &a->out);
		err = err ?: emf_buf__append(&a->out, "\n", 1);
	} else {
		char title[AGENT_TIME_MAX] = "";
		struct timespec ts;

		if (!d->n)
			return 0; /* an empty table says nothing */
		if (a->clock.fmt != AGENT_TIME_NONE) {
			clock_gettime(CLOCK_REALTIME, &ts);
			*agent_time_text(&a->clock, title,
					 (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec) = '\0';
		}
		err = emf_sample_data__text_opts(d, &a->out,
						 &(struct emf_sample_text_opts){
							 .sz = sizeof(struct emf_sample_text_opts),
							 .sort = a->sort,
							 .top = a->top,
							 .title = title[0] ? title : NULL,
						 });
		/* The next event row gets its header again. */
		a->last_type = NULL;
	}
	return err;
}

/*
 * Loss is never silent: the first loss of each output is a warning that says
 * what to do; with --json every loss is also a line of the stream, so a
 * reader of the events can add them up. The totals are printed at exit.
 */
static void on_lost(void *ctx, const struct emf_plugin *p, size_t idx, uint64_t lost,
		    uint64_t total)
{
	const struct emf_output *o = &emf_plugin__desc(p)->outputs[idx];
	const char *name = emf_plugin__name(p);
	bool perf = o->kind == EMF_OUTPUT_PERFBUF;
	struct agent *a = ctx;
	char line[256];
	int n;

	if (a->json) {
		n = snprintf(line, sizeof(line),
			     "{\"plugin\":\"%s\",\"output\":\"%s\",\"lost\":%" PRIu64
			     ",\"lost_total\":%" PRIu64 "}\n",
			     name, o->map_name, lost, total);
		if (n > 0 && (size_t)n < sizeof(line) && emf_buf__append(&a->out, line, n))
			a->write_failed = true;
	}
	if (lost != total)
		return;
	fprintf(stderr, "emf-agent: warning: plugin '%s' lost %" PRIu64 " events on output '%s': its %s was full, the agent read slower than the plugin sent; give it more room with --ring-size %s:%s=BYTES%s (totals at exit, or with --stats=SECS)\n",
		name, lost, o->map_name, perf ? "perf buffer" : "ring buffer", name, o->map_name,
		perf ? " (each CPU's buffer)" : "");
}

/* The first column's width: the longest label a row can have. */
static void size_labels(struct agent *a, struct emf_runtime *rt)
{
	size_t i, n;
	uint32_t j;

	for (i = 0; i < emf_runtime__plugin_cnt(rt); i++) {
		const struct emf_plugin_desc *d = emf_plugin__desc(emf_runtime__plugin(rt, i));

		for (j = 0; j < d->n_outputs; j++) {
			n = strlen(d->name) +
			    (many_types(d) ? 1 + strlen(d->outputs[j].event->name) : 0);
			if (n > a->name_width)
				a->name_width = n;
		}
	}
	if (a->name_width < 6)
		a->name_width = 6;
}

/*
 * Each plugin and its options as "emf-agent PLUGIN --help" shows them; a
 * dynamic plugin's in the -a form, the only one it takes.
 */
static void list_plugins(struct agent *a, struct emf_runtime *rt)
{
	bool any = false;
	size_t i;

	printf("%-5s %-16s %s\n", "PRIO", "NAME", "DESCRIPTION");
	for (i = 0; i < emf_runtime__plugin_cnt(rt); i++) {
		struct emf_plugin *p = emf_runtime__plugin(rt, i);
		struct emf_cli *cli = emf_cli__new(emf_plugin__desc(p), a->long_opts,
						   OPT_PLUGIN_FIRST);

		if (cli)
			emf_cli__print_summary(cli, stdout, NULL);
		else
			printf("%-5d %-16s %s\n", emf_plugin__priority(p), emf_plugin__name(p),
			       emf_plugin__description(p));
		if (cli)
			any |= emf_cli__print_options(cli, stdout, &(struct emf_cli_help_opts){
				.sz = sizeof(struct emf_cli_help_opts),
				.arg_form = emf_plugin__path(p) != NULL,
			}) > 0;
		emf_cli__free(cli);
	}
	if (any)
		printf("\nSet an option after the plugin's name, 'emf-agent PLUGIN --OPTION=VALUE',\n"
		       "or with -a PLUGIN.OPTION=VALUE; 'emf-agent PLUGIN --help' shows them.\n");
}

static bool any_lost(struct emf_runtime *rt)
{
	struct emf_plugin_stats st;
	size_t i;

	for (i = 0; i < emf_runtime__plugin_cnt(rt); i++) {
		emf_plugin__stats(emf_runtime__plugin(rt, i), &st);
		if (st.lost)
			return true;
	}
	return false;
}

/* The tail-call slots the plugins use: what is in each, and the calls that missed. */
static void print_slot_stats(struct emf_runtime *rt)
{
	struct emf_slot_info si;
	size_t i;

	for (i = 0; i < emf_runtime__slot_cnt(rt); i++) {
		char filler[32];

		if (emf_runtime__slot(rt, i, &si))
			continue;
		if (!i)
			fprintf(stderr, "%-16s %-20s %5s %-16s %8s %12s\n", "SLOT", "KIND", "INDEX",
				"FILLED_BY", "PROG_ID", "MISSED");
		/* A program of another process (another agent, say) may fill it. */
		snprintf(filler, sizeof(filler), "%s",
			 si.filler ? emf_plugin__name(si.filler) : si.prog_id ? "(other)" : "-");
		fprintf(stderr, "%-16s %-20s %5u %-16s %8u %12" PRIu64 "\n", si.name, si.kind,
			si.index, filler, si.prog_id, si.missed);
	}
}

static void print_stats(struct emf_runtime *rt)
{
	size_t i;
	uint32_t j;

	fprintf(stderr, "%-16s %12s %12s %14s %10s\n", "PLUGIN", "EVENTS", "LOST", "DECODE_ERRORS",
		"READS");
	for (i = 0; i < emf_runtime__plugin_cnt(rt); i++) {
		struct emf_plugin *p = emf_runtime__plugin(rt, i);
		const struct emf_plugin_desc *d = emf_plugin__desc(p);
		struct emf_plugin_stats st;

		emf_plugin__stats(p, &st);
		fprintf(stderr, "%-16s %12" PRIu64 " %12" PRIu64 " %14" PRIu64 " %10" PRIu64 "\n",
			d->name, st.events, st.lost, st.decode_errors, st.batches);
		for (j = 0; d->n_outputs > 1 && j < d->n_outputs; j++) {
			struct emf_output_stats os;
			char name[64];

			if (emf_plugin__output_stats(p, j, &os))
				continue;
			snprintf(name, sizeof(name), "  %s", d->outputs[j].map_name);
			fprintf(stderr, "%-16s %12" PRIu64 " %12" PRIu64 " %14" PRIu64 " %10" PRIu64 "\n",
				name, os.events, os.lost, os.decode_errors, os.batches);
		}
	}
	print_slot_stats(rt);
}

/*
 * The agent options that apply to one plugin run as a tool: those entries of
 * usage(), so that the two never disagree.
 */
static void usage_agent_options(FILE *f)
{
	static const char *const keep[] = {
		"--json", "--time", "-T ", "--top", "--sort", "--interval", "--color", "--include-self",
		"--duration", "--filter", "--fields", "--arg", "--ring-size", "--map-size",
		"--drain-ms", "--stats", "--printk", "--verbose", "--help", NULL,
	};
	char *buf = NULL, *line, *next;
	bool in_opts = false, on = false;
	size_t len, i;
	FILE *m = open_memstream(&buf, &len);

	if (!m)
		return;
	usage(m);
	fclose(m);
	fprintf(f, "\nAgent options:\n");
	for (line = buf; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (!strcmp(line, "Options:")) {
			in_opts = true;
			continue;
		}
		if (!in_opts)
			continue;
		if (!*line)
			break;
		/* An entry starts with its option; its other lines are indented to the text. */
		if (!strncmp(line, "  -", 3) || !strncmp(line, "      --", 8)) {
			on = false;
			for (i = 0; keep[i]; i++)
				on |= memmem(line, strnlen(line, 24), keep[i], strlen(keep[i])) != NULL;
		}
		if (on)
			fprintf(f, "%s\n", line);
	}
	free(buf);
}

/* A built-in plugin named @name: "emf-agent NAME", or the agent linked as NAME. */
static const struct emf_plugin_desc *builtin(const char *name)
{
	const struct emf_plugin_desc *const *d;
	size_t i, n;

	d = emf_static_plugins(&n);
	for (i = 0; i < n; i++)
		if (!strcmp(d[i]->name, name))
			return d[i];
	return NULL;
}

static int parse_args(struct agent *a, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "list", no_argument, NULL, 'l' },
		{ "duration", required_argument, NULL, 'd' },
		{ "plugin", required_argument, NULL, 'p' },
		{ "exclude", required_argument, NULL, 'x' },
		{ "arg", required_argument, NULL, 'a' },
		{ "ring-size", required_argument, NULL, OPT_RING_SIZE },
		{ "map-size", required_argument, NULL, OPT_MAP_SIZE },
		{ "attach-to", required_argument, NULL, OPT_ATTACH_TO },
		{ "drain-ms", required_argument, NULL, OPT_DRAIN_MS },
		{ "plugin-dir", required_argument, NULL, OPT_PLUGIN_DIR },
		{ "prio", required_argument, NULL, OPT_PRIO },
		{ "keep-going", no_argument, NULL, OPT_KEEP_GOING },
		{ "strict", no_argument, NULL, OPT_STRICT },
		{ "printk", no_argument, NULL, OPT_PRINTK },
		{ "call", required_argument, NULL, OPT_CALL },
		{ "stats", optional_argument, NULL, OPT_STATS },
		{ "pin-root", required_argument, NULL, OPT_PIN_ROOT },
		{ "cleanup-pins", no_argument, NULL, OPT_CLEANUP_PINS },
		{ "control", optional_argument, NULL, OPT_CONTROL },
		{ "control-group", required_argument, NULL, OPT_CONTROL_GROUP },
		{ "metrics", required_argument, NULL, OPT_METRICS },
		{ "metric", required_argument, NULL, OPT_METRIC },
		{ "time", required_argument, NULL, OPT_TIME },
		{ "top", required_argument, NULL, OPT_TOP },
		{ "sort", required_argument, NULL, OPT_SORT },
		{ "interval", required_argument, NULL, OPT_INTERVAL },
		{ "color", no_argument, NULL, OPT_COLOR },
		{ "include-self", no_argument, NULL, OPT_INCLUDE_SELF },
		{ "filter", required_argument, NULL, OPT_FILTER },
		{ "fields", required_argument, NULL, OPT_FIELDS },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{},
	};
	const char *base = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	const struct emf_plugin_desc *tool = builtin(base);
	const struct option *table = opts;
	char *end;
	int c;

	a->clock.fmt = AGENT_TIME_MS;
	a->top = 10;
	a->long_opts = opts;
	snprintf(a->prog, sizeof(a->prog), "emf-agent");
	if (tool) {
		snprintf(a->prog, sizeof(a->prog), "%s", base);
	} else if (argc > 1 && argv[1][0] && argv[1][0] != '-') {
		/* "emf-agent PLUGIN [OPTIONS]": only PLUGIN runs, its options are long options. */
		tool = builtin(argv[1]);
		if (!tool) {
			fprintf(stderr, "emf-agent: no built-in plugin named '%s'; 'emf-agent --list' shows them\n",
				argv[1]);
			return -ENOENT;
		}
		snprintf(a->prog, sizeof(a->prog), "emf-agent %s", tool->name);
		argv[1] = argv[0];
		argv++;
		argc--;
	}
	if (tool) {
		a->cli = emf_cli__new(tool, opts, OPT_PLUGIN_FIRST);
		if (!a->cli) {
			fprintf(stderr, "%s: failed to build the command line of plugin '%s': %s\n",
				a->prog, tool->name, emf_strerror(-errno));
			return -EINVAL;
		}
		table = emf_cli__long_options(a->cli);
		a->only[a->n_only++] = tool->name;
	}
	while ((c = getopt_long(argc, argv, "jld:p:x:a:TvhV", table, NULL)) != -1) {
		if (c >= OPT_PLUGIN_FIRST && a->cli) {
			if (a->n_args == MAX_NAMES) {
				fprintf(stderr, "%s: too many plugin options (at most %d)\n", a->prog,
					MAX_NAMES);
				return -EINVAL;
			}
			a->args[a->n_args] = emf_cli__arg(a->cli, c, optarg);
			if (!a->args[a->n_args++])
				return -ENOMEM;
			continue;
		}
		switch (c) {
		case 'T':
			a->clock.fmt = AGENT_TIME_CLOCK;
			break;
		case OPT_TOP:
			errno = 0;
			a->top = strtoul(optarg, &end, 10);
			if (errno || *end || !optarg[0] || optarg[0] == '-') {
				fprintf(stderr, "emf-agent: invalid --top '%s': give a number of rows (0 for all)\n",
					optarg);
				return -EINVAL;
			}
			break;
		case OPT_SORT:
			a->sort = optarg;
			break;
		case OPT_COLOR:
			a->color = true;
			break;
		case OPT_FILTER:
			if (a->n_filters == MAX_NAMES) {
				fprintf(stderr, "emf-agent: too many --filter options (at most %d)\n",
					MAX_NAMES);
				return -EINVAL;
			}
			a->filters[a->n_filters++] = optarg;
			break;
		case OPT_FIELDS:
			if (a->n_field_lists == MAX_NAMES) {
				fprintf(stderr, "emf-agent: too many --fields options (at most %d)\n",
					MAX_NAMES);
				return -EINVAL;
			}
			a->field_lists[a->n_field_lists++] = optarg;
			break;
		case OPT_INCLUDE_SELF:
			a->include_self = true;
			break;
		case OPT_TIME:
			if (agent_time_parse(optarg, &a->clock.fmt)) {
				fprintf(stderr, "emf-agent: invalid --time '%s': give ms, clock, us, rel, iso or none\n",
					optarg);
				return -EINVAL;
			}
			break;
		case 'j':
			a->json = true;
			break;
		case 'l':
			a->list = true;
			break;
		case 'd':
			errno = 0;
			a->duration = strtod(optarg, &end);
			if (errno || *end || a->duration <= 0) {
				fprintf(stderr, "emf-agent: invalid --duration '%s': give a positive number of seconds\n",
					optarg);
				return -EINVAL;
			}
			break;
		case 'p':
		case 'x':
			if ((c == 'p' ? a->n_only : a->n_exclude) == MAX_NAMES) {
				fprintf(stderr, "emf-agent: too many -%c options (at most %d)\n", c,
					MAX_NAMES);
				return -EINVAL;
			}
			if (c == 'p' && (strchr(optarg, '/') ||
					 (strlen(optarg) > 3 && !strcmp(optarg + strlen(optarg) - 3, ".so"))))
				a->files[a->n_files++] = optarg;
			else if (c == 'p')
				a->only[a->n_only++] = optarg;
			else
				a->exclude[a->n_exclude++] = optarg;
			break;
		case OPT_PLUGIN_DIR:
			a->plugin_dir = optarg;
			break;
		case OPT_PRIO:
			if (a->n_prios == MAX_NAMES) {
				fprintf(stderr, "emf-agent: too many --prio options (at most %d)\n",
					MAX_NAMES);
				return -EINVAL;
			}
			a->prios[a->n_prios++] = optarg;
			break;
		case OPT_KEEP_GOING:
			a->keep_going = true;
			break;
		case OPT_PIN_ROOT:
			a->pin_root = optarg;
			break;
		case OPT_CLEANUP_PINS:
			a->cleanup_pins = true;
			break;
		case OPT_STRICT:
			a->strict = true;
			break;
		case OPT_PRINTK:
			a->want_printk = true;
			break;
		case OPT_CALL:
			if (a->n_calls == MAX_NAMES) {
				fprintf(stderr, "emf-agent: too many --call options (at most %d)\n",
					MAX_NAMES);
				return -EINVAL;
			}
			a->calls[a->n_calls++] = optarg;
			break;
		case 'a':
			if (a->n_args == MAX_NAMES) {
				fprintf(stderr, "emf-agent: too many --arg options (at most %d)\n",
					MAX_NAMES);
				return -EINVAL;
			}
			a->args[a->n_args++] = optarg;
			break;
		case OPT_MAP_SIZE:
			if (a->n_map_sizes == MAX_NAMES) {
				fprintf(stderr, "emf-agent: too many --map-size options (at most %d)\n",
					MAX_NAMES);
				return -EINVAL;
			}
			a->map_sizes[a->n_map_sizes++] = optarg;
			break;
		case OPT_ATTACH_TO:
			if (a->n_attach_to == MAX_NAMES) {
				fprintf(stderr, "emf-agent: too many --attach-to options (at most %d)\n",
					MAX_NAMES);
				return -EINVAL;
			}
			a->attach_to[a->n_attach_to++] = optarg;
			break;
		case OPT_RING_SIZE:
			if (a->n_ring_sizes == MAX_NAMES) {
				fprintf(stderr, "emf-agent: too many --ring-size options (at most %d)\n",
					MAX_NAMES);
				return -EINVAL;
			}
			a->ring_sizes[a->n_ring_sizes++] = optarg;
			break;
		case OPT_DRAIN_MS: {
			unsigned long ms;

			errno = 0;
			ms = strtoul(optarg, &end, 10);
			if (errno || *end || !isdigit((unsigned char)*optarg) || ms < 1 || ms > 1000) {
				fprintf(stderr, "emf-agent: invalid --drain-ms '%s': give 1 to 1000 ms\n",
					optarg);
				return -EINVAL;
			}
			a->drain_ms = (unsigned int)ms;
			break;
		}
		case OPT_STATS:
			a->stats = true;
			if (!optarg)
				break;
			errno = 0;
			a->stats_every = strtod(optarg, &end);
			if (errno || *end || a->stats_every <= 0) {
				fprintf(stderr, "emf-agent: invalid --stats '%s': give a positive number of seconds\n",
					optarg);
				return -EINVAL;
			}
			break;
		case OPT_INTERVAL:
			errno = 0;
			a->interval = strtod(optarg, &end);
			if (errno || *end || a->interval <= 0) {
				fprintf(stderr, "emf-agent: invalid --interval '%s': give a positive number of seconds\n",
					optarg);
				return -EINVAL;
			}
			break;
		case OPT_CONTROL:
			a->control = optarg ?: EMF_CTL_DEFAULT_PATH;
			break;
		case OPT_CONTROL_GROUP:
			a->control_group = optarg;
			break;
		case OPT_METRICS:
			a->metrics_listen = optarg;
			break;
		case OPT_METRIC:
			if (a->n_rules == MAX_NAMES) {
				fprintf(stderr, "emf-agent: too many --metric options (at most %d)\n",
					MAX_NAMES);
				return -EINVAL;
			}
			a->rules[a->n_rules++] = optarg;
			break;
		case 'v':
			emf_set_print(verbose_print);
			break;
		case 'h':
			if (a->cli) {
				emf_cli__print_help(a->cli, stdout, a->prog, NULL);
				usage_agent_options(stdout);
			} else {
				usage(stdout);
			}
			exit(0);
		case 'V':
			printf("emf-agent %s\n", PACKAGE_VERSION);
			exit(0);
		default:
			fprintf(stderr, "Try '%s --help'.\n", a->prog);
			return -EINVAL;
		}
	}
	if (a->control_group && !a->control) {
		fprintf(stderr, "emf-agent: --control-group needs --control\n");
		return -EINVAL;
	}
	if (a->strict && a->keep_going) {
		fprintf(stderr, "emf-agent: --strict and --keep-going contradict each other: give one\n");
		return -EINVAL;
	}
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument '%s'%s\nTry '%s --help'.\n", a->prog,
			argv[optind],
			a->cli ? " (a bool option takes its value after '=': --OPTION=false)" : "",
			a->prog);
		return -EINVAL;
	}
	return 0;
}

/*
 * Whether the command line runs @p: -x does not name it, and -p names it, gave
 * its file, or was not used. Also asked of plugins a rescan loads.
 */
static bool selected(void *ctx, struct emf_plugin *p)
{
	struct agent *a = ctx;
	const char *path = emf_plugin__path(p);

	if (named(a->exclude, a->n_exclude, emf_plugin__name(p)))
		return false;
	return !a->n_only || (path && named(a->files, a->n_files, path)) ||
	       named(a->only, a->n_only, emf_plugin__name(p));
}

/* Keep the plugins the command line asked for; an unknown name is a usage error. */
static int select_plugins(struct agent *a, struct emf_runtime *rt)
{
	size_t i;
	int k;

	for (k = 0; k < a->n_only; k++)
		if (!emf_runtime__find(rt, a->only[k]))
			goto unknown_only;
	for (k = 0; k < a->n_exclude; k++)
		if (!emf_runtime__find(rt, a->exclude[k]))
			goto unknown_exclude;
	for (i = emf_runtime__plugin_cnt(rt); i-- > 0;) {
		struct emf_plugin *p = emf_runtime__plugin(rt, i);

		if (!selected(a, p))
			emf_runtime__remove(rt, p);
	}
	return 0;

unknown_only:
	fprintf(stderr, "emf-agent: no plugin named '%s'; 'emf-agent --list' shows them\n",
		a->only[k]);
	return -ENOENT;
unknown_exclude:
	fprintf(stderr, "emf-agent: no plugin named '%s'; 'emf-agent --list' shows them\n",
		a->exclude[k]);
	return -ENOENT;
}

/* --call SERVICE.METHOD[=JSON]: the reply goes to stdout as one JSON line. */
static int do_calls(struct agent *a, struct emf_runtime *rt)
{
	struct emf_bus *bus = emf_runtime__bus(rt);
	int k, err, ret = 0;

	for (k = 0; bus && k < a->n_calls; k++) {
		char method[256], *eq = strchr(a->calls[k], '=');
		json_t *args = NULL, *reply = NULL;
		json_error_t jerr;
		char *s;

		snprintf(method, sizeof(method), "%.*s",
			 eq ? (int)(eq - a->calls[k]) : (int)strlen(a->calls[k]), a->calls[k]);
		if (eq && !(args = json_loads(eq + 1, JSON_DECODE_ANY, &jerr))) {
			fprintf(stderr, "emf-agent: --call %s: arguments are not JSON: %s\n", method,
				jerr.text);
			ret = -EINVAL;
			continue;
		}
		err = emf_bus__call(bus, method, args, &reply, 2000);
		json_decref(args);
		if (err) {
			fprintf(stderr, "emf-agent: --call %s failed: %s%s\n", method,
				emf_strerror(err),
				err == -ENOENT ? " (no running plugin offers it)" : "");
			ret = err;
			continue;
		}
		s = json_dumps(reply, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
		printf("%s\n", s ?: "null");
		free(s);
		json_decref(reply);
	}
	fflush(stdout);
	return bus ? ret : -errno;
}

/* --cleanup-pins: what a dead agent left under the pin root goes, or why not. */
static int cleanup_pins(struct agent *a, struct emf_runtime *rt)
{
	const char *root = a->pin_root ?: EMF_PIN_ROOT_DEFAULT;
	int n;

	ensure_mount("/sys/fs/bpf", "bpf", BPF_FS_MAGIC);
	n = emf_runtime__clean_pins(rt);
	if (n < 0)
		return EXIT_RUNTIME; /* the SDK printed why, once */
	fprintf(stderr, "emf-agent: %s: %d pin%s removed\n", root, n, n == 1 ? "" : "s");
	return 0;
}

/*
 * Plugins asked for by name (-p NAME, -p FILE.so) must run: their failure
 * stops the start, as --strict does for all, unless --keep-going.
 */
static void mark_required(struct agent *a, struct emf_runtime *rt)
{
	size_t i;

	if (a->keep_going)
		return;
	for (i = 0; i < emf_runtime__plugin_cnt(rt); i++) {
		struct emf_plugin *p = emf_runtime__plugin(rt, i);
		const char *path = emf_plugin__path(p);

		if (named(a->only, a->n_only, emf_plugin__name(p)) ||
		    (path && named(a->files, a->n_files, path)))
			emf_plugin__set_required(p, true);
	}
}

/* The failed plugin that stopped the start, or NULL. */
static struct emf_plugin *first_failed(struct emf_runtime *rt, bool required_only, struct agent *a)
{
	size_t i;

	for (i = 0; i < emf_runtime__plugin_cnt(rt); i++) {
		struct emf_plugin *p = emf_runtime__plugin(rt, i);
		const char *path = emf_plugin__path(p);

		if (emf_plugin__state(p) != EMF_PLUGIN_FAILED)
			continue;
		if (!required_only || named(a->only, a->n_only, emf_plugin__name(p)) ||
		    (path && named(a->files, a->n_files, path)))
			return p;
	}
	return NULL;
}

/* The start failed: the SDK gave the reason; say why nothing runs and what to do. */
static void explain_refusal(struct agent *a, struct emf_runtime *rt)
{
	struct emf_plugin *p = first_failed(rt, !a->strict, a);

	if (!p)
		return; /* not one plugin's failure: the SDK's message is the whole story */
	if (a->strict)
		fprintf(stderr, "emf-agent: nothing started: --strict runs every plugin or none (-x %s leaves it out)\n",
			emf_plugin__name(p));
	else
		fprintf(stderr, "emf-agent: nothing started: %s was asked for with -p and cannot run (--keep-going runs the others without it)\n",
			emf_plugin__name(p));
}

/*
 * After a start with skipped plugins: what to do about each, on one line
 * (the SDK's line before it said why). Returns how many were skipped.
 */
static size_t report_skipped(struct emf_runtime *rt)
{
	size_t i, n = 0;

	for (i = 0; i < emf_runtime__plugin_cnt(rt); i++) {
		struct emf_plugin *p = emf_runtime__plugin(rt, i);
		const char *name = emf_plugin__name(p);

		if (emf_plugin__state(p) != EMF_PLUGIN_FAILED)
			continue;
		n++;
		fprintf(stderr, "emf-agent: skipping %s, the others run (-x %s leaves it out%s, --strict refuses to start without it)\n",
			name, name,
			strstr(emf_plugin__last_error(p), "\nverifier log (tail):") ?
				", -v shows the verifier log" :
				"");
	}
	return n;
}

/* At exit: the plugins that did not run, by name and step. */
static void print_skipped(struct emf_runtime *rt, size_t n)
{
	const char *sep = " ";
	size_t i;

	fprintf(stderr, "emf-agent: %zu plugin%s did not run:", n, n == 1 ? "" : "s");
	for (i = 0; i < emf_runtime__plugin_cnt(rt); i++) {
		struct emf_plugin *p = emf_runtime__plugin(rt, i);
		const char *e = emf_plugin__last_error(p), *step = strstr(e, "' failed to ");

		if (emf_plugin__state(p) != EMF_PLUGIN_FAILED)
			continue;
		/* "plugin 'NAME' failed to load: ..." -> "NAME (load)" */
		if (step) {
			step += strlen("' failed to ");
			fprintf(stderr, "%s%s (%.*s)", sep, emf_plugin__name(p),
				(int)strcspn(step, ": ("), step);
		} else {
			fprintf(stderr, "%s%s", sep, emf_plugin__name(p));
		}
		sep = ", ";
	}
	fprintf(stderr, "; exit status %d\n", EXIT_SKIPPED);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct agent a = {};
	struct emf_runtime *rt = NULL;
	struct agent_dyn dyn = {};
	struct emf_ctl_server *ctl = NULL;
	struct sigaction sa = { .sa_handler = on_signal };
	double deadline = 0, next_stats = 0, next_sample = 0;
	bool started = false;
	size_t n_skipped = 0;
	int err, ret = EXIT_RUNTIME;

	a.printk.fd = -1;
	if (parse_args(&a, argc, argv))
		return EXIT_USAGE;
	a.tty = isatty(STDOUT_FILENO);
	a.color = a.color && a.tty;

	rt = emf_runtime__new(&(struct emf_runtime_opts){
		.sz = sizeof(struct emf_runtime_opts),
		.event_cb = on_event,
		.ctx = &a,
		.keep_going = !a.strict,
		.idle_fails = a.strict,
		.drain_ms = a.drain_ms,
		.sample_cb = on_sample,
		.lost_cb = on_lost,
		.ordered = true,
		.exclude_host = !a.include_self,
	});
	if (!rt) {
		fprintf(stderr, "emf-agent: failed to create the runtime: %s\n", emf_strerror(errno));
		return EXIT_RUNTIME;
	}
	if (a.pin_root &&
	    emf_runtime__set_pin_opts(rt, &(struct emf_pin_opts){ .sz = sizeof(struct emf_pin_opts),
								  .root = a.pin_root })) {
		ret = EXIT_USAGE; /* the SDK said what is wrong with it */
		goto out;
	}
	if (a.cleanup_pins) {
		ret = cleanup_pins(&a, rt);
		goto out;
	}
	err = emf_runtime__add_static(rt);
	if (err < 0) {
		fprintf(stderr, "emf-agent: failed to register the built-in plugins: %s\n",
			emf_strerror(err));
		goto out;
	}
	dyn.keep_going = !a.strict;
	dyn.keep_going_files = a.keep_going;
	dyn.selected = selected;
	dyn.ctx = &a;
	dyn.dir = a.plugin_dir;
	if (!dyn.dir && !access(EMF_PLUGIN_DIR, F_OK))
		dyn.dir = EMF_PLUGIN_DIR;
	if (agent_dyn_load(&dyn, rt, a.files, a.n_files))
		goto out;
	if (select_plugins(&a, rt) || agent_apply_prios(&a, rt)) {
		ret = EXIT_USAGE;
		goto out;
	}
	if (agent_apply_args(&a, rt) || agent_apply_filters(&a, rt, false) ||
	    agent_apply_fields(&a, rt, false)) {
		ret = EXIT_USAGE;
		goto out;
	}
	if (agent_apply_ring_sizes(&a, rt) || agent_apply_map_sizes(&a, rt) ||
	    agent_apply_attach_to(&a, rt)) {
		ret = EXIT_USAGE;
		goto out;
	}
	if (a.list) {
		list_plugins(&a, rt);
		ret = 0;
		goto out;
	}
	if (!emf_runtime__plugin_cnt(rt)) {
		fprintf(stderr, "emf-agent: no plugin to run\n");
		goto out;
	}
	err = agent_metrics_setup(&a.metrics, rt, a.metrics_listen, a.rules, a.n_rules);
	if (err) {
		ret = err == -EINVAL ? EXIT_USAGE : EXIT_RUNTIME;
		goto out;
	}
	if (check_privileges())
		goto out;
	mark_required(&a, rt);

	ensure_mount("/sys/kernel/tracing", "tracefs", TRACEFS_MAGIC);
	ensure_mount("/sys/fs/bpf", "bpf", BPF_FS_MAGIC);

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	/* The SDK has said why; say what it means for this run. */
	if (a.want_printk) {
		a.printk.line = on_printk;
		a.printk.ctx = &a;
		if (agent_printk_open(&a.printk, rt))
			goto out;
	}
	err = emf_runtime__start(rt);
	if (err) {
		explain_refusal(&a, rt);
		goto out;
	}
	started = true;
	n_skipped = report_skipped(rt);
	if (a.control) {
		/* The SDK's message names the path and the reason. */
		ctl = emf_ctl_server__new(rt, &(struct emf_ctl_server_opts){
			.sz = sizeof(struct emf_ctl_server_opts),
			.path = a.control,
			.group = a.control_group,
		});
		if (!ctl)
			goto out;
	}
	{
		size_t i, n = 0;

		for (i = 0; i < emf_runtime__plugin_cnt(rt); i++)
			n += emf_plugin__state(emf_runtime__plugin(rt, i)) == EMF_PLUGIN_ATTACHED;
		fprintf(stderr, "emf-agent: running %zu plugin%s; Ctrl-C to stop\n", n,
			n == 1 ? "" : "s");
	}
	{
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		a.clock.start_ns = (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
	}
	if (!a.json)
		size_labels(&a, rt);
	if (a.duration > 0)
		deadline = now() + a.duration;
	if (a.stats_every > 0)
		next_stats = now() + a.stats_every;
	if (a.interval > 0)
		next_sample = now() + a.interval;

	while (!exiting) {
		/*
		 * Signals interrupt the wait; the timeout only catches one that
		 * lands just before it, so an idle agent wakes once a second.
		 */
		int timeout = 1000;

		if (deadline) {
			double left = deadline - now();

			if (left <= 0)
				break;
			if (left * 1000 < timeout)
				timeout = (int)(left * 1000) + 1;
		}
		if (next_stats) {
			double left = next_stats - now();

			if (left * 1000 < timeout)
				timeout = left > 0 ? (int)(left * 1000) + 1 : 0;
		}
		if (next_sample) {
			double left = next_sample - now();

			if (left * 1000 < timeout)
				timeout = left > 0 ? (int)(left * 1000) + 1 : 0;
		}
		if (rescan) {
			rescan = 0;
			agent_dyn_rescan(&dyn, rt);
			/*
			 * A plugin reloaded has event types of its own, maybe where
			 * the old ones were: compile the lists again for what runs now.
			 */
			if (a.n_field_lists) {
				agent_fields_free(&a.fields);
				agent_apply_fields(&a, rt, true);
			}
			/* And its filters, which the new plugin does not have. */
			agent_apply_filters(&a, rt, true);
		}
		err = emf_runtime__poll(rt, timeout);
		agent_metrics_publish(&a.metrics);
		if (flush_out(&a) || a.write_failed)
			break;
		if (err == -EINTR)
			continue;
		if (err < 0) {
			fprintf(stderr, "emf-agent: failed to read events: %s\n", emf_strerror(err));
			goto out;
		}
		if (next_stats && now() >= next_stats) {
			print_stats(rt);
			next_stats += a.stats_every;
		}
		/* As libbpf-tools do with an interval: each print covers the last one. */
		if (next_sample && now() >= next_sample) {
			emf_runtime__sample(rt, &(struct emf_runtime_sample_opts){
				.sz = sizeof(struct emf_runtime_sample_opts), .clear = true });
			if (flush_out(&a))
				break;
			next_sample += a.interval;
		}
	}
	/* Events sent without a wake-up may still wait in the buffers. */
	if (!a.write_failed && emf_runtime__drain(rt) >= 0)
		flush_out(&a);
	/* The histograms and counters found without annotation, as a tool prints them at its end. */
	if (!a.write_failed && emf_runtime__sample(rt, NULL) >= 0)
		flush_out(&a);
	ret = 0;
	if (n_skipped)
		ret = EXIT_SKIPPED;
	if (a.n_calls) {
		/* Deliver what the bus still holds, so services see every event. */
		emf_bus__dispatch(emf_runtime__bus(rt), 0);
		if (do_calls(&a, rt))
			ret = EXIT_RUNTIME;
	}
out:
	flush_out(&a);
	/* Loss is never silent: the counters are shown at exit whenever events were lost. */
	if (started && (a.stats || any_lost(rt)))
		print_stats(rt);
	if (started && n_skipped)
		print_skipped(rt, n_skipped);
	emf_ctl_server__destroy(ctl);
	agent_metrics_free(&a.metrics);
	emf_runtime__stop(rt);
	agent_printk_close(&a.printk);
	emf_runtime__destroy(rt);
	/* The last loss records, counted as the plugins stopped. */
	if (!a.write_failed)
		flush_out(&a);
	agent_dyn_free(&dyn);
	emf_buf__free(&a.out);
	free(a.headed);
	agent_fields_free(&a.fields);
	emf_cli__free(a.cli);
	return ret;
}
