// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The built-in services of the control socket, on the runtime's bus, so that
 * any bus client (in the process, or through the socket) can list, hot plug,
 * signal and count:
 *   emf.plugins  list, load {path}, unload/reload/start/stop {name},
 *                signal {name[, to]}
 *   emf.bus      list (services and their methods, topics)
 *   emf.stats    get
 *   emf.maps     get, set, dump (ctl_maps.c)
 * They run on the host thread (EMF_BUS_DELIVER_HOST), where the runtime is
 * used. A failed hot plug keeps the SDK's own warning (which file, which
 * step, why) so the caller gets it, not only an errno.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include <emf/errno.h>
#include <emf/log.h>
#include <emf/runtime.h>
#include <emf/slots.h>

#include "ctl_internal.h"
#include "log_internal.h"

struct emf_ctl_services {
	struct emf_ctl_server *srv;
	struct emf_runtime *rt;
	struct emf_bus *bus;
	struct emf_bus_svc *plugins, *businfo, *stats;
	struct maps_ctx *maps;
	struct emf_ctl_err err; /* the last failed call, and what went wrong */
	emf__ctl_stats_fn server_stats;
};

/* --- errors ------------------------------------------------------------- */

static __thread struct emf_buf *capture;
static emf_print_fn_t capture_prev;

static __attribute__((format(printf, 2, 0))) int
capture_print(enum emf_print_level level, const char *fmt, va_list args)
{
	if (capture && level == EMF_WARN) {
		va_list copy;
		char *p = emf_buf__reserve(capture, 512);

		if (p) {
			int n, len;

			va_copy(copy, args);
			n = vsnprintf(p, 512, fmt, copy);
			va_end(copy);
			len = n < 512 ? n : 511;
			/* The caller's message has its own prefix. */
			if (len >= 5 && !strncmp(p, "emf: ", 5)) {
				memmove(p, p + 5, len - 5 + 1);
				len -= 5;
			}
			if (len > 0)
				emf_buf__commit(capture, p + len);
		}
	}
	return capture_prev ? capture_prev(level, fmt, args) : 0;
}

/* Keep the SDK's warnings of one operation, still printed as usual. */
static void capture_start(struct emf_buf *b)
{
	capture = b;
	capture_prev = emf_set_print(capture_print);
}

static void capture_stop(void)
{
	emf_set_print(capture_prev);
	capture = NULL;
}

#define fail(svcs, rq, e, ...) emf__ctl_fail(&(svcs)->err, rq, e, __VA_ARGS__)

char *emf__ctl_services_take_error(struct emf_ctl_services *s, const char *method)
{
	return emf__ctl_err_take(&s->err, method);
}

static const char *arg_str(json_t *args, const char *key)
{
	return json_string_value(json_object_get(args, key));
}

/* --- emf.plugins -------------------------------------------------------- */

static json_t *plugin_json(struct emf_plugin *p)
{
	const struct emf_plugin_desc *d = emf_plugin__desc(p);
	json_t *o = json_pack("{s:s,s:s,s:i,s:s}", "name", d->name, "state",
			      emf_plugin_state_str(emf_plugin__state(p)), "priority",
			      emf_plugin__priority(p), "description", emf_plugin__description(p));
	json_t *outs = json_array();
	uint32_t j;

	if (!o || !outs)
		goto err;
	if (emf_plugin__path(p) && json_object_set_new(o, "path", json_string(emf_plugin__path(p))))
		goto err;
	for (j = 0; j < d->n_outputs; j++) {
		const struct emf_output *out = &d->outputs[j];
		char topic[EMF_BUS_NAME_MAX + 1];

		snprintf(topic, sizeof(topic), "%s.%s", d->name, out->event->name);
		if (json_array_append_new(outs, json_pack("{s:s,s:s,s:s,s:s}", "map", out->map_name,
							  "kind",
							  out->kind == EMF_OUTPUT_RINGBUF ? "ringbuf"
											  : "perfbuf",
							  "event", out->event->name, "topic",
							  topic)))
			goto err;
	}
	if (json_object_set_new(o, "outputs", outs))
		goto err_o;
	return o;
err:
	json_decref(outs);
err_o:
	json_decref(o);
	return NULL;
}

