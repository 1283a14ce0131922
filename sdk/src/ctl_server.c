// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The control socket's server: a bridge between a Unix stream socket and the
 * runtime's bus. Its fds sit in an epoll set of its own, which the runtime's
 * loop watches (emf_runtime__add_fd()), so it runs on the host thread and
 * never blocks it: sockets are non-blocking, calls go to the bus
 * asynchronously, and what a listener cannot take is dropped for that
 * listener alone and counted.
 *
 * The path is hostile input: its directory is opened without following
 * symbolic links and must be owned by root or us and not writable by others;
 * the socket is bound and checked through that directory fd.
 */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <grp.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>
#include <linux/openat2.h>
#include <jansson.h>

#include <emf/errno.h>
#include <emf/runtime.h>

#include "bus_inline.h"
#include "ctl_internal.h"
#include "log_internal.h"
#include "opts_internal.h"
#include "runtime_internal.h"

#define CTL_QUEUE_BYTES_DEFAULT (4u << 20)
#define CTL_SUB_QUEUE_LEN 16384
#define CTL_CALL_TIMEOUT_MS 30000
#define CTL_MAX_PATTERNS 64

struct ctl_conn;

/* {"type":"msg","topic":"T","data": with T escaped: 6 bytes a character at most */
#define CTL_PREFIX_MAX (32 + 6 * EMF_BUS_NAME_MAX)

struct ctl_sub {
	struct ctl_sub *next;
	struct ctl_conn *c;
	struct emf_bus_sub *sub;
	char *glob; /* a shell pattern the bus cannot match: filtered here; NULL otherwise */
	/*
	 * The last topic seen, whether it matches and its frame's start: a
	 * stream of events has one topic, matched and escaped once.
	 */
	size_t last_len; /* 0: none yet */
	bool last_match;
	size_t prefix_len;
	char last[EMF_BUS_NAME_MAX + 1];
	char prefix[CTL_PREFIX_MAX];
};

struct ctl_conn {
	struct emf_ctl_server *srv;
	struct ctl_conn *next, *prev;
	int fd;
	unsigned int refs; /* the server's list, plus one per call in flight */
	bool dead; /* closed: only references of calls in flight keep it */
	bool broken; /* close at the next chance: write error, or a client that never reads */
	bool out_armed; /* EPOLLOUT requested */
	bool out_full; /* the socket took no more: wait for EPOLLOUT before sending again */
	bool held; /* its queue was full: the bus drops its messages until it drains */
	uid_t uid;
	pid_t pid;
	struct emf_buf in;
	struct emf_buf out;
	size_t out_off; /* bytes of out already sent */
	struct ctl_sub *subs;
	uint64_t lost; /* messages dropped here, on a full output queue */
	uint64_t lost_reported;
};

struct ctl_call {
	struct ctl_conn *c;
	json_int_t id;
	char method[];
};

struct emf_ctl_server {
	struct emf_runtime *rt;
	struct emf_bus *bus;
	struct emf_ctl_services *svcs;
	int epfd;
	int lfd;
	int dfd; /* the socket's directory */
	char *path;
	char *name; /* the socket's name in dfd */
	ino_t ino;
	bool has_group;
	gid_t gid;
	size_t queue_bytes;
	struct ctl_conn *conns;
	struct emf_ctl_server_stats st;
};

/* --- output ------------------------------------------------------------- */

static size_t out_pending(const struct ctl_conn *c)
{
	return c->out.len - c->out_off;
}

static void conn_arm(struct ctl_conn *c, bool on)
{
	struct epoll_event ev = { .events = EPOLLIN | (on ? EPOLLOUT : 0), .data.ptr = c };

	if (c->dead || c->out_armed == on)
		return;
	if (!epoll_ctl(c->srv->epfd, EPOLL_CTL_MOD, c->fd, &ev))
		c->out_armed = on;
}

/*
 * A listener that does not read costs the agent nothing: once its queue is
 * full the bus counts its messages as dropped without a call, until half the
 * queue is sent.
 */
static void conn_hold(struct ctl_conn *c, bool on)
{
	struct ctl_sub *s;

	for (s = c->subs; s; s = s->next)
		emf__bus_sub_hold(s->sub, on);
	c->held = on;
}

