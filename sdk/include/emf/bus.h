/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * ebus: the in-process message bus of libemfsdk.
 *
 * One struct emf_bus carries four kinds of traffic between the parts of a
 * host application (plugins, the agent, services):
 *   - topics: publish/subscribe of refcounted messages (typed binary events,
 *     raw bytes or JSON);
 *   - services: named objects with named methods, called synchronously with a
 *     timeout or asynchronously with a reply callback; replies may be deferred;
 *   - signals: broadcast control messages (pause, resume, reload, user ones);
 *   - the host loop: one file descriptor that becomes readable when callbacks
 *     are waiting to run on the host's thread.
 *
 * Delivery. Every receiver (subscription, service, signal handler) chooses
 * where its callbacks run:
 *   EMF_BUS_DELIVER_HOST   - on the thread that calls emf_bus__dispatch(), the
 *                            "host loop"; add emf_bus__fd() to its poll set;
 *   EMF_BUS_DELIVER_THREAD - on one of the bus's worker threads, started the
 *                            first time something needs them.
 * Callbacks of one receiver never run concurrently with each other and run in
 * the order their messages (or requests) were queued; messages from one
 * publishing thread reach a subscriber in the order they were published.
 *
 * Threads and locks. Every function may be called from any thread, including
 * from inside any bus callback, except emf_bus__destroy() (see there). No lock
 * of the bus is held while a callback runs, so a callback may publish,
 * subscribe, unsubscribe, call services, signal, or dispatch. A callback runs
 * while other threads keep using the bus; it only needs locks of its own for
 * data it shares with other threads. The bus waits for another thread in two
 * places only, both documented: emf_bus__unsubscribe() and
 * emf_bus__remove_service() wait for a callback of that receiver running on
 * another thread, so that callback must not wait for the caller. The worker
 * threads run with all signals blocked.
 *
 * Memory. A published payload is copied once into a message; freed messages
 * are kept by the bus for reuse (a bounded number per size class) and
 * released by emf_bus__destroy().
 *
 * Names. A topic is one or more segments joined by '.', each segment a
 * non-empty string without '.' or '*', at most EMF_BUS_NAME_MAX bytes in all:
 * "proc.exec", "agent". Service names follow the same rule; a method name is a
 * single segment; a call names "<service>.<method>", split at the last '.'.
 *
 * Errors: int functions return 0 (or a count) on success and a negative errno
 * on failure, and set errno; pointer functions return NULL and set errno.
 */
#ifndef __EMF_BUS_H
#define __EMF_BUS_H

#include <stddef.h>
#include <stdint.h>

#include <emf/opts.h>

