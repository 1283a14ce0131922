// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * emf-agent: what its command line sets on the runtime's plugins before they
 * start (--arg, --filter, --fields, --ring-size, --map-size, --attach-to,
 * --prio). Each bad value is a usage error with one message naming the
 * option, the plugin and what to do.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <emf/errno.h>
#include <emf/filter.h>
#include <emf/runtime.h>

#include "agent.h"

/* The SDK's limit on an event buffer (reader.c). */
#define EMF_RING_SIZE_MAX (1ULL << 31)

/* "PLUGIN[:MAP]=BYTES" of --ring-size, BYTES with an optional k, m or g suffix. */
int agent_apply_ring_sizes(struct agent *a, struct emf_runtime *rt)
{
	int k;

	for (k = 0; k < a->n_ring_sizes; k++) {
		char *spec = a->ring_sizes[k], *eq = strrchr(spec, '='), *colon, *end;
		unsigned long long bytes;
		struct emf_plugin *p;
		int err, shift;

		if (!eq || eq == spec || !eq[1]) {
			fprintf(stderr,
				"emf-agent: invalid --ring-size '%s': expected PLUGIN[:MAP]=BYTES\n",
				spec);
			return -EINVAL;
		}
		errno = 0;
		bytes = strtoull(eq + 1, &end, 0);
		shift = *end == 'k' || *end == 'K' ? 10 :
			*end == 'm' || *end == 'M' ? 20 :
			*end == 'g' || *end == 'G' ? 30 :
						     0;
		if (shift)
			end++;
		/* Anything past 2 GiB is refused: check before shifting, so nothing wraps. */
		if (errno || *end || eq[1] == '-' || end == eq + 1 ||
		    bytes > (EMF_RING_SIZE_MAX >> shift)) {
			fprintf(stderr,
				"emf-agent: invalid --ring-size '%s': BYTES must be a number up to 2 GiB, with an optional k, m or g suffix\n",
				spec);
			return -EINVAL;
		}
		bytes <<= shift;
		*eq = '\0';
		colon = strchr(spec, ':');
		if (colon)
			*colon = '\0';
		p = emf_runtime__find(rt, spec);
		if (!p) {
			fprintf(stderr,
				"emf-agent: --ring-size: no plugin named '%s' is running; 'emf-agent --list' shows them\n",
				spec);
			err = -ENOENT;
		} else {
			/* The SDK's message says what is wrong with the size or the map. */
			err = emf_plugin__set_ring_size(p, colon ? colon + 1 : NULL, bytes);
		}
		if (colon)
			*colon = ':';
		*eq = '=';
		if (err)
			return err;
	}
	return 0;
}

/* "PLUGIN.MAP=ENTRIES" of --map-size: what the tool's user space set with bpf_map__set_max_entries(). */
int agent_apply_map_sizes(struct agent *a, struct emf_runtime *rt)
{
	int k;

	for (k = 0; k < a->n_map_sizes; k++) {
		char *spec = a->map_sizes[k], *eq = strrchr(spec, '='), *dot, *end;
		unsigned long long n;
		struct emf_plugin *p;
		int err;

		dot = eq ? memchr(spec, '.', eq - spec) : NULL;
		errno = 0;
		n = eq ? strtoull(eq + 1, &end, 0) : 0;
		if (!eq || !dot || dot == spec || dot + 1 == eq || errno || *end || end == eq + 1 ||
		    eq[1] == '-' || !n || n > UINT32_MAX) {
			fprintf(stderr,
				"emf-agent: invalid --map-size '%s': expected PLUGIN.MAP=ENTRIES, ENTRIES from 1 to %u\n",
				spec, UINT32_MAX);
			return -EINVAL;
		}
		*dot = *eq = '\0';
		p = emf_runtime__find(rt, spec);
		if (!p)
			fprintf(stderr,
				"emf-agent: --map-size: no plugin named '%s' is running; 'emf-agent --list' shows them\n",
				spec);
		/* The SDK's message says what is wrong; a missing map fails the start, naming it. */
		err = p ? emf_plugin__set_map_size(p, dot + 1, (uint32_t)n) : -ENOENT;
		*dot = '.';
		*eq = '=';
		if (err)
			return err;
	}
	return 0;
}