/*
 * Send what is queued; never blocks. Once the socket is full, nothing is
 * tried until it says it has room (EPOLLOUT): a listener that does not read
 * must not cost a failed send per message.
 */
static void conn_flush(struct ctl_conn *c)
{
	while (out_pending(c) && !c->out_full) {
		ssize_t n = send(c->fd, c->out.data + c->out_off, out_pending(c),
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				c->broken = true;
			c->out_full = true;
			break;
		}
		c->out_off += (size_t)n;
	}
	if (!out_pending(c)) {
		emf_buf__reset(&c->out);
		c->out_off = 0;
	} else if (c->out_off > (1u << 20)) {
		memmove(c->out.data, c->out.data + c->out_off, out_pending(c));
		c->out.len -= c->out_off;
		c->out_off = 0;
	}
	if (c->held && out_pending(c) <= c->srv->queue_bytes / 2)
		conn_hold(c, false);
	conn_arm(c, out_pending(c) || c->broken);
}

/* Queue a control frame (reply, error); a client that never reads is cut off. */
static void conn_send(struct ctl_conn *c, json_t *msg)
{
	if (c->dead || c->broken)
		goto out;
	if (out_pending(c) > 2 * c->srv->queue_bytes + EMF_CTL_FRAME_MAX ||
	    emf_ctl_frame__encode(msg, &c->out))
		c->broken = true;
	/* A reply goes out at once: a caller is waiting, and it saves a loop turn. */
	if (!c->broken)
		conn_flush(c);
	else
		conn_arm(c, true);
out:
	json_decref(msg);
}

static void send_error(struct ctl_conn *c, json_int_t id, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void send_error(struct ctl_conn *c, json_int_t id, int err, const char *fmt, ...)
{
	char text[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	conn_send(c, json_pack("{s:s,s:I,s:i,s:s}", "type", "error", "id", id, "errno",
			       err < 0 ? -err : err, "message", text));
}

/* --- connections -------------------------------------------------------- */

static void conn_put(struct ctl_conn *c)
{
	if (--c->refs)
		return;
	emf_buf__free(&c->in);
	emf_buf__free(&c->out);
	free(c);
}

/* Cheap enough for every message: a look at each subscription's counter. */
static uint64_t conn_lost_total(const struct ctl_conn *c)
{
	uint64_t total = c->lost;
	struct ctl_sub *s;

	for (s = c->subs; s; s = s->next)
		total += emf__bus_sub_dropped(s->sub);
	return total;
}

static void conn_close(struct ctl_conn *c)
{
	struct emf_ctl_server *srv = c->srv;

	if (c->dead)
		return;
	srv->st.msgs_lost += conn_lost_total(c) - c->lost;
	while (c->subs) {
		struct ctl_sub *s = c->subs;

		c->subs = s->next;
		emf_bus__unsubscribe(srv->bus, s->sub);
		free(s->glob);
		free(s);
	}
	epoll_ctl(srv->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	c->dead = true;
	if (c->prev)
		c->prev->next = c->next;
	else
		srv->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	srv->st.clients--;
	conn_put(c);
}

/* --- topic messages ----------------------------------------------------- */

static char *put_str(char *p, const char *s)
{
	static const char hex[] = "0123456789abcdef";

	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\' || ch < 0x20) {
			memcpy(p, "\\u00", 4);
			p[4] = hex[ch >> 4];
			p[5] = hex[ch & 15];
			p += 6;
		} else {
			*p++ = (char)ch;
		}
	}
	return p;
}

#define CTL_LOST_MAX 96 /* a loss report's frame, at most */

/* Tell the client what it lost since the last report, when there is room. */
static void report_lost(struct ctl_conn *c)
{
	uint64_t lost = c->subs ? conn_lost_total(c) : 0;
	char text[CTL_LOST_MAX];
	int n;

	/* A stopped listener's queue stays full: costs it no more than a look. */
	if (lost <= c->lost_reported ||
	    out_pending(c) + CTL_LOST_MAX + EMF_CTL_FRAME_HDR > c->srv->queue_bytes)
		return;
	n = snprintf(text, sizeof(text), "{\"type\":\"lost\",\"count\":%llu,\"total\":%llu}",
		     (unsigned long long)(lost - c->lost_reported), (unsigned long long)lost);
	if (!emf_ctl_frame__append(&c->out, text, (size_t)n))
		c->lost_reported = lost;
}

/*
 * The payload of a message as JSON text: typed events rendered (once per
 * event, for every listener and the host's emf_event__json_line()), JSON as
 * is, bytes in hex.
 */
static char *put_data(struct emf_runtime *rt, char *p, struct emf_msg *msg)
{
	const struct emf_event_type *type = emf_msg__type(msg);
	const unsigned char *data = emf_msg__data(msg);
	size_t size = emf_msg__size(msg), i;
	static const char hex[] = "0123456789abcdef";
	json_t *j;

	if (type) {
		const char *json = emf__runtime_event_json(rt, data, &i);
		char *start = ++p;

		start[-1] = '{';
		if (json) {
			p = (char *)memcpy(start, json, i) + i;
		} else {
			p = type->render_json(start, data, size);
			emf__runtime_event_json_keep(rt, data, start, (size_t)(p - start));
		}
		*p++ = '}';
		return p;
	}
	j = size ? json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL) : NULL;
	if (j) {
		json_decref(j);
		memcpy(p, data, size);
		return p + size;
	}
	memcpy(p, "{\"bytes\":\"", 10);
	p += 10;
	for (i = 0; i < size; i++) {
		*p++ = hex[data[i] >> 4];
		*p++ = hex[data[i] & 15];
	}
	memcpy(p, "\"}", 2);
	return p + 2;
}

