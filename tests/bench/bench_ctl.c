// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Control socket benchmark, every peer a process of its own:
 *   ctl_call_roundtrips       synchronous calls from a client process through
 *                             the socket to a service of an agent process;
 *   ctl_call_vs_dbus_ratio    that against D-Bus's round trip through
 *                             dbus-daemon, measured by bench_bus in this run;
 *   ctl_listen_msgs_per_sec   one listener process receiving every event of a
 *                             storm of real kernel events (the evgen plugin);
 *   ctl_listen_event_path_ratio  the agent's event path (getpgid -> BPF ->
 *                             ring buffer -> decode -> JSON render, as
 *                             emf-agent --json does) with that listener
 *                             attached, against none.
 * Needs root (it loads evgen). Each peer has a time limit; a peer that cannot
 * run prints "BENCH <name> skipped <why>".
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>

#include <emf/bus.h>
#include <emf/ctl.h>
#include <emf/errno.h>
#include <emf/fmt.h>
#include <emf/runtime.h>

#include "evgen.emf.h"
#include "evgen.h"

#define PEER_SECONDS 60
#define STORM 400000

static double bench_seconds = 1;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* --- the agent process ---------------------------------------------------- */

struct agent {
	struct emf_runtime *rt;
	struct emf_buf out;
	long events;
	int cmd_fd, res_fd;
};

/* What emf-agent --json does with an event, without the write. */
static int on_event(void *ctx, const struct emf_event *ev)
{
	struct agent *a = ctx;
	char *p = emf_buf__reserve(&a->out, ev->type->json_max + 64);

	if (!p)
		return -ENOMEM;
	*p++ = '{';
	p = ev->type->render_json(p, ev->data, ev->size);
	*p++ = '}';
	*p++ = '\n';
	emf_buf__commit(&a->out, p);
	if (a->out.len > 64 * 1024)
		emf_buf__reset(&a->out);
	a->events++;
	return 0;
}

static int incr(void *ctx, struct emf_bus_req *req, json_t *args)
{
	(void)ctx;
	return emf_bus_req__reply(req, json_integer(json_integer_value(args) + 1));
}

/* A storm of STORM events; the elapsed time goes back to the parent. */
static void on_cmd(void *ctx, int fd)
{
	struct agent *a = ctx;
	long target;
	double t0, dt;
	char c;

	if (read(fd, &c, 1) != 1)
		_exit(0);
	target = a->events + STORM;
	t0 = now();
	for (unsigned int i = 0; i < STORM; i++) {
		syscall(SYS_getpgid, ((unsigned long)EVGEN_RING_EMF << 32) | i);
		if (i % 1024 == 1023)
			emf_runtime__poll(a->rt, 0);
	}
	while (a->events < target && now() - t0 < 20)
		emf_runtime__poll(a->rt, 1);
	dt = now() - t0;
	if (a->events < target)
		dt = -1;
	if (write(a->res_fd, &dt, sizeof(dt)) != sizeof(dt))
		_exit(1);
}

static void agent_main(const char *path, int cmd_fd, int res_fd)
{
	static const struct emf_bus_method m[] = { { "incr", incr } };
	struct agent a = { .cmd_fd = cmd_fd, .res_fd = res_fd };
	struct emf_ctl_server *srv;
	char ok = 1;

	alarm(PEER_SECONDS);
	a.rt = emf_runtime__new(&(struct emf_runtime_opts){
		.sz = sizeof(struct emf_runtime_opts), .event_cb = on_event, .ctx = &a });
	if (!a.rt || !emf_runtime__add(a.rt, &evgen__plugin) || emf_runtime__start(a.rt) ||
	    !emf_bus__add_service(emf_runtime__bus(a.rt), "bench", m, 1, NULL, NULL) ||
	    !(srv = emf_ctl_server__new(a.rt, &(struct emf_ctl_server_opts){
		      .sz = sizeof(struct emf_ctl_server_opts), .path = path })) ||
	    emf_runtime__add_fd(a.rt, cmd_fd, on_cmd, &a))
		ok = 0;
	if (write(res_fd, &ok, 1) != 1 || !ok)
		_exit(1);
	for (;;)
		emf_runtime__poll(a.rt, 100);
}

