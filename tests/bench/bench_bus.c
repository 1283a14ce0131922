// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Benchmark of the ebus, and of the same method call over D-Bus, side by side
 * in one run. Not a test: run it on demand (make bench). Prints one line per
 * figure: "BENCH <name> <value> <unit>".
 *
 * Without HAVE_DBUS (libdbus-1 and dbus-daemon) the D-Bus part is skipped.
 * EMF_BENCH_SECONDS scales the duration of each measurement (default 1),
 * EMF_BENCH_QUEUE_LEN sets the subscribers' queue length in the throughput
 * runs (default 8192); an argument runs only the figures whose names
 * contain it.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/futex.h>
#include <jansson.h>

#include <emf/bus.h>
#include <emf/errno.h>

#ifdef HAVE_DBUS
#include <dbus/dbus.h>
#endif

/* Seconds a peer process (dbus-daemon, the D-Bus server) may live at most. */
#define PEER_SECONDS 60

static double bench_seconds = 1.0;
static unsigned int bench_queue_len = 8192;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void bench(const char *name, double value, const char *unit)
{
	printf("BENCH %s %.*f %s\n", name, value < 100 ? 2 : 0, value, unit);
	fflush(stdout);
}

/* --- throughput ------------------------------------------------------ */

struct tput {
	uint64_t received; /* written by the subscriber only */
	uint64_t done; /* atomic: received, published for the main thread */
};

static void tput_cb(void *ctx, struct emf_bus_sub *sub, struct emf_msg *msg)
{
	struct tput *t = ctx;

	(void)sub;
	(void)msg;
	t->received++;
	if (!(t->received & 1023))
		__atomic_store_n(&t->done, t->received, __ATOMIC_RELEASE);
}

struct pub_arg {
	struct emf_bus *bus;
	uint64_t count;
	uint64_t failed;
};

static void *pub_thread(void *arg)
{
	struct pub_arg *p = arg;
	uint64_t payload[2] = { 0, 0 }, i;

	for (i = 0; i < p->count; i++) {
		payload[0] = i;
		if (emf_bus__publish(p->bus, "bench.tput", NULL, payload, sizeof(payload)) != 1)
			p->failed++;
	}
	return NULL;
}

/* Calibrate the message count from a short run so each figure takes about bench_seconds. */
static uint64_t tput_count(uint64_t rate_guess)
{
	uint64_t n = rate_guess * bench_seconds;

	return n < 100000 ? 100000 : n & ~1023ULL;
}

/*
 * @n_pubs publisher threads, one subscriber delivered where @deliver says;
 * for the host loop, this thread runs it with poll() and dispatch.
 */
static double run_tput(int n_pubs, enum emf_bus_deliver deliver, uint64_t total)
{
	EMF_OPTS(emf_bus_sub_opts, so, .deliver = deliver, .policy = EMF_BUS_POLICY_BLOCK,
		 .queue_len = bench_queue_len, .block_timeout_ms = -1);
	struct pub_arg pubs[8];
	pthread_t th[8];
	struct tput t = {};
	struct emf_bus_sub *sub;
	struct emf_bus *bus;
	struct pollfd pfd;
	uint64_t t0, t1, failed = 0;
	int i;

	total = total / n_pubs / 1024 * 1024 * n_pubs;
	bus = emf_bus__new(NULL);
	sub = emf_bus__subscribe(bus, "bench.*", tput_cb, &t, &so);
	if (!sub) {
		fprintf(stderr, "subscribe: %s\n", emf_strerror(errno));
		exit(1);
	}
	pfd.fd = emf_bus__fd(bus);
	pfd.events = POLLIN;
	emf_bus__dispatch(bus, 0); /* this thread is the host loop */
	t0 = now_ns();
	for (i = 0; i < n_pubs; i++) {
		pubs[i] = (struct pub_arg){ .bus = bus, .count = total / n_pubs };
		pthread_create(&th[i], NULL, pub_thread, &pubs[i]);
	}
	if (deliver == EMF_BUS_DELIVER_HOST) {
		while (t.received < total) {
			poll(&pfd, 1, 100);
			emf_bus__dispatch(bus, 0);
		}
	} else {
		while (__atomic_load_n(&t.done, __ATOMIC_ACQUIRE) < total)
			usleep(200);
	}
	t1 = now_ns();
	for (i = 0; i < n_pubs; i++) {
		pthread_join(th[i], NULL);
		failed += pubs[i].failed;
	}
	if (failed)
		fprintf(stderr, "warning: %llu messages not queued\n", (unsigned long long)failed);
	emf_bus__destroy(bus);
	return total / ((t1 - t0) / 1e9);
}