/* A topic other than the last: match it and write the start of its frames. */
static void learn_topic(struct ctl_sub *s, const char *topic, size_t tlen)
{
	char *p = s->prefix;

	memcpy(s->last, topic, tlen + 1);
	s->last_len = tlen;
	s->last_match = !s->glob || !fnmatch(s->glob, topic, 0);
	memcpy(p, "{\"type\":\"msg\",\"topic\":\"", 23);
	p = put_str(p + 23, topic);
	memcpy(p, "\",\"data\":", 9);
	s->prefix_len = (size_t)(p + 9 - s->prefix);
}

static void on_msg(void *ctx, struct emf_bus_sub *sub, struct emf_msg *msg)
{
	struct ctl_sub *s = ctx;
	struct ctl_conn *c = s->c;
	struct emf_ctl_server *srv = c->srv;
	const struct emf_event_type *type = emf_msg__type(msg);
	const char *topic = emf_msg__topic(msg);
	size_t tlen = strlen(topic), need, start;
	char *p, *body;

	(void)sub;
	if (c->dead || c->broken)
		return;
	if (tlen != s->last_len || memcmp(topic, s->last, tlen))
		learn_topic(s, topic, tlen);
	if (!s->last_match)
		return;
	need = s->prefix_len + 1 + (type ? type->json_max + 2 : 2 * emf_msg__size(msg) + 16);
	report_lost(c);
	if (out_pending(c) + need > srv->queue_bytes || need > EMF_CTL_FRAME_MAX) {
		c->lost++;
		srv->st.msgs_lost++;
		if (need <= EMF_CTL_FRAME_MAX)
			conn_hold(c, true);
		conn_arm(c, true);
		return;
	}
	start = c->out.len;
	p = emf_buf__reserve(&c->out, need + EMF_CTL_FRAME_HDR);
	if (!p) {
		c->lost++;
		srv->st.msgs_lost++;
		return;
	}
	body = p + EMF_CTL_FRAME_HDR;
	memcpy(body, s->prefix, s->prefix_len);
	p = put_data(srv->rt, body + s->prefix_len, msg);
	*p++ = '}';
	/* The header, once the length is known. */
	{
		uint32_t n = (uint32_t)(p - body);
		char *h = c->out.data + start;

		h[0] = (char)(n >> 24);
		h[1] = (char)(n >> 16);
		h[2] = (char)(n >> 8);
		h[3] = (char)n;
	}
	emf_buf__commit(&c->out, p);
	srv->st.msgs_sent++;
	/* A big batch goes out now; the rest once this dispatch is over (EPOLLOUT). */
	if (out_pending(c) > 256 * 1024)
		conn_flush(c);
	else
		conn_arm(c, true);
}

