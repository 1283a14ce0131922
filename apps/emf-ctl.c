// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * emf-ctl - talk to a running emf-agent over its control socket, ubus-style:
 * list, call, listen, signal, plugin hot plug, maps, stats. A thin user of
 * <emf/ctl.h>: everything it does, any client of the socket can do.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>

#include <emf/ctl.h>
#include <emf/errno.h>

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0"
#endif

#define EXIT_FAIL 1
#define EXIT_USAGE 2

static volatile sig_atomic_t exiting;
static const char *sock_path;
static int timeout_ms = 5000;
static bool json_out;
static const char *to_plugin;

static void on_signal(int sig)
{
	(void)sig;
	exiting = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: emf-ctl [OPTIONS] COMMAND [ARGS]\n"
		"\n"
		"Talk to a running emf-agent --control over its Unix socket.\n"
		"\n"
		"Commands:\n"
		"  list                          plugins (state, priority, outputs), services\n"
		"                                with their methods, topics\n"
		"  call SERVICE.METHOD [JSON]    call a method, print its JSON reply\n"
		"  listen PATTERN...             print messages of matching topics as JSON\n"
		"                                lines until interrupted ('execsnoop.*',\n"
		"                                '*.event', '*')\n"
		"  signal NAME [--to PLUGIN]     raise pause, resume, reload or a user signal\n"
		"  plugin load FILE.so           load and start a dynamic plugin\n"
		"  plugin unload|reload|start|stop NAME\n"
		"  plugin iter NAME [PROGRAM]    run an iterator now: its records go out\n"
		"                                as the plugin's events\n"
		"  map PLUGIN.MAP get [KEY]      a map's value, typed from BTF (KEY: JSON)\n"
		"  map PLUGIN.MAP set KEY VALUE  write an entry while the plugin runs\n"
		"  map PLUGIN.MAP dump           every entry\n"
		"  stats                         the agent's counters\n"
		"\n"
		"Options:\n"
		"  -s, --socket PATH   the agent's socket (default $EMF_CTL_SOCKET or\n"
		"                      " EMF_CTL_DEFAULT_PATH ")\n"
		"  -t, --timeout MS    longest wait for a reply (default 5000; 0: no limit)\n"
		"  -j, --json          list and stats as JSON\n"
		"      --to PLUGIN     signal: only this plugin's signal hook\n"
		"  -h, --help          this help\n"
		"  -V, --version       print the version\n"
		"\n"
		"Exit status: 0 on success, 1 when the agent refuses or fails, 2 on bad usage.\n");
}

static struct emf_ctl *connect_agent(void)
{
	struct emf_ctl *ctl = emf_ctl__connect(sock_path);

	if (!ctl) {
		int err = -errno;

		fprintf(stderr, "emf-ctl: failed to connect to %s: %s%s\n", sock_path,
			emf_strerror(err),
			err == -ENOENT || err == -ECONNREFUSED
				? " (is emf-agent running with --control?)"
			: err == -EACCES ? " (the socket is for root and the agent's --control-group)"
					 : "");
	}
	return ctl;
}

/* One call; prints the server's message on failure. Returns 0 or a negative errno. */
static int call(struct emf_ctl *ctl, const char *method, json_t *args, json_t **reply)
{
	int err = emf_ctl__call(ctl, method, args, reply, timeout_ms ? timeout_ms : -1);

	/* The agent's message names the method; ours must too. */
	if (err && *emf_ctl__last_error(ctl))
		fprintf(stderr, "emf-ctl: %s\n", emf_ctl__last_error(ctl));
	else if (err)
		fprintf(stderr, "emf-ctl: %s: %s\n", method, emf_strerror(err));
	return err;
}

static void print_json(json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);

	printf("%s\n", s ?: "null");
	free(s);
}

/* Call @method with @args (taken) and print the reply as one JSON line. */
static int call_print(struct emf_ctl *ctl, const char *method, json_t *args)
{
	json_t *reply = NULL;
	int err = call(ctl, method, args, &reply);

	json_decref(args);
	if (err)
		return EXIT_FAIL;
	print_json(reply);
	json_decref(reply);
	return 0;
}