/* --- the listener process ------------------------------------------------- */

struct listener {
	long got;
	uint64_t lost;
	double first, last;
};

static int on_msg(void *ctx, const struct emf_ctl_msg *m)
{
	struct listener *l = ctx;

	if (!m->topic) {
		l->lost = m->lost_total;
		return 0;
	}
	if (!l->got++)
		l->first = now();
	l->last = now();
	return 0;
}

/* Subscribe, say so, count until the storm is over; report {got, lost, seconds}. */
static void listener_main(const char *path, int res_fd)
{
	struct listener l = {};
	const char *pat = "evgen.*";
	struct emf_ctl *ctl;
	double r[3];
	char ok = 1;

	alarm(PEER_SECONDS);
	ctl = emf_ctl__connect(path);
	if (!ctl || emf_ctl__subscribe(ctl, &pat, 1, on_msg, &l))
		ok = 0;
	if (write(res_fd, &ok, 1) != 1 || !ok)
		_exit(1);
	while (l.got < STORM && (!l.got || now() - l.last < 2))
		if (emf_ctl__poll(ctl, 100) < 0)
			break;
	r[0] = (double)l.got;
	r[1] = (double)l.lost;
	r[2] = l.last - l.first;
	if (write(res_fd, r, sizeof(r)) != sizeof(r))
		_exit(1);
	_exit(0);
}

/* --- the parent: clients and figures ------------------------------------- */

static void bench(const char *name, double v, const char *unit)
{
	printf("BENCH %s %.*f %s\n", name, v < 100 ? 2 : 0, v, unit);
	fflush(stdout);
}

static double call_rate(const char *path)
{
	struct emf_ctl *ctl = emf_ctl__connect(path);
	json_int_t v = 0;
	double t0, t1, end;
	long n = 0;

	if (!ctl)
		return 0;
	t0 = now();
	end = t0 + bench_seconds;
	do {
		for (int i = 0; i < 64; i++) {
			json_t *arg = json_integer(v), *reply = NULL;
			int err = emf_ctl__call(ctl, "bench.incr", arg, &reply, 5000);

			json_decref(arg);
			if (err || !json_is_integer(reply)) {
				fprintf(stderr, "ctl call: %s\n", emf_strerror(err));
				emf_ctl__close(ctl);
				return 0;
			}
			v = json_integer_value(reply);
			json_decref(reply);
		}
		n += 64;
		t1 = now();
	} while (t1 < end);
	emf_ctl__close(ctl);
	return v == n ? n / (t1 - t0) : 0;
}

/* D-Bus's round trip, as bench_bus measures it, in this run; 0 with @why set when it cannot. */
static double dbus_rate(const char *self, const char **why)
{
	char bin[2048], cmd[4200], line[256];
	const char *slash = strrchr(self, '/');
	double rate = 0;
	FILE *f;

	snprintf(bin, sizeof(bin), "%.*sbench_bus", slash ? (int)(slash + 1 - self) : 0, self);
	if (access(bin, X_OK)) {
		*why = "tests/bench/bench_bus is not built";
		return 0;
	}
	/* A peer with a time limit, as every peer here. */
	snprintf(cmd, sizeof(cmd), "timeout %d '%s' dbus_call_roundtrips 2>&1", PEER_SECONDS, bin);
	f = popen(cmd, "r");
	while (f && fgets(line, sizeof(line), f)) {
		sscanf(line, "BENCH dbus_call_roundtrips %lf", &rate);
		if (strstr(line, "without HAVE_DBUS"))
			*why = "bench_bus built without libdbus-1-dev";
	}
	if (f)
		pclose(f);
	if (!rate && !*why)
		*why = "dbus-daemon did not run (see bench_bus)";
	return rate;
}