/* What the bus matches itself: "*", "a.b", "a.b.*". */
static bool bus_pattern(const char *p)
{
	size_t len = strlen(p);

	if (!strcmp(p, "*"))
		return true;
	if (len > 2 && !strcmp(p + len - 2, ".*"))
		len -= 2;
	if (!len || len > EMF_BUS_NAME_MAX || p[0] == '.' || p[len - 1] == '.')
		return false;
	for (size_t i = 0; i < len; i++)
		if (p[i] == '*' || p[i] == '?' || p[i] == '[' || (p[i] == '.' && p[i + 1] == '.'))
			return false;
	return true;
}

static int conn_subscribe(struct ctl_conn *c, json_t *patterns, json_int_t id)
{
	struct emf_bus_sub_opts so = {
		.sz = sizeof(so),
		.deliver = EMF_BUS_DELIVER_HOST,
		.policy = EMF_BUS_POLICY_DROP_NEW,
		.queue_len = CTL_SUB_QUEUE_LEN,
	};
	size_t i, n = json_array_size(patterns);

	if (!json_is_array(patterns) || !n || n > CTL_MAX_PATTERNS) {
		send_error(c, id, EINVAL, "subscribe: give 1 to %d patterns as an array of strings",
			   CTL_MAX_PATTERNS);
		return -EINVAL;
	}
	for (i = 0; i < n; i++) {
		const char *pat = json_string_value(json_array_get(patterns, i));

		if (!pat || !*pat || strlen(pat) > EMF_BUS_NAME_MAX) {
			send_error(c, id, EINVAL, "subscribe: pattern %zu is not a non-empty string of at most %d bytes",
				   i, EMF_BUS_NAME_MAX);
			return -EINVAL;
		}
	}
	for (i = 0; i < n; i++) {
		const char *pat = json_string_value(json_array_get(patterns, i));
		struct ctl_sub *s = calloc(1, sizeof(*s));
		bool exact = bus_pattern(pat);

		if (!s || (!exact && !(s->glob = strdup(pat)))) {
			free(s);
			send_error(c, id, ENOMEM, "subscribe: out of memory");
			return -ENOMEM;
		}
		s->c = c;
		s->sub = emf_bus__subscribe(c->srv->bus, exact ? pat : "*", on_msg, s, &so);
		/* on_msg() only copies out, and connections close on this thread. */
		if (s->sub)
			emf__bus_sub_set_inline(s->sub);
		if (!s->sub) {
			int err = -errno;

			free(s->glob);
			free(s);
			send_error(c, id, err, "subscribe: failed to subscribe to '%s': %s", pat,
				   emf_strerror(err));
			return err;
		}
		emf__bus_sub_hold(s->sub, c->held);
		s->next = c->subs;
		c->subs = s;
	}
	conn_send(c, json_pack("{s:s,s:I,s:n}", "type", "reply", "id", id, "result"));
	return 0;
}

/* --- calls -------------------------------------------------------------- */

static void on_reply(void *ctx, int err, json_t *reply)
{
	struct ctl_call *call = ctx;
	struct ctl_conn *c = call->c;
	char *text = c->srv->svcs && err ? emf__ctl_services_take_error(c->srv->svcs, call->method)
					 : NULL;

	if (err && text)
		send_error(c, call->id, err, "%s: %s", call->method, text);
	else if (err == -ENOENT)
		send_error(c, call->id, err, "%s: no such service or method; 'emf-ctl list' shows them",
			   call->method);
	else if (err)
		send_error(c, call->id, err, "%s failed: %s", call->method, emf_strerror(err));
	else
		conn_send(c, json_pack("{s:s,s:I,s:o}", "type", "reply", "id", call->id, "result",
				       reply ?: json_null()));
	free(text);
	conn_put(c);
	free(call);
}

