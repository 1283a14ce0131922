// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * emf-agent --fields: a field list compiled once for each event type of a
 * plugin (emf_fields__new()), so that rendering an event only looks its type
 * up among a few pointers.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <emf/event.h>
#include <emf/plugin.h>
#include <emf/runtime.h>

#include "agent.h"

/* Does @type have the field (or path) @name? */
static bool has_field(const struct emf_event_type *type, const char *name, char *err,
		      size_t err_size)
{
	struct emf_fields *fs;

	if (emf_fields__new(type, name, &fs, err, err_size))
		return false;
	emf_fields__free(fs);
	return true;
}

/* Split @list at its commas into @names, each trimmed; returns how many. */
static int split(char *list, char **names)
{
	char *s = list, *end;
	int n = 0;

	for (;;) {
		char *comma = strchr(s, ',');

		if (comma)
			*comma = '\0';
		while (*s == ' ' || *s == '\t')
			s++;
		end = s + strlen(s);
		while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
			*--end = '\0';
		names[n++] = s;
		if (!comma)
			return n;
		s = comma + 1;
	}
}

static int add_sel(struct agent_fields *af, const struct emf_plugin *p,
		   const struct emf_event_type *t, const char *list)
{
	struct agent_sel *sels;
	struct emf_fields *fs;
	char err[768];
	int ret;

	ret = emf_fields__new(t, list, &fs, err, sizeof(err));
	if (ret == -EINVAL)
		fprintf(stderr, "emf-agent: --fields: plugin '%s': %s\n", emf_plugin__name(p), err);
	if (ret)
		return ret;
	sels = realloc(af->sels, (af->n + 1) * sizeof(*sels));
	if (!sels) {
		emf_fields__free(fs);
		return -ENOMEM;
	}
	af->sels = sels;
	af->sels[af->n].type = t;
	af->sels[af->n++].fields = fs;
	return 0;
}

/* A field of the list that no event type of @p has: say what each has. */
static void no_type_has(const struct emf_plugin *p, const char *name)
{
	const struct emf_plugin_desc *d = emf_plugin__desc(p);
	uint32_t t, k;

	fprintf(stderr, "emf-agent: --fields: plugin '%s': no event type has a field '%s' (",
		emf_plugin__name(p), name);
	for (t = 0; t < d->n_events; t++) {
		const struct emf_event_type *et = d->events[t];

		fprintf(stderr, "%s'%s' has ", t ? "; " : "", et->name);
		for (k = 0; k < et->n_fields; k++)
			fprintf(stderr, "%s%s", k ? ", " : "", et->fields[k].name);
	}
	fprintf(stderr, ")\n");
}

int agent_fields_add(struct agent_fields *af, const struct emf_plugin *p, const char *list)
{
	const struct emf_plugin_desc *d = emf_plugin__desc(p);
	size_t size = strlen(list) + 1;
	char *copy = strdup(list), *mine = malloc(size), **names = calloc(size, sizeof(*names));
	bool *used = calloc(size, sizeof(*used));
	int n, i, ret = 0;
	uint32_t t;

	if (!copy || !mine || !names || !used) {
		ret = -ENOMEM;
		goto out;
	}
	if (!d->n_events) {
		fprintf(stderr, "emf-agent: --fields: plugin '%s' sends no events\n",
			emf_plugin__name(p));
		ret = -EINVAL;
		goto out;
	}
	/* One type: the SDK's message says what is wrong, whatever it is. */
	if (d->n_events == 1) {
		ret = add_sel(af, p, d->events[0], list);
		goto out;
	}
	n = split(copy, names);
	for (i = 0; i < n; i++) {
		if (!names[i][0]) {
			fprintf(stderr, "emf-agent: --fields: plugin '%s': fields '%s': an empty field name\n",
				emf_plugin__name(p), list);
			ret = -EINVAL;
			goto out;
		}
	}
	/* Each type renders what it has of the list, in its order; one with none stays whole. */
	for (t = 0; t < d->n_events && !ret; t++) {
		size_t len = 0;
		char err[768];

		for (i = 0; i < n; i++) {
			if (!has_field(d->events[t], names[i], err, sizeof(err)))
				continue;
			used[i] = true;
			len += sprintf(mine + len, "%s%s", len ? "," : "", names[i]);
		}
		if (len)
			ret = add_sel(af, p, d->events[t], mine);
	}
	for (i = 0; i < n && !ret; i++) {
		if (!used[i]) {
			no_type_has(p, names[i]);
			ret = -EINVAL;
		}
	}
out:
	free(copy);
	free(mine);
	free(names);
	free(used);
	return ret;
}

void agent_fields_free(struct agent_fields *af)
{
	size_t i;

	for (i = 0; i < af->n; i++)
		emf_fields__free(af->sels[i].fields);
	free(af->sels);
	af->sels = NULL;
	af->n = 0;
}