#ifdef __cplusplus
extern "C" {
#endif

struct json_t;
struct emf_event_type;
struct emf_bus;
struct emf_bus_sub;
struct emf_bus_svc;
struct emf_bus_req;
struct emf_msg;

/* Longest topic, service name or full method name, not counting the NUL. */
#define EMF_BUS_NAME_MAX 255

enum emf_bus_deliver {
	EMF_BUS_DELIVER_HOST = 0, /* in emf_bus__dispatch(), on the host's thread (default) */
	EMF_BUS_DELIVER_THREAD, /* on a worker thread of the bus */
};

/* What a publisher meets when a subscriber's queue is full. */
enum emf_bus_policy {
	/* Drop the message being published for this subscriber (default). */
	EMF_BUS_POLICY_DROP_NEW = 0,
	/* Drop the oldest queued message to make room for the new one. */
	EMF_BUS_POLICY_DROP_OLD,
	/*
	 * Make the publisher wait for room, at most block_timeout_ms, then drop
	 * the new message. A publisher that is itself the thread that must
	 * drain the queue (publishing from that subscriber's own callback, from
	 * the host loop to a full EMF_BUS_DELIVER_HOST subscriber, or from the
	 * only worker thread to a full EMF_BUS_DELIVER_THREAD subscriber) could
	 * only wait for the timeout: it drops at once instead.
	 */
	EMF_BUS_POLICY_BLOCK,
};

struct emf_bus_opts {
	size_t sz; /* sizeof(struct emf_bus_opts), set by EMF_OPTS */
	/* Default queue length of subscribers that do not choose one; 0: 1024. */
	unsigned int queue_len;
	/* Worker threads for EMF_BUS_DELIVER_THREAD; 0: 1. */
	unsigned int n_workers;
	/*
	 * How long an idle worker keeps polling for more work before it goes
	 * to sleep, in microseconds; 0: 50. It looks once a microsecond, so
	 * messages that keep coming cost publishers no wake-up and reach the
	 * subscriber in batches; it polls only while work flows (its last task
	 * came within that time of the one before), so a lone message costs
	 * no polling. A thread in emf_bus__call() looks for its
	 * reply as long before it sleeps: a reply that comes within that time
	 * costs no wake-up either. EMF_BUS_NO_SPIN turns polling off.
	 */
	unsigned int spin_us;
	/* Default block_timeout_ms of EMF_BUS_POLICY_BLOCK subscribers; 0: 1000. */
	int block_timeout_ms;
	size_t : 0;
};
#define EMF_BUS_NO_SPIN ((unsigned int)-1)

/*
 * emf_bus__new - create a bus
 * @opts: options, or NULL for the defaults
 *
 * Creates the bus's event fd; worker threads start only when a receiver or an
 * async call with a timeout needs them. Returns the bus, owned by the caller
 * and released with emf_bus__destroy(), or NULL with errno set (EINVAL for
 * bad options, ENOMEM, or the error of eventfd()).
 */
struct emf_bus *emf_bus__new(const struct emf_bus_opts *opts);

/*
 * emf_bus__destroy - release a bus and everything attached to it
 * @bus: the bus, or NULL (then nothing happens)
 *
 * Stops and joins the worker threads (a callback running on one of them is
 * finished first), removes every subscription, service and signal handler
 * (their handles become invalid), drops the messages still queued without
 * delivering them, completes every pending call with -ECANCELED (async reply
 * callbacks run here, on the calling thread, exactly once as always) and
 * closes emf_bus__fd(). Messages a subscriber still holds with emf_msg__ref()
 * stay valid until their last emf_msg__unref(). A request a service handler
 * deferred stays valid: its emf_bus_req__reply() then returns -ECANCELED.
 *
 * No other thread may be in, or enter, a function of this bus once destroy
 * starts, except the bus's own worker threads finishing a callback: from
 * there, registrations and async calls fail with -ESHUTDOWN and sync calls
 * with -ECANCELED or -ESHUTDOWN. It must not be called from a callback of
 * @bus (it warns and does nothing then).
 */
void emf_bus__destroy(struct emf_bus *bus);

/*
 * emf_bus__fd - the file descriptor of the host loop
 *
 * An eventfd, owned by the bus (do not close or read it), readable while
 * callbacks with EMF_BUS_DELIVER_HOST are waiting for emf_bus__dispatch();
 * poll it for EPOLLIN, level- or edge-triggered. It may be readable once for
 * nothing (emf_bus__dispatch() then returns 0). Returns the fd, or -EINVAL
 * when @bus is NULL.
 */
int emf_bus__fd(const struct emf_bus *bus);

/*
 * emf_bus__dispatch - run waiting host-loop callbacks on this thread
 * @max: the most callbacks to run; <= 0 means no limit
 *
 * Runs queued EMF_BUS_DELIVER_HOST callbacks (message callbacks, service
 * handlers, reply callbacks, signal handlers) in queue order and returns
 * without waiting when none is left. emf_bus__fd() stays readable when it
 * returns with callbacks still waiting. The calling thread becomes the bus's
 * host thread (see emf_bus__call()). May be called from inside a callback;
 * several threads may dispatch at once, each receiver still runs one callback
 * at a time. Returns the number of callbacks run, or -EINVAL.
 */
int emf_bus__dispatch(struct emf_bus *bus, int max);

/* --- messages ---------------------------------------------------------- */

/*
 * A message is immutable and refcounted. A subscriber callback borrows it for
 * the duration of the call; to keep it, take a reference with emf_msg__ref()
 * and drop it with emf_msg__unref(), from any thread. All the accessors'
 * pointers live as long as the caller's reference.
 */

/* emf_msg__topic - the topic it was published on; never NULL */
const char *emf_msg__topic(const struct emf_msg *msg);
/*
 * emf_msg__data - the payload, aligned for any C type
 *
 * Always followed by a zero byte that emf_msg__size() does not count, so a
 * text or JSON payload is also a C string.
 */
const void *emf_msg__data(const struct emf_msg *msg);
/* emf_msg__size - the payload's size in bytes */
size_t emf_msg__size(const struct emf_msg *msg);
/* emf_msg__type - the payload's event type, or NULL for raw bytes and JSON */
const struct emf_event_type *emf_msg__type(const struct emf_msg *msg);
/* emf_msg__ref - take a reference; returns @msg */
struct emf_msg *emf_msg__ref(struct emf_msg *msg);
/* emf_msg__unref - drop a reference; the last one frees it; NULL is ignored */
void emf_msg__unref(struct emf_msg *msg);

/*
 * emf_msg__to_json - the payload as a new JSON value
 *
 * Typed payloads go through their type's to_json(), or, when the type has
 * none, through its render_json(). An untyped payload must be JSON text
 * (what emf_bus__publish_json() sends): it is parsed, any JSON value accepted.
 * Each call builds a new value; the caller owns the returned reference
 * (json_decref()). Returns NULL with errno EBADMSG when an untyped payload is
 * not valid JSON, EOPNOTSUPP when the type has no JSON renderer, ENOMEM.
 */
struct json_t *emf_msg__to_json(const struct emf_msg *msg);

/* --- topics ------------------------------------------------------------ */

/*
 * emf_bus__publish - copy a payload into a message and queue it
 * @topic: a topic name (see the rules at the top)
 * @type: the payload's event type, or NULL for raw bytes
 * @data: @size bytes, copied once; may be NULL when @size is 0
 *
 * The one copy is shared by every matching subscriber. Never blocks, except
 * for full EMF_BUS_POLICY_BLOCK subscribers. Returns the number of
 * subscribers the message was queued for (0 when none matches; messages
 * dropped by a full queue are not counted, but counted in that subscriber's
 * stats), or -EINVAL (bad topic, or @size shorter than @type->min_size gives
 * -EMF_ERRNO__TRUNC), -ENOMEM.
 */
int emf_bus__publish(struct emf_bus *bus, const char *topic, const struct emf_event_type *type,
		     const void *data, size_t size);

/*
 * emf_bus__publish_json - publish a JSON value as compact JSON text
 * @json: borrowed; serialised before the call returns
 *
 * Subscribers get an untyped message whose payload is the text (without its
 * NUL in the size); emf_msg__to_json() parses it back. Returns what
 * emf_bus__publish() returns; -EINVAL when @json is NULL or cannot be
 * serialised.
 */
int emf_bus__publish_json(struct emf_bus *bus, const char *topic, const struct json_t *json);

/*
 * Message callback. @msg is borrowed for the call (see emf_msg__ref());
 * @sub is the subscription, usable to unsubscribe from inside the callback.
 */
typedef void (*emf_bus_msg_fn)(void *ctx, struct emf_bus_sub *sub, struct emf_msg *msg);

struct emf_bus_sub_opts {
	size_t sz;
	enum emf_bus_deliver deliver; /* default EMF_BUS_DELIVER_HOST */
	enum emf_bus_policy policy; /* default EMF_BUS_POLICY_DROP_NEW */
	/* Most messages queued, rounded up to a power of 2 (2 at least); 0: the bus's. */
	unsigned int queue_len;
	/* EMF_BUS_POLICY_BLOCK: longest wait; 0: the bus's default; < 0: no limit. */
	int block_timeout_ms;
	size_t : 0;
};

/*
 * emf_bus__subscribe - receive the messages of the topics matching @pattern
 * @pattern: which topics, one of
 *   "*"           every topic;
 *   "a.b"         exactly the topic "a.b";
 *   "a.b.*"       every topic that starts with "a.b." and has at least one
 *                 more segment ("a.b.c", "a.b.c.d"; not "a.b" itself).
 *   Anything else ("", "a.", ".a", "a..b", "a*", "*.a", "a.*.b") is refused.
 * @cb: called once per matching message, where @opts->deliver says
 * @ctx: passed to @cb; must stay valid until emf_bus__unsubscribe() returns
 *
 * Messages published before the call are not delivered; from its return on,
 * every matching one is (or counted as dropped). Returns the subscription,
 * owned by the bus, valid until emf_bus__unsubscribe() or
 * emf_bus__destroy(); NULL with errno EINVAL (bad pattern or options), ENOMEM,
 * or the error of starting a worker thread.
 */
struct emf_bus_sub *emf_bus__subscribe(struct emf_bus *bus, const char *pattern, emf_bus_msg_fn cb,
				       void *ctx, const struct emf_bus_sub_opts *opts);

/*
 * emf_bus__unsubscribe - end a subscription or signal handler
 * @sub: from emf_bus__subscribe() or emf_bus__on_signal(); NULL is ignored
 *
 * Safe at any time, from any thread, also from inside @sub's own callback.
 * Messages still queued for @sub are dropped. When it returns the callback
 * will not be called again; a call running on another thread is waited for,
 * so @ctx may be freed right after; a call running on this thread (the
 * callback unsubscribing itself) goes on to its end. @sub is invalid once it
 * returns. Returns 0, or -EINVAL when @bus is NULL or @sub is not one of its.
 */
int emf_bus__unsubscribe(struct emf_bus *bus, struct emf_bus_sub *sub);

/* Counters of a subscription or signal handler. */
struct emf_bus_sub_stats {
	size_t sz; /* sizeof(struct emf_bus_sub_stats), set by EMF_OPTS */
	uint64_t delivered; /* callbacks run */
	uint64_t dropped; /* messages lost to a full queue, whatever the policy */
	uint64_t timeouts; /* of those, EMF_BUS_POLICY_BLOCK waits that timed out */
	/*
	 * Most messages ever queued at once, as publishers saw it: a peak that
	 * the delivery thread was draining at that very moment may read a
	 * little low.
	 */
	uint64_t high_water;
	uint64_t queued; /* messages queued now */
	uint64_t queue_len; /* capacity of the queue */
	size_t : 0;
};

/*
 * emf_bus_sub__stats - read a subscription's counters
 * @stats: filled up to @stats->sz (declare it with EMF_OPTS)
 *
 * Each counter is read atomically; while messages flow they are not one
 * snapshot. Messages counted as delivered ran their callback to its end (a
 * worker counts a batch when the batch ends), and what those callbacks wrote
 * is visible to the thread that read the count (release/acquire ordering).
 * Returns 0, or -EINVAL.
 */
int emf_bus_sub__stats(const struct emf_bus_sub *sub, struct emf_bus_sub_stats *stats);

/* Counters of the whole bus, over its lifetime. */
struct emf_bus_stats {
	size_t sz; /* sizeof(struct emf_bus_stats), set by EMF_OPTS */
	uint64_t published; /* emf_bus__publish() calls, matched or not (signals aside) */
	uint64_t delivered; /* subscription callbacks run */
	/* messages lost to a full queue, by the subscription's policy */
	uint64_t dropped_new; /* EMF_BUS_POLICY_DROP_NEW */
	uint64_t dropped_old; /* EMF_BUS_POLICY_DROP_OLD */
	uint64_t dropped_block; /* EMF_BUS_POLICY_BLOCK, after the wait or at once */
	uint64_t subscriptions; /* topic subscriptions now */
	size_t : 0;
};

/*
 * emf_bus__stats - read the bus's counters
 * @stats: filled up to @stats->sz (declare it with EMF_OPTS)
 *
 * Counts of subscriptions removed since stay in the totals, so no counter
 * ever goes down. Each is read atomically; while messages flow they are not
 * one snapshot. The callbacks counted in delivered have run, with their
 * writes visible, as for emf_bus_sub__stats(). Returns 0, or -EINVAL.
 */
int emf_bus__stats(const struct emf_bus *bus, struct emf_bus_stats *stats);

/* --- services ---------------------------------------------------------- */

/*
 * Method handler. @args is the call's arguments (NULL when the caller passed
 * none), lent for the handler's run only and read-only: the caller's own
 * object when the handler runs on the caller's thread, a copy otherwise. A
 * handler that defers its reply copies what it needs (json_deep_copy()).
 *
 * The handler completes @req exactly once, now or later from any thread, with
 * emf_bus_req__reply() or emf_bus_req__fail(). Returning a negative errno
 * without having completed @req fails it with that error (do not complete it
 * afterwards). Returning 0 without completing it defers the reply: @req then
 * belongs to the handler until it completes it.
 */
typedef int (*emf_bus_method_fn)(void *ctx, struct emf_bus_req *req, struct json_t *args);

struct emf_bus_method {
	const char *name; /* a single segment: no '.', no '*' */
	emf_bus_method_fn handler;
};

struct emf_bus_svc_opts {
	size_t sz;
	/* where handlers run when the caller does not run them (see emf_bus__call()); default HOST */
	enum emf_bus_deliver deliver;
	size_t : 0;
};

/*
 * emf_bus__add_service - offer named methods under a service name
 * @name: the service name (topic rules); unique on the bus
 * @methods: @n methods; the array and names are copied
 * @ctx: passed to every handler; must stay valid until emf_bus__remove_service()
 *
 * Requests to one service run one at a time, in arrival order. Returns the
 * service, owned by the bus, valid until emf_bus__remove_service() or
 * emf_bus__destroy(); NULL with errno EINVAL (bad name, method name or
 * options, duplicate method), EEXIST (name taken), ENOMEM, or the error of
 * starting a worker thread.
 */
struct emf_bus_svc *emf_bus__add_service(struct emf_bus *bus, const char *name,
					 const struct emf_bus_method *methods, size_t n, void *ctx,
					 const struct emf_bus_svc_opts *opts);

/*
 * emf_bus__remove_service - withdraw a service
 * @svc: NULL is ignored
 *
 * Requests not yet handed to a handler fail with -ECANCELED. A handler
 * running on another thread is waited for (one running on this thread goes
 * on to its end); deferred requests stay valid and may still be completed.
 * @svc is invalid once it returns. Returns 0, or -EINVAL.
 */
int emf_bus__remove_service(struct emf_bus *bus, struct emf_bus_svc *svc);

/*
 * emf_bus__services - the services on the bus and their methods
 *
 * Returns a new JSON object {"SERVICE":["METHOD",...],...}, owned by the
 * caller (json_decref()); a snapshot, taken under the bus's lock. NULL with
 * errno EINVAL or ENOMEM.
 */
struct json_t *emf_bus__services(struct emf_bus *bus);

/*
 * emf_bus__call - call a method and wait for its reply
 * @method: "<service>.<method>"
 * @args: borrowed, may be NULL; a handler run on this thread reads it in
 *        place, any other gets a deep copy; the caller may change or free it
 *        as soon as the call returns
 * @reply: where the reply goes (the caller owns that reference; NULL when the
 *         handler replied NULL); may be NULL to discard the reply
 * @timeout_ms: longest wait for the reply; < 0: no limit; 0: only a reply
 *        given by a handler run on this thread counts
 *
 * Where the handler runs. When the service is idle and may run on this thread
 * (EMF_BUS_DELIVER_THREAD services always may; EMF_BUS_DELIVER_HOST services
 * when this is the host thread, the last one to call emf_bus__dispatch()),
 * the caller runs the requests queued for it, its own included, right here,
 * in order: no thread switch, and no deadlock when a handler calls another
 * service. Otherwise the request is queued for the service's delivery thread
 * and the caller sleeps (a host-loop service waits for emf_bus__dispatch()).
 * A handler run on this thread is never interrupted by the timeout.
 *
 * Deadlocks. A call that would wait for the calling thread itself fails at
 * once with -EDEADLK and a warning naming the method: a handler calling its
 * own service, a cycle of synchronous calls (A's handler calls B, whose
 * handler calls A), or a wait for the host loop from a thread the host loop
 * is waiting for. Use emf_bus__call_async() for those.
 *
 * Returns 0 with *@reply set, or a negative errno: the handler's error,
 * -ENOENT (no such service or method; a warning names which), -ETIMEDOUT (a
 * reply given later is dropped), -EDEADLK, -ECANCELED (service removed before
 * handling the call), -EINVAL (bad name), -ENOMEM, -ESHUTDOWN (bus being
 * destroyed). *@reply is NULL on error.
 */
int emf_bus__call(struct emf_bus *bus, const char *method, const struct json_t *args,
		  struct json_t **reply, int timeout_ms);

/*
 * Reply callback of emf_bus__call_async(): called exactly once, with @err 0
 * and the reply, or with a negative errno and NULL. The callback owns @reply,
 * as a synchronous caller owns *reply: json_decref() it (NULL is allowed).
 */
typedef void (*emf_bus_reply_fn)(void *ctx, int err, struct json_t *reply);

struct emf_bus_call_opts {
	size_t sz;
	int timeout_ms; /* <= 0: no limit */
	enum emf_bus_deliver deliver; /* where the reply callback runs; default HOST */
	size_t : 0;
};

/*
 * emf_bus__call_async - call a method without waiting
 * @args: borrowed, may be NULL; the handler gets a deep copy
 * @cb: the reply callback, run where @opts->deliver says, exactly once: with
 *      the reply, the handler's error, -ETIMEDOUT, -ECANCELED (service removed
 *      or bus destroyed); never from inside this function
 * @ctx: passed to @cb
 *
 * The handler runs where its service's deliver option says, never on this
 * thread inside this function. Returns 0 when the call is queued (then @cb
 * will run), or a negative errno and @cb will not run: -ENOENT (no such
 * service or method), -EINVAL, -ENOMEM, -ESHUTDOWN (bus being destroyed), or
 * the error of starting a worker.
 */
int emf_bus__call_async(struct emf_bus *bus, const char *method, const struct json_t *args,
			emf_bus_reply_fn cb, void *ctx, const struct emf_bus_call_opts *opts);

/*
 * emf_bus_req__method - the full method name of a request, "<service>.<method>"
 *
 * Valid as long as @req. Returns NULL with errno EINVAL for a NULL @req.
 */
const char *emf_bus_req__method(const struct emf_bus_req *req);

/*
 * emf_bus_req__args - the request's arguments, as its handler got them
 *
 * For the handler, while it runs (its @args, for helpers that only get
 * @req); the bus takes them back when the handler returns. May be NULL.
 */
struct json_t *emf_bus_req__args(const struct emf_bus_req *req);

/*
 * emf_bus_req__reply - complete a request with a reply
 * @reply: stolen (the bus owns it from now on, even on error); NULL is a
 *         valid, empty reply
 *
 * Callable from any thread, at any time before the bus is destroyed or after.
 * @req is invalid once this returns. Returns 0 when the reply goes to the
 * caller, -ETIMEDOUT or -ECANCELED when the caller had already given up (the
 * reply is dropped), -EINVAL for a NULL @req.
 */
int emf_bus_req__reply(struct emf_bus_req *req, struct json_t *reply);

/*
 * emf_bus_req__fail - complete a request with an error
 * @err: a negative errno (or EMF_ERRNO__*), given to the caller; a value >= 0
 *       becomes -EIO
 *
 * As emf_bus_req__reply(), without a reply.
 */
int emf_bus_req__fail(struct emf_bus_req *req, int err);

/* --- signals ----------------------------------------------------------- */

enum emf_bus_signo {
	EMF_BUS_SIG_PAUSE = 1, /* named "pause" */
	EMF_BUS_SIG_RESUME = 2, /* "resume" */
	EMF_BUS_SIG_RELOAD = 3, /* "reload" */
	EMF_BUS_SIG_USER = 64, /* first number free for the application */
};

/* Signal handler: @name is borrowed for the call. */
typedef void (*emf_bus_signal_fn)(void *ctx, int signo, const char *name);

struct emf_bus_sig_opts {
	size_t sz;
	int signo; /* only this signal number; 0: all */
	const char *name; /* only signals of this name (copied); NULL: all */
	enum emf_bus_deliver deliver; /* default EMF_BUS_DELIVER_HOST */
	size_t : 0;
};

/*
 * emf_bus__on_signal - register a signal handler
 * @fn: called for each matching signal, in the order they were raised
 * @ctx: passed to @fn; must stay valid until emf_bus__unsubscribe()
 *
 * Signals are never dropped: a handler's queue grows as needed (only a
 * failed allocation drops one, and counts it). Returns a
 * handle, removed with emf_bus__unsubscribe() and read with
 * emf_bus_sub__stats(), or NULL with errno EINVAL, ENOMEM, or the error of
 * starting a worker thread.
 */
struct emf_bus_sub *emf_bus__on_signal(struct emf_bus *bus, emf_bus_signal_fn fn, void *ctx,
				       const struct emf_bus_sig_opts *opts);

/*
 * emf_bus__signal - raise a signal to every matching handler
 * @signo: an EMF_BUS_SIG_* number, or any number >= EMF_BUS_SIG_USER
 * @name: its name (topic rules); NULL gives the built-in name ("pause", ...)
 *        or "sig<N>"
 *
 * Queues the signal and returns at once. Returns the number of handlers it
 * was queued for, or -EINVAL (bad number or name), -ENOMEM.
 */
int emf_bus__signal(struct emf_bus *bus, int signo, const char *name);

#ifdef __cplusplus
}
#endif

#endif /* __EMF_BUS_H */