static void conn_call(struct ctl_conn *c, json_t *req, json_int_t id)
{
	const char *method = json_string_value(json_object_get(req, "method"));
	json_t *args = json_object_get(req, "args"), *t = json_object_get(req, "timeout_ms");
	struct emf_bus_call_opts co = { .sz = sizeof(co), .deliver = EMF_BUS_DELIVER_HOST };
	struct ctl_call *call;
	size_t len;
	int err;

	if (!method || (len = strlen(method)) > EMF_BUS_NAME_MAX || !strchr(method, '.')) {
		send_error(c, id, EINVAL, "call: \"method\" must be a string \"SERVICE.METHOD\"");
		return;
	}
	if (t && (!json_is_integer(t) || json_integer_value(t) < 0 ||
		  json_integer_value(t) > INT_MAX)) {
		send_error(c, id, EINVAL, "call: \"timeout_ms\" must be a non-negative integer");
		return;
	}
	co.timeout_ms = t && json_integer_value(t) ? (int)json_integer_value(t)
						  : CTL_CALL_TIMEOUT_MS;
	call = malloc(sizeof(*call) + len + 1);
	if (!call) {
		send_error(c, id, ENOMEM, "call: out of memory");
		return;
	}
	call->c = c;
	call->id = id;
	memcpy(call->method, method, len + 1);
	c->refs++;
	err = emf_bus__call_async(c->srv->bus, method, json_is_null(args) ? NULL : args, on_reply,
				  call, &co);
	if (err) {
		c->refs--;
		free(call);
		if (err == -ENOENT)
			send_error(c, id, err, "%s: no such service or method; 'emf-ctl list' shows them",
				   method);
		else
			send_error(c, id, err, "%s failed: %s", method, emf_strerror(err));
	}
}

/* One frame from a client. */
static void conn_request(struct ctl_conn *c, json_t *req)
{
	json_t *jid = json_object_get(req, "id");
	const char *op = json_string_value(json_object_get(req, "op"));
	json_int_t id = json_is_integer(jid) ? json_integer_value(jid) : 0;

	c->srv->st.requests++;
	if (!op)
		send_error(c, id, EINVAL, "request without an \"op\" string");
	else if (!strcmp(op, "call"))
		conn_call(c, req, id);
	else if (!strcmp(op, "subscribe"))
		conn_subscribe(c, json_object_get(req, "patterns"), id);
	else
		send_error(c, id, EOPNOTSUPP, "unknown op '%.64s': give \"call\" or \"subscribe\"", op);
}

static void conn_read(struct ctl_conn *c)
{
	struct emf_ctl_server *srv = c->srv;
	size_t off = 0;

	for (;;) {
		char *p = emf_buf__reserve(&c->in, 64 * 1024);
		ssize_t n;

		if (!p) {
			c->broken = true;
			return;
		}
		n = recv(c->fd, p, 64 * 1024, MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {
			c->broken = true; /* closed, or reset */
			break;
		}
		c->in.len += (size_t)n;
		if (c->in.len > EMF_CTL_FRAME_MAX + EMF_CTL_FRAME_HDR)
			break;
	}
	while (!c->dead && off < c->in.len) {
		json_t *req;
		long used = emf_ctl_frame__decode(c->in.data + off, c->in.len - off, &req);

		if (!used)
			break;
		if (used == -EMSGSIZE) {
			srv->st.bad_frames++;
			send_error(c, 0, EMSGSIZE, "frame longer than %u bytes; closing",
				   EMF_CTL_FRAME_MAX);
			c->broken = true;
			off = c->in.len;
			break;
		}
		if (used < 0) {
			const char *payload;
			size_t plen;

			srv->st.bad_frames++;
			send_error(c, 0, EBADMSG, "frame is not one JSON object");
			used = emf_ctl_frame__split(c->in.data + off, c->in.len - off, &payload,
						    &plen);
		} else {
			conn_request(c, req);
			json_decref(req);
		}
		off += (size_t)used;
	}
	if (off) {
		memmove(c->in.data, c->in.data + off, c->in.len - off);
		c->in.len -= off;
	}
}

/* --- accept ------------------------------------------------------------- */

static bool peer_allowed(struct emf_ctl_server *srv, int fd, const struct ucred *cr)
{
	gid_t groups[256];
	socklen_t len = sizeof(groups);
	size_t i;

	if (cr->uid == 0)
		return true;
	if (!srv->has_group)
		return false;
	if (cr->gid == srv->gid)
		return true;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len))
		return false;
	for (i = 0; i < len / sizeof(gid_t); i++)
		if (groups[i] == srv->gid)
			return true;
	return false;
}