/* --- latency --------------------------------------------------------- */

struct lat {
	uint64_t *samples;
	uint64_t n; /* atomic */
	uint64_t max;
};

static void lat_cb(void *ctx, struct emf_bus_sub *sub, struct emf_msg *msg)
{
	uint64_t now = now_ns(), sent;
	struct lat *l = ctx;

	(void)sub;
	memcpy(&sent, emf_msg__data(msg), sizeof(sent));
	if (l->n < l->max)
		l->samples[l->n] = now - sent;
	__atomic_store_n(&l->n, l->n + 1, __ATOMIC_RELEASE);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * Publish→callback latency to a worker-thread subscriber, one message at a
 * time, @gap_ns apart (0: the next as soon as the previous was delivered).
 */
static void run_latency(const char *name, uint64_t gap_ns, uint64_t count)
{
	EMF_OPTS(emf_bus_sub_opts, so, .deliver = EMF_BUS_DELIVER_THREAD);
	struct lat l = { .max = count };
	struct emf_bus *bus;
	uint64_t i, ts, next;
	char buf[64];

	l.samples = calloc(count, sizeof(*l.samples));
	bus = emf_bus__new(NULL);
	emf_bus__subscribe(bus, "bench.lat", lat_cb, &l, &so);
	/* warm up: start the worker, fault the pool in */
	for (i = 0; i < 1000; i++) {
		ts = now_ns();
		emf_bus__publish(bus, "bench.lat", NULL, &ts, sizeof(ts));
		while (__atomic_load_n(&l.n, __ATOMIC_ACQUIRE) <= i)
			;
	}
	__atomic_store_n(&l.n, 0, __ATOMIC_RELEASE);
	next = now_ns();
	for (i = 0; i < count; i++) {
		while (now_ns() < next)
			;
		ts = now_ns();
		emf_bus__publish(bus, "bench.lat", NULL, &ts, sizeof(ts));
		while (__atomic_load_n(&l.n, __ATOMIC_ACQUIRE) <= i)
			;
		next = ts + gap_ns;
	}
	emf_bus__destroy(bus);
	qsort(l.samples, count, sizeof(*l.samples), cmp_u64);
	snprintf(buf, sizeof(buf), "%s_p50", name);
	bench(buf, l.samples[count / 2], "ns");
	snprintf(buf, sizeof(buf), "%s_p99", name);
	bench(buf, l.samples[count * 99 / 100], "ns");
	free(l.samples);
}

/*
 * A subscriber that went idle between messages, 1 ms apart, from a publisher
 * that sleeps in between as a host loop does (a publisher spinning on the
 * other CPU changes where the scheduler wakes the subscriber): what waking it
 * costs. The limit, measured the same way: a thread blocked in read() on an
 * eventfd that another thread writes. Rounds alternate; medians of the p99s.
 */
#define IDLE_ROUNDS 4
#define IDLE_GAP_NS 1000000

struct idle_peer {
	int efd; /* a semaphore: one read per write, even when two writes meet */
	uint64_t *samples, n;
	uint64_t *sent; /* when each write was made */
};

static void *idle_eventfd_peer(void *arg)
{
	struct idle_peer *ip = arg;
	uint64_t v, i;

	for (i = 0; i < ip->n; i++) {
		if (read(ip->efd, &v, sizeof(v)) != sizeof(v))
			break;
		ip->samples[i] = now_ns() - __atomic_load_n(&ip->sent[i], __ATOMIC_ACQUIRE);
	}
	return NULL;
}

static void sleep_until(uint64_t t)
{
	struct timespec ts = { .tv_sec = t / 1000000000ULL, .tv_nsec = t % 1000000000ULL };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

/* The p99 of @v; its p50 in *@p50. */
static uint64_t p99(uint64_t *v, uint64_t n, uint64_t *p50)
{
	qsort(v, n, sizeof(*v), cmp_u64);
	*p50 = v[n / 2];
	return v[n * 99 / 100];
}

static uint64_t idle_eventfd_p99(uint64_t count, uint64_t *p50)
{
	struct idle_peer ip = { .efd = eventfd(0, EFD_SEMAPHORE), .n = count };
	uint64_t i, v = 1, next, r = 0;
	pthread_t th;

	ip.samples = calloc(count, sizeof(*ip.samples));
	ip.sent = calloc(count, sizeof(*ip.sent));
	if (ip.efd < 0 || !ip.samples || !ip.sent ||
	    pthread_create(&th, NULL, idle_eventfd_peer, &ip))
		goto out;
	next = now_ns() + IDLE_GAP_NS;
	for (i = 0; i < count; i++) {
		sleep_until(next);
		__atomic_store_n(&ip.sent[i], now_ns(), __ATOMIC_RELEASE);
		if (write(ip.efd, &v, sizeof(v)) != sizeof(v))
			break;
		next += IDLE_GAP_NS;
	}
	pthread_join(th, NULL);
	r = i == count ? p99(ip.samples, count, p50) : 0;
out:
	if (ip.efd >= 0)
		close(ip.efd);
	free(ip.samples);
	free(ip.sent);
	return r;
}

static uint64_t idle_ebus_p99(uint64_t count, uint64_t *p50)
{
	EMF_OPTS(emf_bus_sub_opts, so, .deliver = EMF_BUS_DELIVER_THREAD);
	struct lat l = { .max = count };
	struct emf_bus *bus = emf_bus__new(NULL);
	uint64_t i, ts, next, r = 0;

	l.samples = calloc(count, sizeof(*l.samples));
	if (!bus || !l.samples || !emf_bus__subscribe(bus, "bench.idle", lat_cb, &l, &so))
		goto out;
	next = now_ns() + IDLE_GAP_NS;
	for (i = 0; i < count; i++) {
		sleep_until(next);
		ts = now_ns();
		emf_bus__publish(bus, "bench.idle", NULL, &ts, sizeof(ts));
		next += IDLE_GAP_NS;
	}
	/* the last one is delivered within the gap; give it ten */
	for (i = 0; i < 10 && __atomic_load_n(&l.n, __ATOMIC_ACQUIRE) < count; i++)
		sleep_until(now_ns() + IDLE_GAP_NS);
	if (__atomic_load_n(&l.n, __ATOMIC_ACQUIRE) == count)
		r = p99(l.samples, count, p50);
out:
	emf_bus__destroy(bus);
	free(l.samples);
	return r;
}

/* The median of @n values (sorts them). */
static uint64_t median_u64(uint64_t *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_u64);
	return (v[(n - 1) / 2] + v[n / 2]) / 2;
}

static void run_idle_delivery(uint64_t count)
{
	uint64_t e[IDLE_ROUNDS], b[IDLE_ROUNDS], e50[IDLE_ROUNDS], b50[IDLE_ROUNDS], eb, ee;
	int r;

	for (r = 0; r < IDLE_ROUNDS; r++) {
		b[r] = idle_ebus_p99(count / IDLE_ROUNDS, &b50[r]);
		e[r] = idle_eventfd_p99(count / IDLE_ROUNDS, &e50[r]);
		if (!b[r] || !e[r]) {
			printf("BENCH ebus_idle_delivery_p99 skipped a message was not delivered\n");
			return;
		}
	}
	eb = median_u64(b, IDLE_ROUNDS);
	ee = median_u64(e, IDLE_ROUNDS);
	bench("ebus_idle_delivery_p50", median_u64(b50, IDLE_ROUNDS), "ns");
	bench("ebus_idle_delivery_p99", eb, "ns");
	bench("eventfd_idle_wake_p50", median_u64(e50, IDLE_ROUNDS), "ns");
	bench("eventfd_idle_wake_p99", ee, "ns");
	bench("ebus_idle_delivery_vs_eventfd_p99_ratio", (double)eb / ee, "x");
	printf("BENCH target_ebus_idle_delivery_p99_le_20us %d bool\n", eb <= 20000);
}

/* --- service calls --------------------------------------------------- */

static int incr_handler(void *ctx, struct emf_bus_req *req, json_t *args)
{
	uint64_t *calls = ctx;

	(*calls)++;
	return emf_bus_req__reply(req, json_integer(json_integer_value(args) + 1));
}

static const struct emf_bus_method incr_method[] = { { "incr", incr_handler } };

/*
 * Synchronous round trips of an int -> int method, for about bench_seconds.
 * The arguments object is built once: the bus copies it for the handler.
 */
static double call_loop(struct emf_bus *bus, const char *method, uint64_t *calls)
{
	uint64_t t0, t1, n = 0, end;
	json_t *args, *reply;
	int i, err;

	args = json_integer(41);
	t0 = now_ns();
	end = t0 + bench_seconds * 1e9;
	do {
		for (i = 0; i < 256; i++) {
			err = emf_bus__call(bus, method, args, &reply, 1000);
			if (err) {
				fprintf(stderr, "call %s: %s\n", method, emf_strerror(err));
				exit(1);
			}
			if (json_integer_value(reply) != 42) {
				fprintf(stderr, "call %s: wrong reply\n", method);
				exit(1);
			}
			json_decref(reply);
		}
		n += 256;
		t1 = now_ns();
	} while (t1 < end);
	json_decref(args);
	if (*calls != n) {
		fprintf(stderr, "call %s: %llu handler runs for %llu calls\n", method,
			(unsigned long long)*calls, (unsigned long long)n);
		exit(1);
	}
	return n / ((t1 - t0) / 1e9);
}

struct host_loop {
	struct emf_bus *bus;
	int stop;
};

static void *host_loop_thread(void *arg)
{
	struct host_loop *h = arg;
	struct pollfd pfd = { .fd = emf_bus__fd(h->bus), .events = POLLIN };

	while (!__atomic_load_n(&h->stop, __ATOMIC_ACQUIRE)) {
		poll(&pfd, 1, 10);
		emf_bus__dispatch(h->bus, 0);
	}
	return NULL;
}

static double run_calls_inline(void)
{
	EMF_OPTS(emf_bus_svc_opts, so, .deliver = EMF_BUS_DELIVER_THREAD);
	struct emf_bus *bus = emf_bus__new(NULL);
	uint64_t calls = 0;
	double r;

	emf_bus__add_service(bus, "bench", incr_method, 1, &calls, &so);
	r = call_loop(bus, "bench.incr", &calls);
	emf_bus__destroy(bus);
	return r;
}

/* The service lives on a host loop in another thread: a real thread hop each way. */
static double run_calls_xthread(void)
{
	struct emf_bus *bus = emf_bus__new(NULL);
	struct host_loop h = { .bus = bus };
	uint64_t calls = 0;
	pthread_t th;
	double r;

	emf_bus__add_service(bus, "bench", incr_method, 1, &calls, NULL);
	pthread_create(&th, NULL, host_loop_thread, &h);
	usleep(10000);
	r = call_loop(bus, "bench.incr", &calls);
	__atomic_store_n(&h.stop, 1, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	emf_bus__destroy(bus);
	return r;
}

/* --- the hardware's limit: raw thread ping-pong ---------------------- */

struct pingpong {
	int efd[2]; /* eventfd: to the peer, back */
	uint32_t ping, pong; /* futex: the round the caller asked for, the one the peer did */
	int stop;
};

static void *eventfd_peer(void *arg)
{
	struct pingpong *pp = arg;
	uint64_t v;

	while (read(pp->efd[0], &v, sizeof(v)) == sizeof(v) &&
	       !__atomic_load_n(&pp->stop, __ATOMIC_ACQUIRE))
		if (write(pp->efd[1], &v, sizeof(v)) != sizeof(v))
			break;
	return NULL;
}

static long futex(uint32_t *uaddr, int op, uint32_t val)
{
	return syscall(SYS_futex, uaddr, op, val, NULL, NULL, 0);
}

/* Sleep until *w is no longer @old; returns what it is. */
static uint32_t futex_wait_change(uint32_t *w, uint32_t old)
{
	uint32_t cur;

	while ((cur = __atomic_load_n(w, __ATOMIC_ACQUIRE)) == old)
		futex(w, FUTEX_WAIT_PRIVATE, old);
	return cur;
}

static void futex_set(uint32_t *w, uint32_t v)
{
	__atomic_store_n(w, v, __ATOMIC_RELEASE);
	futex(w, FUTEX_WAKE_PRIVATE, 1);
}

static void *futex_peer(void *arg)
{
	struct pingpong *pp = arg;
	uint32_t seen = 0;

	for (;;) {
		seen = futex_wait_change(&pp->ping, seen);
		if (__atomic_load_n(&pp->stop, __ATOMIC_ACQUIRE))
			return NULL;
		futex_set(&pp->pong, seen);
	}
}

/*
 * Round trips per second between two threads that block on an eventfd (or a
 * futex) each way: what any cross-thread call must pay at least.
 */
static double run_pingpong(bool use_futex)
{
	struct pingpong pp = { .efd = { eventfd(0, 0), eventfd(0, 0) } };
	uint64_t t0, t1, n = 0, end, v = 1;
	uint32_t round = 0;
	pthread_t th;
	int i;

	if (pp.efd[0] < 0 || pp.efd[1] < 0)
		return 0;
	pthread_create(&th, NULL, use_futex ? futex_peer : eventfd_peer, &pp);
	t0 = now_ns();
	end = t0 + bench_seconds * 1e9;
	do {
		for (i = 0; i < 256; i++) {
			if (use_futex) {
				futex_set(&pp.ping, ++round);
				futex_wait_change(&pp.pong, round - 1);
			} else if (write(pp.efd[0], &v, sizeof(v)) != sizeof(v) ||
				   read(pp.efd[1], &v, sizeof(v)) != sizeof(v)) {
				return 0;
			}
		}
		n += 256;
		t1 = now_ns();
	} while (t1 < end);
	/* One more ping, which the peer sees with the stop. */
	__atomic_store_n(&pp.stop, 1, __ATOMIC_RELEASE);
	if (use_futex)
		futex_set(&pp.ping, ++round);
	else if (write(pp.efd[0], &v, sizeof(v)) != sizeof(v))
		return 0;
	pthread_join(th, NULL);
	close(pp.efd[0]);
	close(pp.efd[1]);
	return n / ((t1 - t0) / 1e9);
}

/* --- D-Bus ----------------------------------------------------------- */

#ifdef HAVE_DBUS
#define DBUS_NAME "org.emf.Bench"
#define DBUS_PATH "/org/emf/Bench"
#define DBUS_IFACE "org.emf.Bench"

static const char dbus_config[] =
	"<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n"
	" \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
	"<busconfig>\n"
	"  <type>session</type>\n"
	"  <listen>unix:path=%s/bus</listen>\n"
	"  <auth>EXTERNAL</auth>\n"
	"  <policy context=\"default\">\n"
	"    <allow send_destination=\"*\" eavesdrop=\"true\"/>\n"
	"    <allow eavesdrop=\"true\"/>\n"
	"    <allow own=\"*\"/>\n"
	"  </policy>\n"
	"</busconfig>\n";

static DBusConnection *dbus_connect(const char *addr)
{
	DBusConnection *conn;
	DBusError err;

	dbus_error_init(&err);
	conn = dbus_connection_open_private(addr, &err);
	if (!conn || !dbus_bus_register(conn, &err)) {
		fprintf(stderr, "dbus: failed to connect to %s: %s\n", addr, err.message);
		dbus_error_free(&err);
		return NULL;
	}
	return conn;
}

static DBusHandlerResult dbus_incr(DBusConnection *conn, DBusMessage *msg, void *data)
{
	dbus_int32_t v;
	DBusMessage *reply;

	(void)data;
	if (!dbus_message_is_method_call(msg, DBUS_IFACE, "Incr") ||
	    !dbus_message_get_args(msg, NULL, DBUS_TYPE_INT32, &v, DBUS_TYPE_INVALID))
		return DBUS_HANDLER_RESULT_NOT_YET_HANDLED;
	v++;
	reply = dbus_message_new_method_return(msg);
	dbus_message_append_args(reply, DBUS_TYPE_INT32, &v, DBUS_TYPE_INVALID);
	dbus_connection_send(conn, reply, NULL);
	dbus_message_unref(reply);
	return DBUS_HANDLER_RESULT_HANDLED;
}

/* The server: its own process, as a D-Bus service is. */
static void dbus_server(const char *addr, int ready_fd)
{
	static const DBusObjectPathVTable vtable = { .message_function = dbus_incr };
	DBusConnection *conn = dbus_connect(addr);
	DBusError err;
	char c = 1;

	/* A peer never outlives the benchmark, whatever happens to it. */
	alarm(PEER_SECONDS);
	dbus_error_init(&err);
	if (!conn ||
	    dbus_bus_request_name(conn, DBUS_NAME, DBUS_NAME_FLAG_DO_NOT_QUEUE, &err) !=
		    DBUS_REQUEST_NAME_REPLY_PRIMARY_OWNER ||
	    !dbus_connection_register_object_path(conn, DBUS_PATH, &vtable, NULL)) {
		fprintf(stderr, "dbus server: failed to export %s\n", DBUS_NAME);
		_exit(1);
	}
	if (write(ready_fd, &c, 1) != 1)
		_exit(1);
	while (dbus_connection_read_write_dispatch(conn, -1))
		;
	_exit(0);
}

static double run_dbus(void)
{
	/* The daemon exits by itself at PEER_SECONDS if this process dies first. */
	char dir[] = "/tmp/emf-bench-dbus-XXXXXX", conf[128], cmd[512], addr[256], line[256];
	dbus_int32_t v = 0, r;
	uint64_t t0, t1, end, n = 0;
	int pipefd[2], daemon_pid = 0, i;
	DBusConnection *conn;
	DBusMessage *msg, *reply;
	pid_t server;
	double rate = 0;
	DBusError err;
	FILE *f;
	char c;

	if (!mkdtemp(dir))
		return 0;
	snprintf(conf, sizeof(conf), "%s/bus.conf", dir);
	f = fopen(conf, "w");
	if (!f)
		return 0;
	fprintf(f, dbus_config, dir);
	fclose(f);
	snprintf(cmd, sizeof(cmd),
		 "timeout -k 2 %d dbus-daemon --config-file=%s --nofork --print-address=1 --print-pid=1 &",
		 PEER_SECONDS, conf);
	f = popen(cmd, "r");
	if (!f || !fgets(addr, sizeof(addr), f) || !fgets(line, sizeof(line), f)) {
		printf("BENCH dbus_call_roundtrips skipped dbus-daemon did not start\n");
		if (f)
			pclose(f);
		return 0;
	}
	pclose(f);
	addr[strcspn(addr, "\n")] = 0;
	daemon_pid = atoi(line);

	if (pipe(pipefd))
		goto out_daemon;
	server = fork();
	if (server == 0) {
		close(pipefd[0]);
		dbus_server(addr, pipefd[1]);
	}
	close(pipefd[1]);
	if (server < 0 || read(pipefd[0], &c, 1) != 1) {
		printf("BENCH dbus_call_roundtrips skipped the D-Bus server did not start\n");
		goto out_server;
	}
	conn = dbus_connect(addr);
	if (!conn)
		goto out_server;
	dbus_error_init(&err);
	t0 = now_ns();
	end = t0 + bench_seconds * 1e9;
	do {
		for (i = 0; i < 64; i++) {
			msg = dbus_message_new_method_call(DBUS_NAME, DBUS_PATH, DBUS_IFACE,
							   "Incr");
			dbus_message_append_args(msg, DBUS_TYPE_INT32, &v, DBUS_TYPE_INVALID);
			reply = dbus_connection_send_with_reply_and_block(conn, msg, 1000, &err);
			dbus_message_unref(msg);
			if (!reply || !dbus_message_get_args(reply, &err, DBUS_TYPE_INT32, &r,
							     DBUS_TYPE_INVALID)) {
				printf("BENCH dbus_call_roundtrips skipped a call failed: %s\n",
				       err.message);
				goto out_conn;
			}
			dbus_message_unref(reply);
			v = r;
		}
		n += 64;
		t1 = now_ns();
	} while (t1 < end);
	if (v == (dbus_int32_t)n)
		rate = n / ((t1 - t0) / 1e9);
out_conn:
	dbus_connection_close(conn);
	dbus_connection_unref(conn);
out_server:
	close(pipefd[0]);
	if (server > 0) {
		kill(server, SIGTERM);
		waitpid(server, NULL, 0);
	}
out_daemon:
	if (daemon_pid > 0)
		kill(daemon_pid, SIGTERM);
	unlink(conf);
	snprintf(conf, sizeof(conf), "%s/bus", dir);
	unlink(conf);
	rmdir(dir);
	return rate;
}
#endif

static const char *filter;

#define XROUNDS 3

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The median of XROUNDS figures (sorts them). */
static double median(double *v)
{
	qsort(v, XROUNDS, sizeof(*v), cmp_double);
	return v[XROUNDS / 2];
}

/* Run only what the optional argument names (a substring of the BENCH names). */
static bool want(const char *name)
{
	return !filter || strstr(name, filter);
}

int main(int argc, char **argv)
{
	const char *env = getenv("EMF_BENCH_SECONDS");
	double call_rate = 0, xcall_rate = 0, efd_rate = 0, futex_rate = 0;
#ifdef HAVE_DBUS
	double dbus_rate = 0;
#endif

	if (env && atof(env) > 0)
		bench_seconds = atof(env);
	if (argc > 1)
		filter = argv[1];
	env = getenv("EMF_BENCH_QUEUE_LEN");
	if (env && atoi(env) > 0)
		bench_queue_len = atoi(env);
#ifdef HAVE_DBUS
	/* before any thread exists: the D-Bus server is a forked process */
	if (want("dbus_call_roundtrips"))
		dbus_rate = run_dbus();
#endif
	if (want("ebus_1to1_thread_msgs"))
		bench("ebus_1to1_thread_msgs",
		      run_tput(1, EMF_BUS_DELIVER_THREAD, tput_count(10000000)), "msgs/s");
	if (want("ebus_1to1_host_msgs"))
		bench("ebus_1to1_host_msgs",
		      run_tput(1, EMF_BUS_DELIVER_HOST, tput_count(10000000)), "msgs/s");
	if (want("ebus_latency_p"))
		run_latency("ebus_latency", 0, 200000);
	if (want("ebus_latency_paced_10us"))
		run_latency("ebus_latency_paced_10us", 10000, 100000);
	if (want("ebus_idle_delivery_p99") || want("idle_wake"))
		run_idle_delivery(2000 * bench_seconds);
	if (want("ebus_4to1_thread_msgs"))
		bench("ebus_4to1_thread_msgs",
		      run_tput(4, EMF_BUS_DELIVER_THREAD, tput_count(5000000)), "msgs/s");
	if (want("ebus_call_roundtrips")) {
		call_rate = run_calls_inline();
		bench("ebus_call_roundtrips", call_rate, "calls/s");
	}
	if (want("ebus_call_xthread_roundtrips") || want("pingpong")) {
		/*
		 * The call and its limits take turns, XROUNDS times, a third of
		 * the time each: a shared machine changes speed between figures
		 * more than within a round. Medians of the rates and of the
		 * ratios within a round.
		 */
		double x[XROUNDS], e[XROUNDS], f[XROUNDS], re[XROUNDS], rf[XROUNDS], secs = bench_seconds;
		int r;

		bench_seconds = secs / XROUNDS;
		for (r = 0; r < XROUNDS; r++) {
			x[r] = run_calls_xthread();
			e[r] = run_pingpong(false);
			f[r] = run_pingpong(true);
			re[r] = e[r] > 0 ? x[r] / e[r] : 0;
			rf[r] = f[r] > 0 ? x[r] / f[r] : 0;
		}
		bench_seconds = secs;
		xcall_rate = median(x);
		efd_rate = median(e);
		futex_rate = median(f);
		bench("ebus_call_xthread_roundtrips", xcall_rate, "calls/s");
		bench("eventfd_pingpong_roundtrips", efd_rate, "roundtrips/s");
		bench("futex_pingpong_roundtrips", futex_rate, "roundtrips/s");
		bench("ebus_xthread_vs_eventfd_ratio", median(re), "x");
		printf("BENCH target_ebus_xthread_ge_0.5x_eventfd %d bool\n", median(re) >= 0.5);
		bench("ebus_xthread_vs_futex_ratio", median(rf), "x");
	}
#ifdef HAVE_DBUS
	if (dbus_rate > 0) {
		bench("dbus_call_roundtrips", dbus_rate, "calls/s");
		/* An inline call (no thread hop) against D-Bus's two process hops. */
		if (call_rate > 0)
			bench("ebus_vs_dbus_call_ratio", call_rate / dbus_rate, "x");
		/* The fair one: a thread hop each way against D-Bus. */
		if (xcall_rate > 0) {
			bench("ebus_xthread_vs_dbus_call_ratio", xcall_rate / dbus_rate, "x");
			printf("BENCH target_ebus_xthread_ge_10x_dbus %d bool\n", xcall_rate / dbus_rate >= 10);
		}
	}
#else
	if (want("dbus_call_roundtrips"))
		printf("BENCH dbus_call_roundtrips skipped built without HAVE_DBUS (install libdbus-1-dev and dbus-daemon, then configure)\n");
#endif
	return 0;
}
