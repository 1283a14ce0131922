// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * emf-agent - the reference host: runs the plugins linked into it and prints
 * their events as aligned text columns or as JSON lines. This file has the
 * output callbacks and the run: start, the loop, SIGHUP rescans, the end;
 * the command line is read in agent_args.c and applied in agent_apply.c.
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

static volatile sig_atomic_t exiting, rescan;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		rescan = 1;
	else
		exiting = 1;
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
		struct emf_cli *cli =
			emf_cli__new(emf_plugin__desc(p), a->long_opts, AGENT_OPT_PLUGIN_FIRST);

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
	if (agent_parse_args(&a, argc, argv))
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