static int plugins_list(void *ctx, struct emf_bus_req *req, json_t *args)
{
	struct emf_ctl_services *s = ctx;
	json_t *a = json_array();
	size_t i;

	(void)args;
	for (i = 0; a && i < emf_runtime__plugin_cnt(s->rt); i++) {
		if (json_array_append_new(a, plugin_json(emf_runtime__plugin(s->rt, i)))) {
			json_decref(a);
			a = NULL;
		}
	}
	if (!a)
		return -ENOMEM;
	return emf_bus_req__reply(req, a) == -EINVAL ? -EINVAL : 0;
}

static struct emf_plugin *find(struct emf_ctl_services *s, struct emf_bus_req *req, json_t *args,
			       int *err)
{
	const char *name = arg_str(args, "name");
	struct emf_plugin *p;

	if (!name) {
		*err = fail(s, req, -EINVAL, "give {\"name\":PLUGIN}");
		return NULL;
	}
	p = emf_runtime__find(s->rt, name);
	if (!p)
		*err = fail(s, req, -ENOENT, "no plugin named '%s'; 'emf-ctl list' shows them", name);
	return p;
}

/* Start @p; on failure take it out again when @remove, as the loader's rollback does. */
static int start(struct emf_ctl_services *s, struct emf_bus_req *req, struct emf_plugin *p,
		 bool remove)
{
	int err = emf_runtime__start_plugin(s->rt, p);

	if (!err)
		return 0;
	err = fail(s, req, err, "%s", emf_runtime__last_error(s->rt));
	if (remove)
		emf_runtime__remove(s->rt, p);
	return err;
}

/*
 * Stop @p, and deliver what the bus holds of it: its messages point into
 * its code (the event type), which a dynamic plugin's removal unmaps.
 */
static void stop(struct emf_ctl_services *s, struct emf_plugin *p)
{
	emf_runtime__stop_plugin(s->rt, p);
	emf_bus__dispatch(s->bus, 0);
}

static int reply_plugin(struct emf_bus_req *req, struct emf_plugin *p)
{
	json_t *o = plugin_json(p);

	if (!o)
		return -ENOMEM;
	emf_bus_req__reply(req, o);
	return 0;
}

/* Add and start the plugin of @path, the loader's checks and rollback included. */
static int load_start(struct emf_ctl_services *s, struct emf_bus_req *req, const char *path,
		      const char *what)
{
	struct emf_buf msgs = {};
	struct emf_plugin *p;
	int err;

	capture_start(&msgs);
	p = emf_runtime__add_file(s->rt, path);
	err = p ? 0 : -errno;
	capture_stop();
	if (!p)
		err = fail(s, req, err, "%s%s", what, msgs.len ? msgs.data : emf_strerror(err));
	emf_buf__free(&msgs);
	if (!p)
		return err;
	err = start(s, req, p, true);
	return err ?: reply_plugin(req, p);
}

static int plugins_load(void *ctx, struct emf_bus_req *req, json_t *args)
{
	struct emf_ctl_services *s = ctx;
	const char *path = arg_str(args, "path");

	if (!path || path[0] != '/')
		return fail(s, req, -EINVAL, "give {\"path\":\"/absolute/FILE.so\"}");
	return load_start(s, req, path, "");
}

static int plugins_unload(void *ctx, struct emf_bus_req *req, json_t *args)
{
	struct emf_ctl_services *s = ctx;
	struct emf_plugin *p;
	json_t *o;
	int err = 0;

	p = find(s, req, args, &err);
	if (!p)
		return err;
	stop(s, p);
	o = plugin_json(p);
	if (o)
		json_object_set_new(o, "state", json_string("unloaded"));
	err = emf_runtime__remove(s->rt, p);
	if (err) {
		json_decref(o);
		return fail(s, req, err, "failed to remove plugin: %s", emf_strerror(err));
	}
	emf_bus_req__reply(req, o);
	return 0;
}