static void do_accept(struct emf_ctl_server *srv)
{
	for (;;) {
		struct ucred cr;
		socklen_t len = sizeof(cr);
		struct epoll_event ev = { .events = EPOLLIN };
		struct ctl_conn *c;
		int fd = accept4(srv->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno != EAGAIN)
				pr_warn("ctl: failed to accept a connection on %s: %s\n", srv->path,
					emf_strerror(-errno));
			return;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) || !peer_allowed(srv, fd, &cr)) {
			char text[256];
			struct emf_buf b = {};
			int n;

			srv->st.refused++;
			n = snprintf(text, sizeof(text),
				     "{\"type\":\"error\",\"id\":0,\"errno\":%d,\"message\":\"permission denied: uid %u is not root%s%s\"}",
				     EACCES, (unsigned)cr.uid,
				     srv->has_group ? " nor a member of the control group" : "",
				     srv->has_group ? "" : " (the agent has no --control-group)");
			if (!emf_ctl_frame__append(&b, text, (size_t)n) &&
			    send(fd, b.data, b.len, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
				pr_debug("ctl: failed to tell refused peer: %s\n",
					 emf_strerror(-errno));
			emf_buf__free(&b);
			pr_info("ctl: refused a connection from uid %u pid %d on %s\n",
				(unsigned)cr.uid, (int)cr.pid, srv->path);
			close(fd);
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (!c) {
			close(fd);
			continue;
		}
		c->srv = srv;
		c->fd = fd;
		c->refs = 1;
		c->uid = cr.uid;
		c->pid = cr.pid;
		ev.data.ptr = c;
		if (epoll_ctl(srv->epfd, EPOLL_CTL_ADD, fd, &ev)) {
			close(fd);
			free(c);
			continue;
		}
		c->next = srv->conns;
		if (c->next)
			c->next->prev = c;
		srv->conns = c;
		srv->st.accepted++;
		srv->st.clients++;
	}
}

static void on_ready(void *ctx, int fd)
{
	struct emf_ctl_server *srv = ctx;
	struct epoll_event evs[64];
	int n, i;

	(void)fd;
	n = epoll_wait(srv->epfd, evs, 64, 0);
	for (i = 0; i < n; i++) {
		struct ctl_conn *c = evs[i].data.ptr;

		if (evs[i].data.ptr == srv) {
			do_accept(srv);
			continue;
		}
		if (evs[i].events & EPOLLIN)
			conn_read(c);
		if (evs[i].events & EPOLLOUT)
			c->out_full = false;
		if (!c->broken && (evs[i].events & (EPOLLERR | EPOLLHUP)))
			c->broken = true;
		conn_flush(c);
		/* A listener that caught up hears of what it lost meanwhile. */
		if (!c->broken && !out_pending(c) && c->subs) {
			report_lost(c);
			conn_flush(c);
		}
		if (c->broken)
			conn_close(c);
	}
}

/* --- the socket --------------------------------------------------------- */

static int open_dir(const char *dir, bool create)
{
	struct open_how how = {
		.flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC,
		.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	int fd = (int)syscall(SYS_openat2, AT_FDCWD, dir, &how, sizeof(how));

	if (fd < 0 && errno == ENOSYS)
		fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && create) {
		if (mkdir(dir, 0755) && errno != EEXIST)
			return -errno;
		fd = open_dir(dir, false);
		if (fd >= 0 && fchmod(fd, 0755)) {
			int err = -errno;

			close(fd);
			return err;
		}
		return fd;
	}
	return fd < 0 ? -errno : fd;
}

static int check_dir(const char *dir, int dfd)
{
	struct stat st;

	if (fstat(dfd, &st))
		return -errno;
	if (st.st_uid != 0 && st.st_uid != geteuid()) {
		pr_warn("ctl: refusing socket directory %s: owned by uid %u, neither root nor the running user\n",
			dir, (unsigned)st.st_uid);
		return -EMF_ERRNO__UNSAFE;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		pr_warn("ctl: refusing socket directory %s: writable by %s; use a directory only root can write, such as /run/emf\n",
			dir, st.st_mode & S_IWOTH ? "others" : "its group");
		return -EMF_ERRNO__UNSAFE;
	}
	return 0;
}

static int fd_addr(struct sockaddr_un *sa, int dfd, const char *name)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if ((size_t)snprintf(sa->sun_path, sizeof(sa->sun_path), "/proc/self/fd/%d/%s", dfd, name) >=
	    sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	return 0;
}

/* A socket already at the name: replace it only when nobody answers. */
static int clear_stale(struct emf_ctl_server *srv)
{
	struct sockaddr_un sa;
	struct stat st;
	int fd, err;

	if (fstatat(srv->dfd, srv->name, &st, AT_SYMLINK_NOFOLLOW))
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode)) {
		pr_warn("ctl: refusing %s: it exists and is not a socket; remove it or give another --control path\n",
			srv->path);
		return -EEXIST;
	}
	err = fd_addr(&sa, srv->dfd, srv->name);
	if (err)
		return err;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	err = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) ? -errno : 0;
	close(fd);
	if (!err) {
		pr_warn("ctl: refusing %s: another server is listening on it\n", srv->path);
		return -EADDRINUSE;
	}
	if (err != -ECONNREFUSED)
		return err;
	pr_info("ctl: replacing the stale socket %s of a server that is gone\n", srv->path);
	return unlinkat(srv->dfd, srv->name, 0) ? -errno : 0;
}

