/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The control socket: a runtime's bus reachable from other processes.
 *
 * A server (emf_ctl_server__new()) listens on a Unix stream socket and is
 * driven by the runtime's own event loop: its file descriptors sit behind
 * emf_runtime__epoll_fd(), so a host that polls the runtime serves clients
 * without a thread of its own. A client (emf_ctl__connect()) calls methods
 * of the bus's services, subscribes to its topics and reads the messages.
 *
 * Wire format (emf-ctl(1), PROTOCOL): every frame is a 4-byte big-endian
 * length followed by that many bytes of one JSON object, at most
 * EMF_CTL_FRAME_MAX bytes.
 *   client -> server
 *     {"id":N,"op":"call","method":"SVC.METHOD","args":ANY,"timeout_ms":T}
 *     {"id":N,"op":"subscribe","patterns":["execsnoop.*","*.event"]}
 *   server -> client
 *     {"type":"reply","id":N,"result":ANY}
 *     {"type":"error","id":N,"errno":E,"message":"..."}   (E positive)
 *     {"type":"msg","topic":"T","data":ANY}                (after subscribe)
 *     {"type":"lost","count":N,"total":M}                   (messages dropped)
 *
 * The server registers the built-in services emf.plugins, emf.bus, emf.maps
 * and emf.stats on the runtime's bus (see emf-ctl(1) for their methods).
 *
 * Errors: int functions return 0 (or a count) or a negative errno and set
 * errno; pointer functions return NULL and set errno.
 */
#ifndef __EMF_CTL_H
#define __EMF_CTL_H

#include <stddef.h>
#include <stdint.h>

#include <emf/opts.h>