static int plugins_reload(void *ctx, struct emf_bus_req *req, json_t *args)
{
	struct emf_ctl_services *s = ctx;
	struct emf_plugin *p;
	char *path;
	int err = 0;

	p = find(s, req, args, &err);
	if (!p)
		return err;
	if (!emf_plugin__path(p)) {
		/* A static plugin: its code stays; start it again. */
		stop(s, p);
		err = start(s, req, p, false);
		return err ?: reply_plugin(req, p);
	}
	path = strdup(emf_plugin__path(p));
	if (!path)
		return -ENOMEM;
	stop(s, p);
	err = emf_runtime__remove(s->rt, p);
	if (err) {
		free(path);
		return fail(s, req, err, "failed to remove plugin: %s", emf_strerror(err));
	}
	err = load_start(s, req, path, "reload: plugin stopped and removed, not loaded again: ");
	free(path);
	return err;
}

static int plugins_start(void *ctx, struct emf_bus_req *req, json_t *args)
{
	struct emf_ctl_services *s = ctx;
	struct emf_plugin *p;
	int err = 0;

	p = find(s, req, args, &err);
	if (!p)
		return err;
	if (emf_plugin__state(p) == EMF_PLUGIN_ATTACHED)
		return fail(s, req, -EMF_ERRNO__STATE, "plugin '%s' is running already",
			    emf_plugin__name(p));
	err = start(s, req, p, false);
	return err ?: reply_plugin(req, p);
}

static int plugins_stop(void *ctx, struct emf_bus_req *req, json_t *args)
{
	struct emf_ctl_services *s = ctx;
	struct emf_plugin *p;
	int err = 0;

	p = find(s, req, args, &err);
	if (!p)
		return err;
	stop(s, p);
	return reply_plugin(req, p);
}

static int plugins_signal(void *ctx, struct emf_bus_req *req, json_t *args)
{
	static const char *const builtin[] = { NULL, "pause", "resume", "reload" };
	struct emf_ctl_services *s = ctx;
	const char *name = arg_str(args, "name"), *to = arg_str(args, "to");
	int signo = EMF_BUS_SIG_USER, n, i;

	if (!name)
		return fail(s, req, -EINVAL, "give {\"name\":SIGNAL[,\"to\":PLUGIN]}");
	for (i = 1; i < 4; i++)
		if (!strcmp(name, builtin[i]))
			signo = i;
	if (json_is_integer(json_object_get(args, "signo")))
		signo = (int)json_integer_value(json_object_get(args, "signo"));
	if (to) {
		struct emf_plugin *p = emf_runtime__find(s->rt, to);

		if (!p)
			return fail(s, req, -ENOENT, "no plugin named '%s'; 'emf-ctl list' shows them",
				    to);
		n = emf_plugin__signal(p, signo, name);
		if (n == -EOPNOTSUPP)
			return fail(s, req, n, "plugin '%s' has no signal hook", to);
		if (n)
			return fail(s, req, n, "plugin '%s' is not running", to);
		n = 1;
	} else {
		n = emf_bus__signal(s->bus, signo, name);
		if (n < 0)
			return fail(s, req, n, "bad signal '%s' (number %d): %s", name, signo,
				    emf_strerror(n));
	}
	emf_bus_req__reply(req, json_pack("{s:s,s:i,s:i}", "signal", name, "signo", signo,
					  "handlers", n));
	return 0;
}

/* --- emf.bus ------------------------------------------------------------ */