static int resolve_group(struct emf_ctl_server *srv, const char *group)
{
	struct group gr, *res = NULL;
	char buf[4096], *end;
	unsigned long v;

	errno = 0;
	v = strtoul(group, &end, 10);
	if (*group && !*end && !errno) {
		srv->gid = (gid_t)v;
		srv->has_group = true;
		return 0;
	}
	if (getgrnam_r(group, &gr, buf, sizeof(buf), &res) || !res) {
		pr_warn("ctl: no group named '%s'\n", group);
		return -ENOENT;
	}
	srv->gid = gr.gr_gid;
	srv->has_group = true;
	return 0;
}

static int open_socket(struct emf_ctl_server *srv)
{
	struct sockaddr_un sa;
	char *slash, *dir;
	struct stat st;
	int err;

	slash = strrchr(srv->path, '/');
	if (!slash || !slash[1] || srv->path[0] != '/') {
		pr_warn("ctl: invalid socket path '%s': give an absolute path to a file\n", srv->path);
		return -EINVAL;
	}
	dir = strndup(srv->path, slash == srv->path ? 1 : (size_t)(slash - srv->path));
	srv->name = strdup(slash + 1);
	if (!dir || !srv->name) {
		free(dir);
		return -ENOMEM;
	}
	srv->dfd = open_dir(dir, true);
	if (srv->dfd < 0) {
		err = srv->dfd;
		pr_warn("ctl: failed to open socket directory %s: %s%s\n", dir, emf_strerror(err),
			err == -ELOOP ? " (it is or passes through a symbolic link)" : "");
		free(dir);
		return err;
	}
	err = check_dir(dir, srv->dfd);
	free(dir);
	if (err)
		return err;
	err = fd_addr(&sa, srv->dfd, srv->name);
	if (err) {
		pr_warn("ctl: socket name '%s' is too long\n", srv->name);
		return err;
	}
	err = clear_stale(srv);
	if (err) {
		if (err != -EEXIST && err != -EADDRINUSE)
			pr_warn("ctl: failed to check %s: %s\n", srv->path, emf_strerror(err));
		return err;
	}
	srv->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (srv->lfd < 0)
		return -errno;
	if (bind(srv->lfd, (struct sockaddr *)&sa, sizeof(sa))) {
		err = -errno;
		pr_warn("ctl: failed to bind %s: %s\n", srv->path, emf_strerror(err));
		return err;
	}
	/* Nobody can connect before listen(): set the owner and mode first. */
	if ((srv->has_group && fchownat(srv->dfd, srv->name, (uid_t)-1, srv->gid,
					AT_SYMLINK_NOFOLLOW)) ||
	    fchmodat(srv->dfd, srv->name, srv->has_group ? 0660 : 0600, 0) ||
	    fstatat(srv->dfd, srv->name, &st, AT_SYMLINK_NOFOLLOW)) {
		err = -errno;
		pr_warn("ctl: failed to set the mode of %s: %s\n", srv->path, emf_strerror(err));
		unlinkat(srv->dfd, srv->name, 0);
		return err;
	}
	srv->ino = st.st_ino;
	if (listen(srv->lfd, 128)) {
		err = -errno;
		unlinkat(srv->dfd, srv->name, 0);
		srv->ino = 0;
		return err;
	}
	return 0;
}

