// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * emf-agent: its command line, read into struct agent (agent_parse_args()),
 * and its --help. "emf-agent PLUGIN ..." takes that plugin's options too
 * (emf_cli__new()); what is given is checked against the plugins later, by
 * agent_apply.c, once they are known.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <emf/cli.h>
#include <emf/ctl.h>
#include <emf/errno.h>
#include <emf/log.h>
#include <emf/runtime.h>
#include <emf/slots.h>

#include "agent.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0"
#endif

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
	OPT_PLUGIN_FIRST = AGENT_OPT_PLUGIN_FIRST,
};

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
		"                         bpffs (default " EMF_PIN_ROOT_DEFAULT
		"); a root has one\n"
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

static __attribute__((format(printf, 2, 0))) int verbose_print(enum emf_print_level level,
							       const char *fmt, va_list args)
{
	if (level == EMF_DEBUG && emf_print_level_from_env() != EMF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, args);
}

/*
 * The agent options that apply to one plugin run as a tool: those entries of
 * usage(), so that the two never disagree.
 */
static void usage_agent_options(FILE *f)
{
	static const char *const keep[] = {
		"--json",      "--time",     "-T ",	   "--top",
		"--sort",      "--interval", "--color",	   "--include-self",
		"--duration",  "--filter",   "--fields",   "--arg",
		"--ring-size", "--map-size", "--drain-ms", "--stats",
		"--printk",    "--verbose",  "--help",	   NULL,
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
				on |= memmem(line, strnlen(line, 24), keep[i], strlen(keep[i])) !=
				      NULL;
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

int agent_parse_args(struct agent *a, int argc, char **argv)
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
			fprintf(stderr,
				"emf-agent: no built-in plugin named '%s'; 'emf-agent --list' shows them\n",
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
				fprintf(stderr, "%s: too many plugin options (at most %d)\n",
					a->prog, MAX_NAMES);
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
				fprintf(stderr,
					"emf-agent: invalid --top '%s': give a number of rows (0 for all)\n",
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
				fprintf(stderr,
					"emf-agent: too many --filter options (at most %d)\n",
					MAX_NAMES);
				return -EINVAL;
			}
			a->filters[a->n_filters++] = optarg;
			break;
		case OPT_FIELDS:
			if (a->n_field_lists == MAX_NAMES) {
				fprintf(stderr,
					"emf-agent: too many --fields options (at most %d)\n",
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
				fprintf(stderr,
					"emf-agent: invalid --time '%s': give ms, clock, us, rel, iso or none\n",
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
				fprintf(stderr,
					"emf-agent: invalid --duration '%s': give a positive number of seconds\n",
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
			if (c == 'p' &&
			    (strchr(optarg, '/') ||
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
				fprintf(stderr,
					"emf-agent: too many --map-size options (at most %d)\n",
					MAX_NAMES);
				return -EINVAL;
			}
			a->map_sizes[a->n_map_sizes++] = optarg;
			break;
		case OPT_ATTACH_TO:
			if (a->n_attach_to == MAX_NAMES) {
				fprintf(stderr,
					"emf-agent: too many --attach-to options (at most %d)\n",
					MAX_NAMES);
				return -EINVAL;
			}
			a->attach_to[a->n_attach_to++] = optarg;
			break;
		case OPT_RING_SIZE:
			if (a->n_ring_sizes == MAX_NAMES) {
				fprintf(stderr,
					"emf-agent: too many --ring-size options (at most %d)\n",
					MAX_NAMES);
				return -EINVAL;
			}
			a->ring_sizes[a->n_ring_sizes++] = optarg;
			break;
		case OPT_DRAIN_MS: {
			unsigned long ms;

			errno = 0;
			ms = strtoul(optarg, &end, 10);
			if (errno || *end || !isdigit((unsigned char)*optarg) || ms < 1 ||
			    ms > 1000) {
				fprintf(stderr,
					"emf-agent: invalid --drain-ms '%s': give 1 to 1000 ms\n",
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
				fprintf(stderr,
					"emf-agent: invalid --stats '%s': give a positive number of seconds\n",
					optarg);
				return -EINVAL;
			}
			break;
		case OPT_INTERVAL:
			errno = 0;
			a->interval = strtod(optarg, &end);
			if (errno || *end || a->interval <= 0) {
				fprintf(stderr,
					"emf-agent: invalid --interval '%s': give a positive number of seconds\n",
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
				fprintf(stderr,
					"emf-agent: too many --metric options (at most %d)\n",
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
		fprintf(stderr,
			"emf-agent: --strict and --keep-going contradict each other: give one\n");
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