static int cmd_list(struct emf_ctl *ctl)
{
	json_t *plugins = NULL, *bus = NULL, *v, *m;
	const char *key;
	size_t i, j;

	if (call(ctl, "emf.plugins.list", NULL, &plugins) || call(ctl, "emf.bus.list", NULL, &bus)) {
		json_decref(plugins);
		return EXIT_FAIL;
	}
	if (json_out) {
		json_t *o = json_pack("{s:O,s:O,s:O}", "plugins", plugins, "services",
				      json_object_get(bus, "services"), "topics",
				      json_object_get(bus, "topics"));

		print_json(o);
		json_decref(o);
		goto out;
	}
	printf("%-16s %-9s %5s  %s\n", "PLUGIN", "STATE", "PRIO", "OUTPUTS");
	json_array_foreach(plugins, i, v) {
		json_t *outs = json_object_get(v, "outputs"), *o;

		printf("%-16s %-9s %5lld  ", json_string_value(json_object_get(v, "name")),
		       json_string_value(json_object_get(v, "state")),
		       (long long)json_integer_value(json_object_get(v, "priority")));
		json_array_foreach(outs, j, o)
			printf("%s%s(%s)", j ? " " : "", json_string_value(json_object_get(o, "map")),
			       json_string_value(json_object_get(o, "kind")));
		printf("%s\n", json_array_size(outs) ? "" : "-");
	}
	printf("\n%-24s %s\n", "SERVICE", "METHODS");
	json_object_foreach(json_object_get(bus, "services"), key, v) {
		printf("%-24s", key);
		json_array_foreach(v, j, m)
			printf(" %s", json_string_value(m));
		printf("\n");
	}
	printf("\nTOPICS\n");
	json_array_foreach(json_object_get(bus, "topics"), i, v)
		printf("%s\n", json_string_value(v));
out:
	json_decref(plugins);
	json_decref(bus);
	return 0;
}

static int cmd_call(struct emf_ctl *ctl, int argc, char **argv)
{
	json_t *args = NULL;
	json_error_t jerr;

	if (argc < 1 || argc > 2) {
		fprintf(stderr, "emf-ctl: call: expected SERVICE.METHOD [JSON]\n");
		return EXIT_USAGE;
	}
	if (argc == 2 && !(args = json_loads(argv[1], JSON_DECODE_ANY, &jerr))) {
		fprintf(stderr, "emf-ctl: call %s: arguments are not JSON: %s\n", argv[0], jerr.text);
		return EXIT_USAGE;
	}
	return call_print(ctl, argv[0], args);
}

struct listen_state {
	uint64_t lost;
	bool write_failed;
};

static int on_msg(void *ctx, const struct emf_ctl_msg *m)
{
	struct listen_state *ls = ctx;

	if (!m->topic) {
		ls->lost = m->lost_total;
		fprintf(stderr, "emf-ctl: lost %llu messages (%llu in all): this listener did not keep up\n",
			(unsigned long long)m->lost, (unsigned long long)m->lost_total);
		return 0;
	}
	if (printf("{\"topic\":\"%s\",\"data\":%.*s}\n", m->topic, (int)m->data_len, m->data) < 0) {
		ls->write_failed = true;
		return -EIO;
	}
	return 0;
}

static int cmd_listen(struct emf_ctl *ctl, int argc, char **argv)
{
	struct listen_state ls = {};
	int err;

	if (argc < 1) {
		fprintf(stderr, "emf-ctl: listen: expected PATTERN...\n");
		return EXIT_USAGE;
	}
	err = emf_ctl__subscribe(ctl, (const char *const *)argv, (size_t)argc, on_msg, &ls);
	if (err) {
		fprintf(stderr, "emf-ctl: listen: %s\n",
			*emf_ctl__last_error(ctl) ? emf_ctl__last_error(ctl) : emf_strerror(err));
		return EXIT_FAIL;
	}
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	while (!exiting) {
		err = emf_ctl__poll(ctl, 100);
		if (err == -EINTR)
			continue;
		if (fflush(stdout) || ls.write_failed)
			return EXIT_FAIL;
		if (err == -EPIPE) {
			fprintf(stderr, "emf-ctl: listen: the agent closed the connection\n");
			return EXIT_FAIL;
		}
		if (err < 0) {
			fprintf(stderr, "emf-ctl: listen: %s\n", emf_strerror(err));
			return EXIT_FAIL;
		}
	}
	if (ls.lost)
		fprintf(stderr, "emf-ctl: lost %llu messages in all\n", (unsigned long long)ls.lost);
	return 0;
}

static int cmd_signal(struct emf_ctl *ctl, int argc, char **argv)
{
	if (argc != 1) {
		fprintf(stderr, "emf-ctl: signal: expected NAME [--to PLUGIN]\n");
		return EXIT_USAGE;
	}
	return call_print(ctl, "emf.plugins.signal",
			  json_pack("{s:s,s:s?}", "name", argv[0], "to", to_plugin));
}