struct emf_ctl_server *emf_ctl_server__new(struct emf_runtime *rt,
					   const struct emf_ctl_server_opts *opts)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct emf_ctl_server *srv;
	const char *group;
	int err;

	if (!rt || !OPTS_VALID(opts, emf_ctl_server_opts))
		return emf_err_ptr(-EINVAL);
	srv = calloc(1, sizeof(*srv));
	if (!srv)
		return emf_err_ptr(-ENOMEM);
	srv->rt = rt;
	srv->lfd = srv->dfd = srv->epfd = -1;
	srv->queue_bytes = OPTS_GET(opts, queue_bytes, 0) ?: CTL_QUEUE_BYTES_DEFAULT;
	srv->path = strdup(OPTS_GET(opts, path, NULL) ?: EMF_CTL_DEFAULT_PATH);
	group = OPTS_GET(opts, group, NULL);
	if (!srv->path) {
		err = -ENOMEM;
		goto err_free;
	}
	if (group && (err = resolve_group(srv, group)))
		goto err_free;
	srv->bus = emf_runtime__bus(rt);
	if (!srv->bus) {
		err = -errno;
		goto err_free;
	}
	err = open_socket(srv);
	if (err)
		goto err_free;
	srv->epfd = epoll_create1(EPOLL_CLOEXEC);
	ev.data.ptr = srv;
	if (srv->epfd < 0 || epoll_ctl(srv->epfd, EPOLL_CTL_ADD, srv->lfd, &ev)) {
		err = -errno;
		goto err_free;
	}
	srv->svcs = emf__ctl_services_new(srv, rt, srv->bus, emf_ctl_server__stats);
	if (!srv->svcs) {
		err = -errno;
		goto err_free;
	}
	err = emf_runtime__add_fd(rt, srv->epfd, on_ready, srv);
	if (err)
		goto err_free;
	pr_info("ctl: listening on %s\n", srv->path);
	return srv;

err_free:
	emf_ctl_server__destroy(srv);
	return emf_err_ptr(err);
}

void emf_ctl_server__destroy(struct emf_ctl_server *srv)
{
	struct stat st;

	if (!srv)
		return;
	while (srv->conns)
		conn_close(srv->conns);
	if (srv->epfd >= 0) {
		emf_runtime__remove_fd(srv->rt, srv->epfd);
		close(srv->epfd);
	}
	/* Calls still in flight hold their connection: cancel them now. */
	emf__ctl_services_free(srv->svcs);
	if (srv->lfd >= 0)
		close(srv->lfd);
	if (srv->dfd >= 0) {
		if (srv->ino && !fstatat(srv->dfd, srv->name, &st, AT_SYMLINK_NOFOLLOW) &&
		    st.st_ino == srv->ino)
			unlinkat(srv->dfd, srv->name, 0);
		close(srv->dfd);
	}
	free(srv->name);
	free(srv->path);
	free(srv);
}

int emf_ctl_server__stats(const struct emf_ctl_server *srv, struct emf_ctl_server_stats *st)
{
	struct emf_ctl_server_stats all = srv ? srv->st : (struct emf_ctl_server_stats){};
	const struct ctl_conn *c;
	size_t sz;

	if (!srv || !st || st->sz < sizeof(size_t))
		return emf_err(-EINVAL);
	/* What the bus dropped for live listeners (held, or a full ring) is theirs too. */
	for (c = srv->conns; c; c = c->next)
		all.msgs_lost += conn_lost_total(c) - c->lost;
	sz = st->sz < sizeof(*st) ? st->sz : sizeof(*st);
	memcpy((char *)st + sizeof(size_t), (const char *)&all + sizeof(size_t),
	       sz - sizeof(size_t));
	return 0;
}

const char *emf_ctl_server__path(const struct emf_ctl_server *srv)
{
	return srv ? srv->path : NULL;
}