static pid_t spawn(void (*fn)(const char *, int, int), const char *path, int a, int b)
{
	pid_t pid = fork();

	if (pid == 0)
		fn(path, a, b);
	return pid;
}

static void listener_shim(const char *path, int a, int b)
{
	(void)b;
	listener_main(path, a);
}

static void agent_shim(const char *path, int a, int b)
{
	agent_main(path, a, b);
}

int main(int argc, char **argv)
{
	char dir[] = "/tmp/emf-bench-ctl-XXXXXX", path[64];
	const char *env = getenv("EMF_BENCH_SECONDS"), *why = NULL;
	int cmd[2], res[2], lres[2];
	double rc, rd, t0, t1, lr[3];
	pid_t agent, listener;
	char ok = 0, c = 'S';

	(void)argc;
	if (env && atof(env) > 0)
		bench_seconds = atof(env);
	if (geteuid()) {
		printf("BENCH ctl_call_vs_dbus_ratio skipped needs root to load evgen\n");
		printf("BENCH ctl_listen_msgs_per_sec skipped needs root to load evgen\n");
		printf("BENCH ctl_listen_event_path_ratio skipped needs root to load evgen\n");
		return 0;
	}
	/* D-Bus first: bench_bus forks its own peers. */
	rd = dbus_rate(argv[0], &why);
	if (!mkdtemp(dir) || pipe(cmd) || pipe(res) || pipe(lres))
		return 1;
	snprintf(path, sizeof(path), "%s/s", dir);
	agent = spawn(agent_shim, path, cmd[0], res[1]);
	if (agent < 0 || read(res[0], &ok, 1) != 1 || !ok) {
		printf("BENCH ctl_call_vs_dbus_ratio skipped the agent process did not start\n");
		goto out;
	}
	rc = call_rate(path);
	bench("ctl_call_roundtrips", rc, "calls/s");
	if (rd > 0 && rc > 0) {
		bench("dbus_call_roundtrips", rd, "calls/s");
		bench("ctl_call_vs_dbus_ratio", rc / rd, "x");
	} else {
		printf("BENCH ctl_call_vs_dbus_ratio skipped %s\n", why ?: "the ctl calls failed");
	}
	/* The event path alone, then with a listener attached. */
	if (write(cmd[1], &c, 1) != 1 || read(res[0], &t0, sizeof(t0)) != sizeof(t0) || t0 <= 0) {
		printf("BENCH ctl_listen_event_path_ratio skipped the storm was not delivered\n");
		goto out;
	}
	listener = spawn(listener_shim, path, lres[1], 0);
	if (listener < 0 || read(lres[0], &ok, 1) != 1 || !ok) {
		printf("BENCH ctl_listen_msgs_per_sec skipped the listener did not subscribe\n");
		goto out;
	}
	if (write(cmd[1], &c, 1) != 1 || read(res[0], &t1, sizeof(t1)) != sizeof(t1) || t1 <= 0 ||
	    read(lres[0], lr, sizeof(lr)) != sizeof(lr)) {
		printf("BENCH ctl_listen_msgs_per_sec skipped a peer failed\n");
		goto out_listener;
	}
	bench("ctl_event_path_events_per_sec", STORM / t0, "events/s");
	bench("ctl_event_path_listened_events_per_sec", STORM / t1, "events/s");
	bench("ctl_listen_event_path_ratio", t0 / t1, "x");
	if (lr[2] > 0)
		bench("ctl_listen_msgs_per_sec", lr[0] / lr[2], "msgs/s");
	bench("ctl_listen_received", lr[0], "msgs");
	bench("ctl_listen_lost", lr[1], "msgs");
out_listener:
	waitpid(listener, NULL, 0);
out:
	kill(agent, SIGTERM);
	waitpid(agent, NULL, 0);
	unlink(path);
	rmdir(dir);
	return 0;
}