#ifdef __cplusplus
extern "C" {
#endif

struct json_t;
struct emf_buf;
struct emf_runtime;
struct emf_ctl;
struct emf_ctl_server;

/* Largest frame payload, in bytes; a longer frame ends the connection. */
#define EMF_CTL_FRAME_MAX (1u << 20)
/* Bytes of the length prefix of every frame. */
#define EMF_CTL_FRAME_HDR 4
/* Where emf-agent --control listens unless told otherwise. */
#define EMF_CTL_DEFAULT_PATH "/run/emf/emf-agent.sock"

/* --- frames ------------------------------------------------------------ */

/*
 * emf_ctl_frame__encode - append @msg to @out as one frame
 * @msg: borrowed; any JSON value, serialised compactly
 *
 * Returns 0, -EINVAL when @msg cannot be serialised, -EMSGSIZE when it is
 * longer than EMF_CTL_FRAME_MAX, -ENOMEM. On error @out is left as it was.
 */
int emf_ctl_frame__encode(const struct json_t *msg, struct emf_buf *out);

/*
 * emf_ctl_frame__append - append an already serialised JSON text as a frame
 *
 * The text is not checked. Returns 0, -EMSGSIZE, or -ENOMEM.
 */
int emf_ctl_frame__append(struct emf_buf *out, const char *json, size_t len);

/*
 * emf_ctl_frame__split - find the first frame in @buf
 * @payload: set to the start of the frame's JSON text (inside @buf)
 * @payload_len: its length
 *
 * Returns the bytes the whole frame takes (header included, > 0), 0 when
 * @buf holds only part of a frame, or -EMSGSIZE for a length above
 * EMF_CTL_FRAME_MAX (the stream cannot be resynchronised: drop it).
 */
long emf_ctl_frame__split(const void *buf, size_t len, const char **payload,
			  size_t *payload_len);

/*
 * emf_ctl_frame__decode - parse the first frame in @buf
 * @msg: set to a new JSON object the caller owns (json_decref())
 *
 * Returns the bytes the frame takes (> 0) with *@msg set, 0 when more bytes
 * are needed, -EMSGSIZE (see emf_ctl_frame__split()), or -EBADMSG when the
 * payload is not one JSON object (the frame's size is still known: skip it
 * with emf_ctl_frame__split()). *@msg is NULL unless it returns > 0.
 */
long emf_ctl_frame__decode(const void *buf, size_t len, struct json_t **msg);

/* --- server ------------------------------------------------------------ */

struct emf_ctl_server_opts {
	size_t sz;
	const char *path; /* socket path; NULL: EMF_CTL_DEFAULT_PATH */
	/*
	 * A group whose members may connect too (socket mode 0660); NULL: root
	 * only (0600). A name or a number.
	 */
	const char *group;
	/* Bytes of messages queued for one listener before it loses some; 0: 4 MiB. */
	size_t queue_bytes;
	size_t :0;
};

/*
 * emf_ctl_server__new - serve @rt's bus on a Unix socket
 *
 * Creates the socket's directory when missing (mode 0755; its parent must
 * exist), refuses a directory or a path that is a symbolic link, not owned
 * by root or the running user, or writable by group or others; replaces a
 * socket left by a dead server, but fails with -EADDRINUSE when one still
 * answers there, and -EEXIST when something else than a socket has the name.
 * Connections are accepted from root and, with @opts->group, that group's
 * members (SO_PEERCRED, SO_PEERGROUPS); others get an error frame and are
 * counted. Registers the built-in services on emf_runtime__bus(@rt). The
 * server is driven by emf_runtime__poll(). Returns the server, owned by the
 * caller and freed with emf_ctl_server__destroy() before @rt, or NULL with
 * errno set; the message names the path and the reason.
 */
struct emf_ctl_server *emf_ctl_server__new(struct emf_runtime *rt,
					   const struct emf_ctl_server_opts *opts);

/*
 * emf_ctl_server__destroy - close every connection and the socket
 *
 * Removes the socket file when it is still the one this server created, and
 * the built-in services. NULL-safe.
 */
void emf_ctl_server__destroy(struct emf_ctl_server *srv);

/* Counters of a server. */
struct emf_ctl_server_stats {
	size_t sz; /* set by EMF_OPTS */
	uint64_t accepted; /* connections served */
	uint64_t refused; /* connections refused by the peer check */
	uint64_t clients; /* connected now */
	uint64_t bad_frames; /* oversized, or not a JSON object */
	uint64_t requests; /* frames handled */
	uint64_t msgs_sent; /* topic messages queued to listeners */
	uint64_t msgs_lost; /* topic messages listeners lost (full queues) */
	size_t :0;
};

/*
 * emf_ctl_server__stats - read a server's counters into @st (up to @st->sz)
 *
 * Returns 0, or -EINVAL.
 */
int emf_ctl_server__stats(const struct emf_ctl_server *srv, struct emf_ctl_server_stats *st);

/* emf_ctl_server__path - the socket's path, owned by the server */
const char *emf_ctl_server__path(const struct emf_ctl_server *srv);

/* --- client ------------------------------------------------------------ */

/*
 * emf_ctl__connect - connect to a server
 * @path: its socket; NULL: EMF_CTL_DEFAULT_PATH
 *
 * Returns a client, owned by the caller and freed with emf_ctl__close(), or
 * NULL with errno set (ENOENT: nothing there; ECONNREFUSED: nobody listens;
 * EACCES: the socket's mode keeps us out).
 */
struct emf_ctl *emf_ctl__connect(const char *path);

/* emf_ctl__close - close the connection and free the client; NULL-safe */
void emf_ctl__close(struct emf_ctl *ctl);

/* emf_ctl__fd - the socket, for a caller's poll loop (readable: emf_ctl__poll()) */
int emf_ctl__fd(const struct emf_ctl *ctl);

/*
 * emf_ctl__call - call a method of the server's bus and wait for the reply
 * @method: "SERVICE.METHOD"
 * @args: borrowed; may be NULL
 * @reply: set to the reply, which the caller owns (json_decref()); NULL when
 *         the method replied nothing, and on error. May be NULL to discard.
 * @timeout_ms: longest wait; < 0: no limit
 *
 * Messages of subscriptions arriving meanwhile are handed to their callback.
 * The first 50 µs of the wait are spent awake, looking for the reply and
 * yielding the CPU to anyone else who wants it: a running agent often
 * answers sooner than a sleeping caller would wake up. Returns 0, the
 * server's negative errno (-ENOENT: no such method, -EACCES:
 * refused by the server, -ETIMEDOUT...), -ETIMEDOUT when no reply came in
 * time, -EPIPE when the server went away, -EPROTO for a reply that breaks the
 * protocol. emf_ctl__last_error() gives the server's message.
 */
int emf_ctl__call(struct emf_ctl *ctl, const char *method, const struct json_t *args,
		  struct json_t **reply, int timeout_ms);

/*
 * Reply callback of emf_ctl__call_async(): @err is 0 with the reply (owned by
 * the callback; may be NULL) or a negative errno with NULL.
 */
typedef void (*emf_ctl_reply_fn)(void *ctx, int err, struct json_t *reply);

/*
 * emf_ctl__call_async - send a call; @cb runs from emf_ctl__poll()
 *
 * @cb runs exactly once, with the reply or the error, or with -EPIPE when the
 * connection ends first; never from inside this function. Returns 0 when
 * the call is sent, or a negative errno and @cb will not run.
 */
int emf_ctl__call_async(struct emf_ctl *ctl, const char *method, const struct json_t *args,
			int timeout_ms, emf_ctl_reply_fn cb, void *ctx);

/* One message of a subscription, valid during the callback only. */
struct emf_ctl_msg {
	const char *topic; /* NUL-terminated; NULL for a loss report */
	const char *data; /* the payload as JSON text (not NUL-terminated) */
	size_t data_len;
	uint64_t lost; /* loss report: messages lost since the last report */
	uint64_t lost_total; /* loss report: all this connection lost */
};

/* Return 0 to go on; a negative value makes emf_ctl__poll() return it. */
typedef int (*emf_ctl_msg_fn)(void *ctx, const struct emf_ctl_msg *msg);

/*
 * emf_ctl__subscribe - receive the messages of topics matching @patterns
 * @patterns: @n patterns: the bus's ("*", "a.b", "a.b.*") or shell globs
 *            ("*.event"); copied
 * @cb: called from emf_ctl__poll() and emf_ctl__call() for every message and
 *      every loss report; replaces an earlier callback
 *
 * Waits for the server to accept the patterns. The server queues a bounded
 * number of bytes for this client: when the client does not keep up it loses
 * messages, and is told how many (a loss report) before the next one it
 * gets. Returns 0, or the server's error (-EINVAL for a bad pattern), -EPIPE.
 */
int emf_ctl__subscribe(struct emf_ctl *ctl, const char *const *patterns, size_t n,
		       emf_ctl_msg_fn cb, void *ctx);

/*
 * emf_ctl__poll - wait up to @timeout_ms for frames and handle them
 *
 * Runs reply and message callbacks. Returns the number of frames handled,
 * -EPIPE when the server closed the connection, -EINTR, -EPROTO, or what a
 * message callback returned.
 */
int emf_ctl__poll(struct emf_ctl *ctl, int timeout_ms);

/*
 * emf_ctl__last_error - the server's message for the last failed call
 *
 * Owned by the client, valid until its next call; "" when none.
 */
const char *emf_ctl__last_error(const struct emf_ctl *ctl);

#ifdef __cplusplus
}
#endif

#endif /* __EMF_CTL_H */