/* plugin iter NAME [PROGRAM]: run an iterator now; its records go out as the plugin's events. */
static int cmd_iter(struct emf_ctl *ctl, const char *name, const char *prog)
{
	json_t *args = json_pack("{s:s,s:s?}", "name", name, "program", prog), *reply = NULL;
	int err;

	err = call(ctl, "emf.plugins.iter", args, &reply);
	json_decref(args);
	if (err)
		return EXIT_FAIL;
	printf("%s %" JSON_INTEGER_FORMAT " records\n", name,
	       json_integer_value(json_object_get(reply, "records")));
	json_decref(reply);
	return 0;
}

static int cmd_plugin(struct emf_ctl *ctl, int argc, char **argv)
{
	static const char *const verbs[] = { "load", "unload", "reload", "start", "stop" };
	char method[64], real[PATH_MAX];
	json_t *args, *reply = NULL;
	size_t i;
	int err;

	if (argc >= 2 && argc <= 3 && !strcmp(argv[0], "iter"))
		return cmd_iter(ctl, argv[1], argc == 3 ? argv[2] : NULL);
	for (i = 0; argc == 2 && i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (!strcmp(argv[0], verbs[i]))
			break;
	if (argc != 2 || i == sizeof(verbs) / sizeof(verbs[0])) {
		fprintf(stderr,
			"emf-ctl: plugin: expected load FILE.so, unload|reload|start|stop NAME, or iter NAME [PROGRAM]\n");
		return EXIT_USAGE;
	}
	if (!i) {
		/* The agent has its own working directory: send it an absolute path. */
		if (!realpath(argv[1], real)) {
			fprintf(stderr, "emf-ctl: plugin load %s: %s\n", argv[1], strerror(errno));
			return EXIT_FAIL;
		}
		args = json_pack("{s:s}", "path", real);
	} else {
		args = json_pack("{s:s}", "name", argv[1]);
	}
	snprintf(method, sizeof(method), "emf.plugins.%s", verbs[i]);
	err = call(ctl, method, args, &reply);
	json_decref(args);
	if (err)
		return EXIT_FAIL;
	printf("%s %s\n", json_string_value(json_object_get(reply, "name")),
	       json_string_value(json_object_get(reply, "state")));
	json_decref(reply);
	return 0;
}

static int cmd_map(struct emf_ctl *ctl, int argc, char **argv)
{
	json_t *args, *reply = NULL, *k = NULL, *v = NULL;
	json_error_t jerr;
	char method[32];
	int err;

	if (argc < 2 || (strcmp(argv[1], "get") && strcmp(argv[1], "set") && strcmp(argv[1], "dump")) ||
	    (!strcmp(argv[1], "get") && argc > 3) || (!strcmp(argv[1], "set") && argc != 4) ||
	    (!strcmp(argv[1], "dump") && argc != 2)) {
		fprintf(stderr, "emf-ctl: map: expected PLUGIN.MAP get [KEY] | set KEY VALUE | dump\n");
		return EXIT_USAGE;
	}
	if (argc > 2 && !(k = json_loads(argv[2], JSON_DECODE_ANY, &jerr))) {
		fprintf(stderr, "emf-ctl: map %s: KEY is not JSON: %s\n", argv[0], jerr.text);
		return EXIT_USAGE;
	}
	if (argc > 3 && !(v = json_loads(argv[3], JSON_DECODE_ANY, &jerr))) {
		fprintf(stderr, "emf-ctl: map %s: VALUE is not JSON: %s\n", argv[0], jerr.text);
		json_decref(k);
		return EXIT_USAGE;
	}
	args = json_pack("{s:s,s:o?,s:o?}", "map", argv[0], "key", k, "value", v);
	snprintf(method, sizeof(method), "emf.maps.%s", argv[1]);
	err = call(ctl, method, args, &reply);
	json_decref(args);
	if (err)
		return EXIT_FAIL;
	if (!strcmp(argv[1], "dump")) {
		size_t i;
		json_t *e;

		/* One entry a line, as listen prints messages. */
		json_array_foreach(reply, i, e)
			print_json(e);
	} else {
		print_json(reply);
	}
	json_decref(reply);
	return 0;
}

static int cmd_stats(struct emf_ctl *ctl)
{
	json_t *st = NULL, *v, *c;
	size_t i;

	if (call(ctl, "emf.stats.get", NULL, &st))
		return EXIT_FAIL;
	if (json_out) {
		print_json(st);
		json_decref(st);
		return 0;
	}
	printf("%-16s %-9s %12s %12s %14s %10s\n", "PLUGIN", "STATE", "EVENTS", "LOST",
	       "DECODE_ERRORS", "READS");
	json_array_foreach(json_object_get(st, "plugins"), i, v)
		printf("%-16s %-9s %12lld %12lld %14lld %10lld\n",
		       json_string_value(json_object_get(v, "name")),
		       json_string_value(json_object_get(v, "state")),
		       (long long)json_integer_value(json_object_get(v, "events")),
		       (long long)json_integer_value(json_object_get(v, "lost")),
		       (long long)json_integer_value(json_object_get(v, "decode_errors")),
		       (long long)json_integer_value(json_object_get(v, "reads")));
	if (json_array_size(json_object_get(st, "slots")))
		printf("\n%-16s %-20s %5s %-16s %12s\n", "SLOT", "KIND", "INDEX", "FILLED_BY",
		       "MISSED");
	json_array_foreach(json_object_get(st, "slots"), i, v)
		printf("%-16s %-20s %5lld %-16s %12lld\n", json_string_value(json_object_get(v, "name")),
		       json_string_value(json_object_get(v, "kind")),
		       (long long)json_integer_value(json_object_get(v, "index")),
		       json_string_value(json_object_get(v, "filled_by")) ?: "-",
		       (long long)json_integer_value(json_object_get(v, "missed")));
	c = json_object_get(st, "control");
	printf("\nCONTROL clients %lld accepted %lld refused %lld bad_frames %lld requests %lld msgs_sent %lld msgs_lost %lld\n",
	       (long long)json_integer_value(json_object_get(c, "clients")),
	       (long long)json_integer_value(json_object_get(c, "accepted")),
	       (long long)json_integer_value(json_object_get(c, "refused")),
	       (long long)json_integer_value(json_object_get(c, "bad_frames")),
	       (long long)json_integer_value(json_object_get(c, "requests")),
	       (long long)json_integer_value(json_object_get(c, "msgs_sent")),
	       (long long)json_integer_value(json_object_get(c, "msgs_lost")));
	json_decref(st);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "timeout", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "to", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{},
	};
	struct sigaction sa = { .sa_handler = on_signal };
	struct emf_ctl *ctl;
	const char *cmd;
	char *end;
	int c, ret;

	sock_path = getenv("EMF_CTL_SOCKET") ?: EMF_CTL_DEFAULT_PATH;
	/* "+": options end at the command, so JSON arguments may start with '-'. */
	while ((c = getopt_long(argc, argv, "+s:t:jhV", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			sock_path = optarg;
			break;
		case 't':
			errno = 0;
			timeout_ms = (int)strtol(optarg, &end, 10);
			if (errno || *end || timeout_ms < 0) {
				fprintf(stderr, "emf-ctl: invalid --timeout '%s': give milliseconds\n",
					optarg);
				return EXIT_USAGE;
			}
			break;
		case 'j':
			json_out = true;
			break;
		case 'T':
			to_plugin = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("emf-ctl %s\n", PACKAGE_VERSION);
			return 0;
		default:
			fprintf(stderr, "Try 'emf-ctl --help'.\n");
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	cmd = argv[optind++];
	/* signal NAME --to PLUGIN: the option may follow the name. */
	if (!strcmp(cmd, "signal") && argc - optind == 3 && !strcmp(argv[optind + 1], "--to")) {
		to_plugin = argv[optind + 2];
		argc -= 2;
	}
	if (strcmp(cmd, "list") && strcmp(cmd, "call") && strcmp(cmd, "listen") &&
	    strcmp(cmd, "signal") && strcmp(cmd, "plugin") && strcmp(cmd, "stats") &&
	    strcmp(cmd, "map")) {
		fprintf(stderr, "emf-ctl: unknown command '%s'\nTry 'emf-ctl --help'.\n", cmd);
		return EXIT_USAGE;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	ctl = connect_agent();
	if (!ctl)
		return EXIT_FAIL;
	argc -= optind;
	argv += optind;
	if (!strcmp(cmd, "list"))
		ret = cmd_list(ctl);
	else if (!strcmp(cmd, "call"))
		ret = cmd_call(ctl, argc, argv);
	else if (!strcmp(cmd, "listen"))
		ret = cmd_listen(ctl, argc, argv);
	else if (!strcmp(cmd, "signal"))
		ret = cmd_signal(ctl, argc, argv);
	else if (!strcmp(cmd, "plugin"))
		ret = cmd_plugin(ctl, argc, argv);
	else if (!strcmp(cmd, "map"))
		ret = cmd_map(ctl, argc, argv);
	else
		ret = cmd_stats(ctl);
	emf_ctl__close(ctl);
	return ret;
}