static int bus_list(void *ctx, struct emf_bus_req *req, json_t *args)
{
	struct emf_ctl_services *s = ctx;
	json_t *svcs = emf_bus__services(s->bus), *topics = json_array(), *o;
	size_t i;
	uint32_t j;

	(void)args;
	for (i = 0; topics && i < emf_runtime__plugin_cnt(s->rt); i++) {
		const struct emf_plugin_desc *d = emf_plugin__desc(emf_runtime__plugin(s->rt, i));
		char t[EMF_BUS_NAME_MAX + 1];

		for (j = 0; j < d->n_outputs; j++) {
			uint32_t k;

			for (k = 0; k < j && d->outputs[k].event != d->outputs[j].event; k++)
				;
			if (k < j)
				continue;
			snprintf(t, sizeof(t), "%s.%s", d->name, d->outputs[j].event->name);
			json_array_append_new(topics, json_string(t));
		}
		for (j = 0; j < d->n_samples; j++) {
			snprintf(t, sizeof(t), "%s.%s", d->name, d->samples[j].map_name);
			json_array_append_new(topics, json_string(t));
		}
	}
	o = json_pack("{s:o?,s:o?}", "services", svcs, "topics", topics);
	if (!o)
		return -ENOMEM;
	emf_bus_req__reply(req, o);
	return 0;
}

/* --- emf.stats ---------------------------------------------------------- */

static int stats_get(void *ctx, struct emf_bus_req *req, json_t *args)
{
	struct emf_ctl_services *s = ctx;
	struct emf_ctl_server_stats cs = { .sz = sizeof(cs) };
	json_t *plugins = json_array(), *slots = json_array(), *o;
	struct emf_slot_info si;
	size_t i;
	uint32_t j;

	(void)args;
	for (i = 0; plugins && i < emf_runtime__plugin_cnt(s->rt); i++) {
		struct emf_plugin *p = emf_runtime__plugin(s->rt, i);
		const struct emf_plugin_desc *d = emf_plugin__desc(p);
		struct emf_plugin_stats st;
		json_t *outs = json_array();

		emf_plugin__stats(p, &st);
		for (j = 0; outs && j < d->n_outputs; j++) {
			struct emf_output_stats os;

			if (emf_plugin__output_stats(p, j, &os))
				continue;
			json_array_append_new(outs, json_pack("{s:s,s:I,s:I,s:I,s:I}", "map",
							      d->outputs[j].map_name, "events",
							      (json_int_t)os.events, "lost",
							      (json_int_t)os.lost, "decode_errors",
							      (json_int_t)os.decode_errors, "reads",
							      (json_int_t)os.batches));
		}
		json_array_append_new(plugins,
				      json_pack("{s:s,s:s,s:I,s:I,s:I,s:I,s:o?}", "name", d->name,
						"state", emf_plugin_state_str(emf_plugin__state(p)),
						"events", (json_int_t)st.events, "lost",
						(json_int_t)st.lost, "decode_errors",
						(json_int_t)st.decode_errors, "reads",
						(json_int_t)st.batches, "outputs", outs));
	}
	for (i = 0; slots && i < emf_runtime__slot_cnt(s->rt); i++) {
		if (emf_runtime__slot(s->rt, i, &si))
			continue;
		json_array_append_new(slots, json_pack("{s:s,s:s,s:i,s:s?,s:i,s:I}", "name", si.name,
						       "kind", si.kind, "index", (int)si.index,
						       "filled_by",
						       si.filler ? emf_plugin__name(si.filler) : NULL,
						       "prog_id", (int)si.prog_id, "missed",
						       (json_int_t)si.missed));
	}
	s->server_stats(s->srv, &cs);
	o = json_pack("{s:o?,s:o?,s:{s:I,s:I,s:I,s:I,s:I,s:I,s:I}}", "plugins", plugins, "slots",
		      slots, "control", "accepted", (json_int_t)cs.accepted, "refused",
		      (json_int_t)cs.refused, "clients", (json_int_t)cs.clients, "bad_frames",
		      (json_int_t)cs.bad_frames, "requests", (json_int_t)cs.requests, "msgs_sent",
		      (json_int_t)cs.msgs_sent, "msgs_lost", (json_int_t)cs.msgs_lost);
	if (!o)
		return -ENOMEM;
	emf_bus_req__reply(req, o);
	return 0;
}

