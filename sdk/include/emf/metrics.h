/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Prometheus metrics of a runtime: its counters, its plugins' sampled maps and
 * metrics derived from events by rule, in the Prometheus text exposition
 * format 0.0.4 or OpenMetrics 1.0, and a small HTTP server for /metrics.
 *
 * What is exported, every family with HELP and TYPE:
 *   emf_output_events_total, emf_output_lost_events_total,
 *   emf_output_decode_errors_total, emf_output_reads_total {plugin, output}
 *   emf_plugin_state {plugin, state}             1 for the plugin's state, 0 otherwise
 *   emf_slot_missed_calls_total {slot, kind}     tail calls that found the slot empty
 *   emf_bus_published_messages_total, emf_bus_delivered_messages_total,
 *   emf_bus_dropped_messages_total {policy}      when the runtime's bus exists
 *   emf_PLUGIN_MAP[_FIELD]_total {key fields}    EMF_SAMPLE_COUNTERS_CLEAR maps: the
 *                                                readings summed since the start
 *   emf_PLUGIN_MAP[_FIELD] {key fields}          EMF_SAMPLE_COUNTERS maps (gauges: the
 *                                                map's values as last read)
 *   emf_PLUGIN_MAP_bucket/_sum/_count {le}       EMF_SAMPLE_LOG2_HIST maps, cumulative
 *   NAME {fields}                                emf_metrics__add_rule()
 *   emf_metrics_overflow_total {metric}          observations folded into "other"
 * Labels of a sampled map come from its key's fields (enums by name, strings,
 * addresses as text). A family holds at most max_series series: what comes
 * beyond is folded into one series whose labels all read "other", and counted.
 *
 * Threads. Everything but the server runs on the thread that drives the
 * runtime (the one calling emf_runtime__poll()). The server answers scrapes
 * on its own threads from the latest text the runtime's thread published with
 * emf_metrics__publish(), so the event path takes no lock.
 */
#ifndef __EMF_METRICS_H
#define __EMF_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <emf/runtime.h>