/* "PLUGIN.PROG=TARGET" of --attach-to: what the tool's user space set with bpf_program__set_attach_target(). */
int agent_apply_attach_to(struct agent *a, struct emf_runtime *rt)
{
	int k;

	for (k = 0; k < a->n_attach_to; k++) {
		char *spec = a->attach_to[k], *eq = strchr(spec, '='), *dot;
		struct emf_plugin *p;
		int err;

		dot = eq ? memchr(spec, '.', eq - spec) : NULL;
		if (!dot || dot == spec || dot + 1 == eq || !eq[1]) {
			fprintf(stderr,
				"emf-agent: invalid --attach-to '%s': expected PLUGIN.PROGRAM=TARGET\n",
				spec);
			return -EINVAL;
		}
		*dot = *eq = '\0';
		p = emf_runtime__find(rt, spec);
		if (!p)
			fprintf(stderr,
				"emf-agent: --attach-to: no plugin named '%s' is running; 'emf-agent --list' shows them\n",
				spec);
		/* The SDK's message says what is wrong; a missing program or target fails the start. */
		err = p ? emf_plugin__set_attach_target(p, dot + 1, eq + 1) : -ENOENT;
		*dot = '.';
		*eq = '=';
		if (err)
			return err;
	}
	return 0;
}

/* Apply every --arg; a bad one is a usage error that names the plugin and option. */
int agent_apply_args(struct agent *a, struct emf_runtime *rt)
{
	int k;

	for (k = 0; k < a->n_args; k++) {
		char *arg = a->args[k], *dot = strchr(arg, '.'), *eq = strchr(arg, '=');
		struct emf_plugin *p;
		int err;

		if (!dot || !eq || dot > eq || dot == arg || eq == dot + 1) {
			fprintf(stderr,
				"emf-agent: invalid --arg '%s': expected PLUGIN.OPTION=VALUE\n",
				arg);
			return -EINVAL;
		}
		*dot = *eq = '\0';
		p = emf_runtime__find(rt, arg);
		if (!p) {
			fprintf(stderr,
				"emf-agent: --arg %s.%s: no plugin named '%s' is running; 'emf-agent --list' shows them\n",
				arg, dot + 1, arg);
			return -ENOENT;
		}
		/* The SDK's message says what is wrong with the value. */
		err = emf_plugin__set_option(p, dot + 1, eq + 1);
		if (err == -ENOENT)
			fprintf(stderr, "emf-agent: 'emf-agent --list' shows the options of '%s'\n",
				arg);
		*dot = '.';
		*eq = '=';
		if (err)
			return err;
	}
	return 0;
}

