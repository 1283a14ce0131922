// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * execcount's C side: user hooks of the plugin (see struct emf_plugin_hooks).
 * On attach it subscribes to "execsnoop.event" and counts execs per command
 * name, reading the comm field through the event's field table, so it needs
 * no header of execsnoop's; it offers the service "execcount" with methods
 * by_comm, by_uid (read from the BPF map) and reset. On detach it withdraws
 * both. The bus signals pause and resume stop and restart the counting.
 * Everything runs on the host's loop (emf_runtime__poll()), so the
 * counts need no lock. The counts belong to the plugin instance
 * (emf_plugin__set_priv()): two runtimes count apart.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <emf/bus.h>
#include <emf/runtime.h>

#include "execcount.emf.h"

#define MAX_COMMS 512

struct execcount_state {
	char comm[MAX_COMMS][16];
	unsigned long long execs[MAX_COMMS];
	int n;
	unsigned long long other; /* execs of commands past MAX_COMMS */
	struct emf_bus_sub *sub;
	struct emf_bus_svc *svc;
	bool paused; /* by the bus signal "pause", until "resume" */
};

static void on_exec(void *ctx, struct emf_bus_sub *sub, struct emf_msg *msg)
{
	struct execcount_state *st = ctx;
	const struct emf_event_type *t = emf_msg__type(msg);
	const struct emf_field *f = t ? emf_event_type__field(t, "comm") : NULL;
	const char *comm;
	int i;

	if (st->paused || !f || f->kind != EMF_FIELD_STRING ||
	    f->offset + f->size > emf_msg__size(msg))
		return;
	comm = (const char *)emf_msg__data(msg) + f->offset;
	for (i = 0; i < st->n; i++) {
		if (!strncmp(st->comm[i], comm, sizeof(st->comm[i]))) {
			st->execs[i]++;
			return;
		}
	}
	if (st->n == MAX_COMMS) {
		st->other++;
		return;
	}
	snprintf(st->comm[st->n], sizeof(st->comm[st->n]), "%.*s", (int)f->size, comm);
	st->execs[st->n++] = 1;
}

static int by_comm(void *ctx, struct emf_bus_req *req, json_t *args)
{
	const struct execcount_state *st = emf_plugin__priv(ctx);
	json_t *o = json_object();
	int i;

	for (i = 0; o && i < st->n; i++)
		json_object_set_new(o, st->comm[i], json_integer((json_int_t)st->execs[i]));
	if (o && st->other)
		json_object_set_new(o, "(other)", json_integer((json_int_t)st->other));
	return o ? emf_bus_req__reply(req, o) : -ENOMEM;
}

static int by_uid(void *ctx, struct emf_bus_req *req, json_t *args)
{
	struct bpf_map *map = bpf_object__find_map_by_name(emf_plugin__object(ctx), "by_uid");
	json_t *o = json_object();
	__u32 key, next, *prev = NULL;
	struct execcount__exec_stat v; /* the generated mirror of struct exec_stat */
	char name[16];
	int fd;

	if (!map || !o) {
		json_decref(o);
		return map ? -ENOMEM : -ENOENT;
	}
	fd = bpf_map__fd(map);
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		if (!bpf_map_lookup_elem(fd, &next, &v)) {
			snprintf(name, sizeof(name), "%u", next);
			json_object_set_new(o, name, json_integer((json_int_t)v.execs));
		}
		key = next;
		prev = &key;
	}
	return emf_bus_req__reply(req, o);
}

static int reset(void *ctx, struct emf_bus_req *req, json_t *args)
{
	struct execcount_state *st = emf_plugin__priv(ctx);

	st->n = 0;
	st->other = 0;
	return emf_bus_req__reply(req, json_object());
}

static int execcount_attach(struct emf_plugin *plugin)
{
	static const struct emf_bus_method methods[] = {
		{ "by_comm", by_comm },
		{ "by_uid", by_uid },
		{ "reset", reset },
	};
	struct emf_bus *bus = emf_runtime__bus(emf_plugin__runtime(plugin));
	struct execcount_state *st;
	int err;

	if (!bus)
		return -errno;
	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	emf_plugin__set_priv(plugin, st);
	st->sub = emf_bus__subscribe(bus, "execsnoop.event", on_exec, st, NULL);
	if (!st->sub) {
		err = -errno;
		goto err;
	}
	st->svc = emf_bus__add_service(bus, "execcount", methods, 3, plugin, NULL);
	if (!st->svc) {
		err = -errno;
		emf_bus__unsubscribe(bus, st->sub);
		goto err;
	}
	return 0;
err:
	emf_plugin__set_priv(plugin, NULL);
	free(st);
	return err;
}

static void execcount_detach(struct emf_plugin *plugin)
{
	struct emf_bus *bus = emf_runtime__bus(emf_plugin__runtime(plugin));
	struct execcount_state *st = emf_plugin__priv(plugin);

	emf_bus__remove_service(bus, st->svc);
	emf_bus__unsubscribe(bus, st->sub);
	emf_plugin__set_priv(plugin, NULL);
	free(st);
}

static void execcount_signal(struct emf_plugin *plugin, int signo, const char *name)
{
	struct execcount_state *st = emf_plugin__priv(plugin);

	if (!st)
		return;
	if (signo == EMF_BUS_SIG_PAUSE)
		st->paused = true;
	else if (signo == EMF_BUS_SIG_RESUME)
		st->paused = false;
}

const struct emf_plugin_hooks execcount__hooks = {
	.attach = execcount_attach,
	.signal = execcount_signal,
	.detach = execcount_detach,
};
