// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The control socket's client: calls, async calls and subscriptions over one
 * connection. Frames from the server are read into one buffer and handled in
 * order; topic messages take a fast path that finds the topic and the data
 * without building a JSON tree, since a listener may take millions a second.
 */
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>

#include <emf/ctl.h>
#include <emf/errno.h>
#include <emf/fmt.h>

#include "log_internal.h"

struct ctl_pending {
	struct ctl_pending *next;
	json_int_t id;
	emf_ctl_reply_fn cb; /* NULL: a synchronous call, outcome in err/reply */
	void *ctx;
	bool done;
	int err;
	json_t *reply;
};

#define CTL_SPIN_NS 50000 /* how long a synchronous call looks for its reply before it sleeps */

struct emf_ctl {
	int fd;
	json_int_t next_id;
	struct emf_buf in;
	size_t in_off;
	struct ctl_pending *pending;
	emf_ctl_msg_fn msg_cb;
	void *msg_ctx;
	char errmsg[1024];
	bool closed;
};

struct emf_ctl *emf_ctl__connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct emf_ctl *ctl;
	int err;

	path = path ?: EMF_CTL_DEFAULT_PATH;
	if (strlen(path) >= sizeof(sa.sun_path))
		return emf_err_ptr(-ENAMETOOLONG);
	strcpy(sa.sun_path, path);
	ctl = calloc(1, sizeof(*ctl));
	if (!ctl)
		return emf_err_ptr(-ENOMEM);
	ctl->next_id = 1;
	ctl->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (ctl->fd < 0 || connect(ctl->fd, (struct sockaddr *)&sa, sizeof(sa))) {
		err = -errno;
		if (ctl->fd >= 0)
			close(ctl->fd);
		free(ctl);
		return emf_err_ptr(err);
	}
	return ctl;
}

void emf_ctl__close(struct emf_ctl *ctl)
{
	struct ctl_pending *p;

	if (!ctl)
		return;
	close(ctl->fd);
	/* Async callers hear of the end exactly once. */
	while ((p = ctl->pending)) {
		ctl->pending = p->next;
		if (p->cb)
			p->cb(p->ctx, -EPIPE, NULL);
		json_decref(p->reply);
		free(p);
	}
	emf_buf__free(&ctl->in);
	free(ctl);
}

int emf_ctl__fd(const struct emf_ctl *ctl)
{
	return ctl ? ctl->fd : -1;
}

const char *emf_ctl__last_error(const struct emf_ctl *ctl)
{
	return ctl ? ctl->errmsg : "";
}