/* The plugin a --filter names ("PLUGIN: EXPR"), or the one plugin asked for. */
static const char *filter_plugin(const struct agent *a, const char *f, const char **expr,
				 char *name, size_t size)
{
	size_t n = strspn(f, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.");

	if (n && f[n] == ':' && n < size) {
		memcpy(name, f, n);
		name[n] = '\0';
		*expr = f + n + 1 + strspn(f + n + 1, " \t");
		return name;
	}
	*expr = f;
	return a->n_only == 1 ? a->only[0] : NULL;
}

/* Whether --filter @k is for @plugin (NULL: says no plugin). */
static bool filter_for(const struct agent *a, int k, const char *plugin, const char **expr)
{
	const char *pk;
	char name[64];

	pk = filter_plugin(a, a->filters[k], expr, name, sizeof(name));
	return pk && plugin && !strcmp(pk, plugin);
}

/* Set @p's filter to every --filter for it, from @k on, joined by &&; @err says why not. */
static int join_filters(struct agent *a, int k, struct emf_plugin *p, const char *plugin, char *err,
			size_t err_size)
{
	const char *expr;
	char *all = NULL;
	size_t len = 0;
	FILE *m;
	int ret;

	err[0] = '\0';
	m = open_memstream(&all, &len);
	if (!m)
		return -ENOMEM;
	for (; k < a->n_filters; k++)
		if (filter_for(a, k, plugin, &expr))
			fprintf(m, "%s(%s)", ftell(m) ? " && " : "", expr);
	fclose(m);
	ret = emf_plugin__set_filter(p, all, err, err_size);
	free(all);
	if (ret && !err[0])
		snprintf(err, err_size, "%s", emf_strerror(ret));
	return ret;
}

/*
 * Apply every --filter; the filters of one plugin all apply (joined by &&).
 * A bad one is a usage error saying what is wrong, for which plugin: each is
 * checked as given first, so that the message quotes it as written.
 * @again: after a rescan, for the plugins it (re)loaded, whose new code may
 * have other fields: one gone is no error, one the filter no longer fits is
 * a warning and runs unfiltered.
 */
int agent_apply_filters(struct agent *a, struct emf_runtime *rt, bool again)
{
	char name[64], err[768];
	const char *plugin, *expr;
	struct emf_plugin *p;
	int k, j, ret;

	for (k = 0; k < a->n_filters && !again; k++) {
		plugin = filter_plugin(a, a->filters[k], &expr, name, sizeof(name));
		if (!plugin) {
			fprintf(stderr,
				"emf-agent: --filter '%s': name the plugin it is for, as 'PLUGIN: %s'\n",
				a->filters[k], a->filters[k]);
			return -EINVAL;
		}
		p = emf_runtime__find(rt, plugin);
		if (!p) {
			fprintf(stderr,
				"emf-agent: --filter '%s': no plugin named '%s' is running; 'emf-agent --list' shows them\n",
				a->filters[k], plugin);
			return -ENOENT;
		}
		ret = emf_plugin__set_filter(p, expr, err, sizeof(err));
		if (ret) {
			fprintf(stderr, "emf-agent: --filter: %s\n",
				err[0] ? err : emf_strerror(ret));
			return ret;
		}
	}
	/* Then once per plugin, at its first --filter, all of them. */
	for (k = 0; k < a->n_filters; k++) {
		plugin = filter_plugin(a, a->filters[k], &expr, name, sizeof(name));
		for (j = 0; j < k && !filter_for(a, j, plugin, &expr); j++)
			;
		p = j < k || !plugin ? NULL : emf_runtime__find(rt, plugin);
		if (!p)
			continue;
		ret = join_filters(a, k, p, plugin, err, sizeof(err));
		if (ret && !again) {
			fprintf(stderr, "emf-agent: --filter: %s\n", err);
			return ret;
		}
		if (ret)
			fprintf(stderr,
				"emf-agent: warning: plugin '%s' was reloaded and its --filter no longer fits: %s; its events now go unfiltered\n",
				plugin, err);
		else if (err[0])
			fprintf(stderr, "emf-agent: note: %s\n", err);
	}
	return 0;
}

/*
 * Compile every --fields list, one per plugin; a bad one is a usage error.
 * @again: after a rescan, for the plugins it (re)loaded; one gone is no error.
 */
int agent_apply_fields(struct agent *a, struct emf_runtime *rt, bool again)
{
	char name[64], nj[64];
	int k, j, ret;

	for (k = 0; k < a->n_field_lists; k++) {
		const char *plugin, *list, *lj;
		struct emf_plugin *p;

		plugin = filter_plugin(a, a->field_lists[k], &list, name, sizeof(name));
		if (!plugin) {
			fprintf(stderr,
				"emf-agent: --fields '%s': name the plugin it is for, as 'PLUGIN: %s'\n",
				a->field_lists[k], a->field_lists[k]);
			return -EINVAL;
		}
		for (j = 0; j < k; j++) {
			const char *pj = filter_plugin(a, a->field_lists[j], &lj, nj, sizeof(nj));

			if (pj && !strcmp(pj, plugin)) {
				fprintf(stderr,
					"emf-agent: --fields: plugin '%s' is given two field lists ('%s' and '%s'); give one\n",
					plugin, lj, list);
				return -EINVAL;
			}
		}
		p = emf_runtime__find(rt, plugin);
		if (!p && again)
			continue;
		if (!p) {
			fprintf(stderr,
				"emf-agent: --fields '%s': no plugin named '%s' is running; 'emf-agent --list' shows them\n",
				a->field_lists[k], plugin);
			return -ENOENT;
		}
		ret = agent_fields_add(&a->fields, p, list);
		if (ret && !again)
			return ret;
	}
	return 0;
}

/* --prio NAME=N */
int agent_apply_prios(struct agent *a, struct emf_runtime *rt)
{
	int k;

	for (k = 0; k < a->n_prios; k++) {
		char *eq = strchr(a->prios[k], '='), *end;
		struct emf_plugin *p;
		long prio;

		errno = 0;
		prio = eq ? strtol(eq + 1, &end, 0) : 0;
		if (!eq || eq == a->prios[k] || errno || *end || !eq[1] || prio < -1000000 ||
		    prio > 1000000) {
			fprintf(stderr,
				"emf-agent: invalid --prio '%s': expected NAME=N with N an integer\n",
				a->prios[k]);
			return -EINVAL;
		}
		*eq = '\0';
		p = emf_runtime__find(rt, a->prios[k]);
		*eq = '=';
		if (!p) {
			fprintf(stderr,
				"emf-agent: --prio '%s': no such plugin; 'emf-agent --list' shows them\n",
				a->prios[k]);
			return -ENOENT;
		}
		emf_plugin__set_priority(p, (int)prio);
	}
	return 0;
}
