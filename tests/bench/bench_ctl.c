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
 *                             attached, against none;
 *   ctl_stopped_listener_event_path_ratio  the same with a listener that
 *                             subscribed and then stopped (SIGSTOP): its
 *                             queue fills, and the rest is dropped and counted.
 * The storms run in ROUNDS rounds (EMF_BENCH_ROUNDS), each alone, listened and
 * stopped one after the other; each figure is the median of its rounds, each
 * ratio the median of the rounds' ratios, as this 2-core machine is noisy.
 * Needs root (it loads evgen). Each peer has a time limit; a peer that cannot
 * run prints "BENCH <name> skipped <why>".
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/magic.h>
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
#define ROUNDS_MAX 15

static double bench_seconds = 1;
static unsigned int agent_seconds = PEER_SECONDS;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* --- the agent process ---------------------------------------------------- */

struct agent {
	struct emf_runtime *rt;
	struct emf_ctl_server *srv;
	struct emf_buf out;
	long events;
	int cmd_fd, res_fd;
};

/* What emf-agent --json does with an event (its on_event()), without the write. */
static int on_event(void *ctx, const struct emf_event *ev)
{
	struct agent *a = ctx;
	char *p = emf_buf__reserve(&a->out, emf_event__json_max(ev) + 1);

	if (!p)
		return -ENOMEM;
	p = emf_event__json_line(p, ev);
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

/* What a storm reports: its time (-1 when not all came), and what listeners lost. */
struct storm {
	double seconds;
	double lost;
};

static uint64_t msgs_lost(struct emf_ctl_server *srv)
{
	struct emf_ctl_server_stats st = { .sz = sizeof(st) };

	return emf_ctl_server__stats(srv, &st) ? 0 : st.msgs_lost;
}

/*
 * A storm of STORM events once the server has as many clients as the command
 * byte says (a listener that left is gone, one that came is in).
 */
static void on_cmd(void *ctx, int fd)
{
	struct agent *a = ctx;
	struct emf_ctl_server_stats st = { .sz = sizeof(st) };
	struct storm r;
	uint64_t lost0;
	long target;
	double t0;
	char c;

	if (read(fd, &c, 1) != 1)
		_exit(0);
	t0 = now();
	while (!emf_ctl_server__stats(a->srv, &st) && st.clients != (uint64_t)c && now() - t0 < 5)
		emf_runtime__poll(a->rt, 10);
	lost0 = msgs_lost(a->srv);
	target = a->events + STORM;
	t0 = now();
	for (unsigned int i = 0; i < STORM; i++) {
		syscall(SYS_getpgid, ((unsigned long)EVGEN_RING_EMF << 32) | i);
		if (i % 1024 == 1023)
			emf_runtime__poll(a->rt, 0);
	}
	while (a->events < target && now() - t0 < 20)
		emf_runtime__poll(a->rt, 1);
	r.seconds = now() - t0;
	if (a->events < target || st.clients != (uint64_t)c)
		r.seconds = -1;
	r.lost = (double)(msgs_lost(a->srv) - lost0);
	if (write(a->res_fd, &r, sizeof(r)) != sizeof(r))
		_exit(1);
}

static void agent_main(const char *path, int cmd_fd, int res_fd)
{
	static const struct emf_bus_method m[] = { { "incr", incr } };
	struct agent a = { .cmd_fd = cmd_fd, .res_fd = res_fd };
	char ok = 1;

	alarm(agent_seconds);
	a.rt = emf_runtime__new(&(struct emf_runtime_opts){
		.sz = sizeof(struct emf_runtime_opts), .event_cb = on_event, .ctx = &a });
	if (!a.rt || !emf_runtime__add(a.rt, &evgen__plugin) || emf_runtime__start(a.rt) ||
	    !emf_bus__add_service(emf_runtime__bus(a.rt), "bench", m, 1, NULL, NULL) ||
	    !(a.srv = emf_ctl_server__new(
		      a.rt, &(struct emf_ctl_server_opts){ .sz = sizeof(struct emf_ctl_server_opts),
							   .path = path })) ||
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

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The median of @n figures (sorts them). */
static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return v[n / 2];
}

struct peers {
	const char *path;
	int cmd, res; /* to and from the agent */
	int lres, lres_w; /* from the listener, and its end */
};

/* One storm with @clients connected; its seconds, or -1 with @why set. */
static double storm(const struct peers *pp, char clients, struct storm *r, const char **why)
{
	if (write(pp->cmd, &clients, 1) != 1 || read(pp->res, r, sizeof(*r)) != sizeof(*r) ||
	    r->seconds <= 0) {
		*why = "the storm was not delivered";
		return -1;
	}
	return r->seconds;
}

/*
 * One round: the storm alone, with a listener, with a stopped listener.
 * Fills @alone, @listened, @stopped (seconds), @msgs (listener's msgs/s),
 * @lost (what the stopped listener lost). Returns 0, or -1 with @why set.
 */
static int round_run(const struct peers *pp, double *alone, double *listened, double *stopped,
		     double *msgs, double *lost, const char **why)
{
	struct storm r;
	double lr[3];
	pid_t l;
	char ok = 0;

	if ((*alone = storm(pp, 0, &r, why)) < 0)
		return -1;
	l = spawn(listener_shim, pp->path, pp->lres_w, 0);
	if (l < 0 || read(pp->lres, &ok, 1) != 1 || !ok) {
		*why = "the listener did not subscribe";
		return -1;
	}
	*listened = storm(pp, 1, &r, why);
	if (*listened < 0 || read(pp->lres, lr, sizeof(lr)) != sizeof(lr) || lr[0] != STORM ||
	    lr[2] <= 0) {
		*why = *listened < 0 ? *why : "the listener did not get every event";
		waitpid(l, NULL, 0);
		return -1;
	}
	*msgs = lr[0] / lr[2];
	waitpid(l, NULL, 0);
	l = spawn(listener_shim, pp->path, pp->lres_w, 0);
	if (l < 0 || read(pp->lres, &ok, 1) != 1 || !ok) {
		*why = "the listener did not subscribe";
		return -1;
	}
	kill(l, SIGSTOP);
	*stopped = storm(pp, 1, &r, why);
	*lost = r.lost;
	kill(l, SIGKILL);
	waitpid(l, NULL, 0);
	return *stopped < 0 ? -1 : 0;
}

int main(int argc, char **argv)
{
	char dir[] = "/tmp/emf-bench-ctl-XXXXXX", path[64];
	const char *env = getenv("EMF_BENCH_SECONDS"), *why = NULL;
	double alone[ROUNDS_MAX], listened[ROUNDS_MAX], stopped[ROUNDS_MAX], msgs[ROUNDS_MAX];
	double ratio[ROUNDS_MAX], sratio[ROUNDS_MAX], lost[ROUNDS_MAX], rc, rd, lratio;
	int cmd[2], res[2], lres[2], rounds = 5, i;
	struct peers pp;
	struct statfs st;
	pid_t agent;
	char ok = 0;

	(void)argc;
	if (env && atof(env) > 0)
		bench_seconds = atof(env);
	env = getenv("EMF_BENCH_ROUNDS");
	if (env && atoi(env) > 0)
		rounds = atoi(env) < ROUNDS_MAX ? atoi(env) : ROUNDS_MAX;
	agent_seconds = PEER_SECONDS + 5 * rounds;
	if (geteuid()) {
		printf("BENCH ctl_call_vs_dbus_ratio skipped needs root to load evgen\n");
		printf("BENCH ctl_listen_msgs_per_sec skipped needs root to load evgen\n");
		printf("BENCH ctl_listen_event_path_ratio skipped needs root to load evgen\n");
		return 0;
	}
	/* evgen attaches to a tracepoint: tracefs must be there, as emf-agent sees to. */
	if (statfs("/sys/kernel/tracing", &st) || st.f_type != TRACEFS_MAGIC)
		mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, NULL);
	/* D-Bus first: bench_bus forks its own peers. */
	rd = dbus_rate(argv[0], &why);
	if (!mkdtemp(dir) || pipe(cmd) || pipe(res) || pipe(lres))
		return 1;
	snprintf(path, sizeof(path), "%s/s", dir);
	agent = spawn(agent_shim, path, cmd[0], res[1]);
	/* A peer that dies is seen as an end of file, not waited for. */
	close(cmd[0]);
	close(res[1]);
	if (agent < 0 || read(res[0], &ok, 1) != 1 || !ok) {
		printf("BENCH ctl_call_vs_dbus_ratio skipped the agent process did not start\n");
		goto out;
	}
	rc = call_rate(path);
	bench("ctl_call_roundtrips", rc, "calls/s");
	if (rd > 0 && rc > 0) {
		bench("dbus_call_roundtrips", rd, "calls/s");
		bench("ctl_call_vs_dbus_ratio", rc / rd, "x");
		printf("BENCH target_ctl_call_ge_5x_dbus %d bool\n", rc / rd >= 5);
	} else {
		printf("BENCH ctl_call_vs_dbus_ratio skipped %s\n", why ?: "the ctl calls failed");
	}
	/* The event path alone, with a listener attached, with a stopped one. */
	pp = (struct peers){
		.path = path, .cmd = cmd[1], .res = res[0], .lres = lres[0], .lres_w = lres[1]
	};
	for (i = 0; i < rounds; i++) {
		why = NULL;
		if (round_run(&pp, &alone[i], &listened[i], &stopped[i], &msgs[i], &lost[i],
			      &why)) {
			printf("BENCH ctl_listen_event_path_ratio skipped round %d: %s\n", i + 1,
			       why);
			goto out;
		}
		ratio[i] = alone[i] / listened[i];
		sratio[i] = alone[i] / stopped[i];
		alone[i] = STORM / alone[i];
		listened[i] = STORM / listened[i];
		stopped[i] = STORM / stopped[i];
		/* Each round's figures, to see the spread behind the medians. */
		printf("# round %d: %.0f events/s alone, %.0f listened, %.0f stopped listener\n",
		       i + 1, alone[i], listened[i], stopped[i]);
	}
	bench("ctl_event_path_events_per_sec", median(alone, rounds), "events/s");
	bench("ctl_event_path_listened_events_per_sec", median(listened, rounds), "events/s");
	bench("ctl_event_path_stopped_listener_events_per_sec", median(stopped, rounds),
	      "events/s");
	lratio = median(ratio, rounds);
	bench("ctl_listen_event_path_ratio", lratio, "x");
	printf("BENCH target_ctl_listen_event_path_ge_0.9x %d bool\n", lratio >= 0.9);
	bench("ctl_listen_msgs_per_sec", median(msgs, rounds), "msgs/s");
	printf("BENCH target_ctl_listen_ge_1M_msgs_per_sec %d bool\n", median(msgs, rounds) >= 1e6);
	bench("ctl_stopped_listener_event_path_ratio", median(sratio, rounds), "x");
	bench("ctl_stopped_listener_lost", median(lost, rounds), "msgs");
	printf("BENCH target_ctl_stopped_listener_drops_counted %d bool\n",
	       median(lost, rounds) > 0);
	printf("BENCH ctl_rounds %d rounds\n", rounds);
out:
	kill(agent, SIGTERM);
	waitpid(agent, NULL, 0);
	unlink(path);
	rmdir(dir);
	return 0;
}