static int send_all(struct emf_ctl *ctl, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(ctl->fd, p, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return (errno == EPIPE || errno == ECONNRESET) ? -EPIPE : -errno;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int pump(struct emf_ctl *ctl, int timeout_ms);

static int send_req(struct emf_ctl *ctl, json_t *req)
{
	struct emf_buf b = {};
	int err;

	if (!req)
		return -ENOMEM;
	err = emf_ctl_frame__encode(req, &b);
	json_decref(req);
	if (!err)
		err = send_all(ctl, b.data, b.len);
	emf_buf__free(&b);
	/* A server that refused us said why before it closed: that is the error. */
	if (err == -EPIPE) {
		int why = pump(ctl, 0);

		if (why < 0 && why != -EPIPE)
			err = why;
	}
	return err;
}

static struct ctl_pending *pending_add(struct emf_ctl *ctl, emf_ctl_reply_fn cb, void *ctx)
{
	struct ctl_pending *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->id = ctl->next_id++;
	p->cb = cb;
	p->ctx = ctx;
	p->next = ctl->pending;
	ctl->pending = p;
	return p;
}

static void pending_del(struct emf_ctl *ctl, struct ctl_pending *p)
{
	struct ctl_pending **pp;

	for (pp = &ctl->pending; *pp; pp = &(*pp)->next) {
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	}
	json_decref(p->reply);
	free(p);
}

/* Unescape-free fast path: {"type":"msg","topic":"T","data":D} as the server writes it. */
static int handle_msg_fast(struct emf_ctl *ctl, const char *s, size_t n)
{
	static const char head[] = "{\"type\":\"msg\",\"topic\":\"";
	const char *t = s + sizeof(head) - 1, *q;
	char topic[512];
	struct emf_ctl_msg m = {};

	q = memchr(t, '"', n - (size_t)(t - s));
	if (!q || memchr(t, '\\', (size_t)(q - t)) || (size_t)(q - t) >= sizeof(topic) ||
	    (size_t)(s + n - q) < 10 || memcmp(q, "\",\"data\":", 9) || s[n - 1] != '}')
		return 1; /* not the server's shape: the slow path decides */
	memcpy(topic, t, (size_t)(q - t));
	topic[q - t] = '\0';
	m.topic = topic;
	m.data = q + 9;
	m.data_len = (size_t)(s + n - 1 - m.data);
	return ctl->msg_cb ? ctl->msg_cb(ctl->msg_ctx, &m) : 0;
}

static int handle_frame(struct emf_ctl *ctl, const char *s, size_t n)
{
	static const char head[] = "{\"type\":\"msg\",\"topic\":\"";
	struct ctl_pending *p;
	json_t *j, *data;
	json_int_t id;
	const char *type;
	int ret = 0;

	if (n > sizeof(head) && !memcmp(s, head, sizeof(head) - 1)) {
		ret = handle_msg_fast(ctl, s, n);
		if (ret <= 0)
			return ret;
	}
	j = json_loadb(s, n, 0, NULL);
	type = json_string_value(json_object_get(j, "type"));
	if (!j || !type) {
		json_decref(j);
		return -EPROTO;
	}
	id = json_integer_value(json_object_get(j, "id"));
	if (!strcmp(type, "msg") && ctl->msg_cb) {
		struct emf_ctl_msg m = { .topic = json_string_value(json_object_get(j, "topic")) };
		char *text;

		data = json_object_get(j, "data");
		text = json_dumps(data, JSON_COMPACT | JSON_ENCODE_ANY);
		m.data = text ?: "null";
		m.data_len = strlen(m.data);
		if (m.topic)
			ret = ctl->msg_cb(ctl->msg_ctx, &m);
		free(text);
	} else if (!strcmp(type, "lost") && ctl->msg_cb) {
		struct emf_ctl_msg m = {
			.data = "",
			.lost = (uint64_t)json_integer_value(json_object_get(j, "count")),
			.lost_total = (uint64_t)json_integer_value(json_object_get(j, "total")),
		};

		ret = ctl->msg_cb(ctl->msg_ctx, &m);
	} else if (!strcmp(type, "reply") || !strcmp(type, "error")) {
		bool is_err = !strcmp(type, "error");
		int e = is_err ? -(int)json_integer_value(json_object_get(j, "errno")) : 0;
		const char *text = json_string_value(json_object_get(j, "message"));

		if (is_err && e >= 0)
			e = -EPROTO;
		for (p = ctl->pending; p && p->id != id; p = p->next)
			;
		if (is_err)
			snprintf(ctl->errmsg, sizeof(ctl->errmsg), "%s", text ?: emf_strerror(e));
		if (!p && is_err && !id) {
			/* Not about a call: the server refuses us or the stream. */
			ret = e;
		} else if (p) {
			json_t *r = is_err ? NULL : json_incref(json_object_get(j, "result"));

			if (json_is_null(r)) {
				json_decref(r);
				r = NULL;
			}
			if (p->cb) {
				emf_ctl_reply_fn cb = p->cb;
				void *ctx = p->ctx;

				pending_del(ctl, p);
				cb(ctx, e, r);
			} else {
				p->done = true;
				p->err = e;
				p->reply = r;
			}
		}
	}
	json_decref(j);
	return ret;
}

/* Read what is there (waiting up to @timeout_ms for the first bytes) and handle whole frames. */
static int pump(struct emf_ctl *ctl, int timeout_ms)
{
	struct pollfd pfd = { .fd = ctl->fd, .events = POLLIN };
	int n, handled = 0, err = 0;

	if (ctl->closed)
		return -EPIPE;
	n = poll(&pfd, 1, timeout_ms);
	if (n < 0)
		return -errno;
	if (n == 0)
		return 0;
	for (;;) {
		char *p = emf_buf__reserve(&ctl->in, 256 * 1024);
		ssize_t r;

		if (!p)
			return -ENOMEM;
		r = recv(ctl->fd, p, 256 * 1024, MSG_DONTWAIT);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN)
			break;
		if (r <= 0) {
			ctl->closed = true;
			break;
		}
		ctl->in.len += (size_t)r;
		if (ctl->in.len - ctl->in_off > 4 * EMF_CTL_FRAME_MAX)
			break;
	}
	while (!err) {
		const char *payload;
		size_t plen;
		long used = emf_ctl_frame__split(ctl->in.data + ctl->in_off,
						 ctl->in.len - ctl->in_off, &payload, &plen);

		if (used < 0)
			return -EPROTO;
		if (!used)
			break;
		ctl->in_off += (size_t)used;
		err = handle_frame(ctl, payload, plen);
		handled++;
	}
	if (ctl->in_off) {
		memmove(ctl->in.data, ctl->in.data + ctl->in_off, ctl->in.len - ctl->in_off);
		ctl->in.len -= ctl->in_off;
		ctl->in_off = 0;
	}
	if (err)
		return err;
	if (ctl->closed && !handled)
		return -EPIPE;
	return handled;
}

int emf_ctl__poll(struct emf_ctl *ctl, int timeout_ms)
{
	int n;

	if (!ctl)
		return emf_err(-EINVAL);
	n = pump(ctl, timeout_ms);
	return n < 0 ? emf_err(n) : n;
}

static json_t *call_req(json_int_t id, const char *method, const json_t *args, int timeout_ms)
{
	json_t *req = json_pack("{s:I,s:s,s:s}", "id", id, "op", "call", "method", method);

	if (req && args && json_object_set(req, "args", (json_t *)args)) {
		json_decref(req);
		return NULL;
	}
	if (req && timeout_ms > 0 && json_object_set_new(req, "timeout_ms", json_integer(timeout_ms))) {
		json_decref(req);
		return NULL;
	}
	return req;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static long long now_ms(void)
{
	return (long long)(now_ns() / 1000000);
}

/*
 * Wait for @p to be answered: awake for the first CTL_SPIN_NS, as a reply
 * from a running agent often comes sooner than this thread would sleep and
 * wake up again, then asleep in poll().
 */
static int wait_for(struct emf_ctl *ctl, struct ctl_pending *p, int timeout_ms)
{
	long long deadline = timeout_ms >= 0 ? now_ms() + timeout_ms : 0;
	uint64_t spin_end = now_ns() + CTL_SPIN_NS;
	int err;

	while (!p->done && now_ns() < spin_end) {
		err = pump(ctl, 0);
		if (err < 0 && err != -EINTR)
			return err;
		if (!p->done)
			sched_yield(); /* a server on this CPU runs first */
	}
	while (!p->done) {
		int left = -1;

		if (timeout_ms >= 0) {
			long long l = deadline - now_ms();

			if (l <= 0)
				return -ETIMEDOUT;
			left = (int)l;
		}
		err = pump(ctl, left);
		if (err < 0 && err != -EINTR)
			return err;
	}
	return 0;
}

int emf_ctl__call(struct emf_ctl *ctl, const char *method, const json_t *args, json_t **reply,
		  int timeout_ms)
{
	struct ctl_pending *p;
	int err;

	if (reply)
		*reply = NULL;
	if (!ctl || !method)
		return emf_err(-EINVAL);
	ctl->errmsg[0] = '\0';
	p = pending_add(ctl, NULL, NULL);
	if (!p)
		return emf_err(-ENOMEM);
	err = send_req(ctl, call_req(p->id, method, args, timeout_ms));
	if (!err)
		err = wait_for(ctl, p, timeout_ms);
	if (!err)
		err = p->err;
	if (err == -ETIMEDOUT && !ctl->errmsg[0])
		snprintf(ctl->errmsg, sizeof(ctl->errmsg), "%s: no reply within %d ms", method,
			 timeout_ms);
	if (!err && reply) {
		*reply = p->reply;
		p->reply = NULL;
	}
	pending_del(ctl, p);
	return err ? emf_err(err) : 0;
}

int emf_ctl__call_async(struct emf_ctl *ctl, const char *method, const json_t *args,
			int timeout_ms, emf_ctl_reply_fn cb, void *ctx)
{
	struct ctl_pending *p;
	int err;

	if (!ctl || !method || !cb)
		return emf_err(-EINVAL);
	p = pending_add(ctl, cb, ctx);
	if (!p)
		return emf_err(-ENOMEM);
	err = send_req(ctl, call_req(p->id, method, args, timeout_ms));
	if (err) {
		pending_del(ctl, p);
		return emf_err(err);
	}
	return 0;
}

int emf_ctl__subscribe(struct emf_ctl *ctl, const char *const *patterns, size_t n,
		       emf_ctl_msg_fn cb, void *ctx)
{
	struct ctl_pending *p;
	json_t *req, *a;
	size_t i;
	int err;

	if (!ctl || !patterns || !n || !cb)
		return emf_err(-EINVAL);
	ctl->msg_cb = cb;
	ctl->msg_ctx = ctx;
	p = pending_add(ctl, NULL, NULL);
	if (!p)
		return emf_err(-ENOMEM);
	a = json_array();
	for (i = 0; a && i < n; i++)
		if (json_array_append_new(a, json_string(patterns[i]))) {
			json_decref(a);
			a = NULL;
		}
	req = a ? json_pack("{s:I,s:s,s:o}", "id", p->id, "op", "subscribe", "patterns", a) : NULL;
	err = send_req(ctl, req);
	if (!err)
		err = wait_for(ctl, p, 10000);
	if (!err)
		err = p->err;
	pending_del(ctl, p);
	return err ? emf_err(err) : 0;
}