#ifdef __cplusplus
extern "C" {
#endif

struct emf_metrics;
struct emf_metrics_server;
struct emf_buf;

#define EMF_METRICS_MAX_SERIES_DEFAULT 10000

struct emf_metrics_opts {
	size_t sz;
	/* Most series of one family; 0 for EMF_METRICS_MAX_SERIES_DEFAULT. */
	unsigned int max_series;
	size_t :0;
};

enum emf_metrics_format {
	EMF_METRICS_TEXT, /* text/plain; version=0.0.4 */
	EMF_METRICS_OPENMETRICS, /* application/openmetrics-text; version=1.0.0 */
};

/*
 * emf_metrics__new - metrics of a runtime
 * @rt: the runtime; must outlive the metrics
 * @opts: NULL for defaults
 *
 * Returns an object freed with emf_metrics__destroy(), or NULL with errno set
 * (EINVAL, ENOMEM).
 */
struct emf_metrics *emf_metrics__new(struct emf_runtime *rt, const struct emf_metrics_opts *opts);

/*
 * emf_metrics__destroy - free the metrics
 *
 * NULL-safe. Destroy every server of @m first.
 */
void emf_metrics__destroy(struct emf_metrics *m);

/*
 * emf_metrics__add_rule - a metric derived from a plugin's events
 * @spec: "NAME=PLUGIN.EVENT:count [by F1,F2...]" counts the events of type
 *        EVENT of plugin PLUGIN per distinct value of the fields, and
 *        "NAME=PLUGIN.EVENT:sum FIELD [by F1,...]" adds up a numeric field
 *
 * NAME is a Prometheus metric name not starting with "emf_"; the fields are
 * fields of the event struct (integers, enums, bools, strings, addresses),
 * checked against the plugin's generated field table, so the plugin must be in
 * the runtime. Only the chosen fields leave the host. Returns 0, or -EINVAL
 * (malformed, unknown field or kind), -ENOENT (no such plugin or event type),
 * -EEXIST (a rule of that name); the message says which part is wrong.
 */
int emf_metrics__add_rule(struct emf_metrics *m, const char *spec);

/*
 * emf_metrics__event - account an event for the rules
 *
 * Call it from the runtime's event callback with the event it was given.
 * Cheap when no rule is about the event's type; never fails (a series that
 * cannot be allocated is counted as folded).
 */
void emf_metrics__event(struct emf_metrics *m, const struct emf_event *ev);

/*
 * emf_metrics__sample - keep a reading of a sampled map
 *
 * Call it from the runtime's sample callback with the reading it was given;
 * what is needed is copied. Returns 0 or -ENOMEM.
 */
int emf_metrics__sample(struct emf_metrics *m, const struct emf_sample_data *data);

/*
 * emf_metrics__render - append every metric to @b
 *
 * Reads the runtime's counters (the kernel's, for losses and slots) at the
 * time of the call. Returns 0 or -ENOMEM; on error @b may hold part of it.
 */
int emf_metrics__render(struct emf_metrics *m, struct emf_buf *b, enum emf_metrics_format fmt);

/*
 * emf_metrics__publish - render what servers are waiting for
 *
 * Call it from the runtime's thread after every poll (emf_run_opts.tick_cb,
 * or when emf_metrics__fd() is readable): when a scrape is waiting, the
 * metrics are rendered and handed to the server threads. Returns 0 when
 * nothing was wanted, 1 when it rendered, or -ENOMEM.
 */
int emf_metrics__publish(struct emf_metrics *m);

/*
 * emf_metrics__fd - an eventfd readable while a scrape waits for
 * emf_metrics__publish(); owned by @m. For hosts with their own poll loop.
 */
int emf_metrics__fd(const struct emf_metrics *m);

struct emf_metrics_server_opts {
	size_t sz;
	/* Connections served at once, more wait in the listen queue; 0 for 64. */
	unsigned int max_connections;
	/* Seconds a connection may stay idle (a slow scraper); 0 for 10. */
	unsigned int timeout_s;
	/* Most ms a scrape waits for emf_metrics__publish(); 0 for 2000. */
	unsigned int wait_ms;
	size_t :0;
};

/*
 * emf_metrics_server__new - serve /metrics over HTTP
 * @listen: "PORT", "ADDR:PORT" or "[ADDR6]:PORT"; without ADDR, 127.0.0.1.
 *          PORT 0 picks a free port (emf_metrics_server__port()).
 *
 * Serves GET /metrics (OpenMetrics when the Accept header asks for
 * application/openmetrics-text, else the text format 0.0.4) from its own
 * threads; anything else gets 404 (405 for a method other than GET/HEAD).
 * Scrapes wait for the runtime's thread to call emf_metrics__publish() (at
 * most wait_ms; then they get the previous rendering, or 503). Returns a
 * server freed with emf_metrics_server__destroy(), or NULL with errno set:
 * EINVAL for a bad @listen, EADDRINUSE, EOPNOTSUPP when the SDK was built
 * without libmicrohttpd; a message says which.
 */
struct emf_metrics_server *emf_metrics_server__new(struct emf_metrics *m, const char *listen,
						   const struct emf_metrics_server_opts *opts);

/* emf_metrics_server__port - the TCP port it listens on */
int emf_metrics_server__port(const struct emf_metrics_server *srv);

/*
 * emf_metrics_server__destroy - stop serving and free the server
 *
 * NULL-safe. Waits for scrapes being answered to end.
 */
void emf_metrics_server__destroy(struct emf_metrics_server *srv);

/* emf_metrics_server__supported - whether this SDK was built with the server */
bool emf_metrics_server__supported(void);

#ifdef __cplusplus
}
#endif

#endif /* __EMF_METRICS_H */