#define ITER_WHAT "a SEC(\"iter/...\") program declared with EMF_ATTACH_ITER*()"

/* {"name":PLUGIN[,"program":ITER]}: run an iterator now; its records go out as events. */
static int plugins_iter(void *ctx, struct emf_bus_req *req, json_t *args)
{
	struct emf_ctl_services *s = ctx;
	const char *prog = arg_str(args, "program");
	struct emf_plugin *p;
	int err = 0, n;
	json_t *o;

	p = find(s, req, args, &err);
	if (!p)
		return err;
	n = emf_plugin__iter_run(p, prog);
	if (n == -ENOENT && prog)
		return fail(s, req, n, "plugin '%s' has no iterator '%s' (%s)",
			    emf_plugin__desc(p)->name, prog, ITER_WHAT);
	if (n == -ENOENT)
		return fail(s, req, n, "plugin '%s' has no iterator (%s)",
			    emf_plugin__desc(p)->name, ITER_WHAT);
	if (n == -EINVAL)
		return fail(
			s, req, n,
			"plugin '%s' has several iterators: give {\"name\":PLUGIN,\"program\":PROG}",
			emf_plugin__desc(p)->name);
	if (n < 0)
		return fail(s, req, n, "plugin '%s': failed to run its iterator: %s",
			    emf_plugin__desc(p)->name, emf_strerror(n));
	o = json_pack("{s:s,s:i}", "name", emf_plugin__desc(p)->name, "records", n);
	if (o && prog && json_object_set_new(o, "program", json_string(prog))) {
		json_decref(o);
		o = NULL;
	}
	if (!o)
		return -ENOMEM;
	emf_bus_req__reply(req, o);
	return 0;
}

/* --- setup -------------------------------------------------------------- */

static const struct emf_bus_method plugin_methods[] = {
	{ "list", plugins_list },     { "load", plugins_load },	  { "unload", plugins_unload },
	{ "reload", plugins_reload }, { "start", plugins_start }, { "stop", plugins_stop },
	{ "signal", plugins_signal }, { "iter", plugins_iter },
};
static const struct emf_bus_method bus_methods[] = { { "list", bus_list } };
static const struct emf_bus_method stats_methods[] = { { "get", stats_get } };

struct emf_ctl_services *emf__ctl_services_new(struct emf_ctl_server *srv, struct emf_runtime *rt,
					       struct emf_bus *bus, emf__ctl_stats_fn server_stats)
{
	struct emf_ctl_services *s = calloc(1, sizeof(*s));
	int err;

	if (!s)
		return emf_err_ptr(-ENOMEM);
	s->srv = srv;
	s->server_stats = server_stats;
	s->rt = rt;
	s->bus = bus;
	s->plugins = emf_bus__add_service(bus, "emf.plugins", plugin_methods,
					  sizeof(plugin_methods) / sizeof(plugin_methods[0]), s,
					  NULL);
	s->businfo = s->plugins ? emf_bus__add_service(bus, "emf.bus", bus_methods, 1, s, NULL)
				: NULL;
	s->stats = s->businfo ? emf_bus__add_service(bus, "emf.stats", stats_methods, 1, s, NULL)
			      : NULL;
	s->maps = s->stats ? emf__ctl_maps_new(&s->err, rt, bus) : NULL;
	if (!s->maps) {
		err = -errno;
		pr_warn("ctl: failed to add the built-in services: %s\n", emf_strerror(err));
		emf__ctl_services_free(s);
		return emf_err_ptr(err);
	}
	return s;
}

void emf__ctl_services_free(struct emf_ctl_services *s)
{
	if (!s)
		return;
	emf__ctl_maps_free(s->maps);
	emf_bus__remove_service(s->bus, s->stats);
	emf_bus__remove_service(s->bus, s->businfo);
	emf_bus__remove_service(s->bus, s->plugins);
	emf__ctl_err_free(&s->err);
	free(s);
}
