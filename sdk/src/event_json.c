// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * An event as one JSON line, the framing emf-agent --json, the agent emf-new
 * writes and any host share: plugin, event type and time first, then the
 * fields of the type's generated renderer, or of a field selection.
 */
#include <string.h>

#include <emf/event.h>
#include <emf/fmt.h>
#include <emf/runtime.h>

#include "runtime_internal.h"

/* Plugin and type names are C identifiers: nothing to escape. */
static char *put(char *p, const char *s, size_t n)
{
	memcpy(p, s, n);
	return p + n;
}

size_t emf_event__json_max_fields(const struct emf_event *ev, const struct emf_fields *fields)
{
	return strlen(emf_plugin__name(ev->plugin)) + strlen(ev->type->name) +
	       (fields ? emf_fields__json_max(fields) : ev->type->json_max) + EMF_FMT_TIME_MAX + 40;
}

size_t emf_event__json_max(const struct emf_event *ev)
{
	return emf_event__json_max_fields(ev, NULL);
}

char *emf_event__json_line_fields(char *p, const struct emf_event *ev,
				  const struct emf_fields *fields)
{
	const char *name = emf_plugin__name(ev->plugin), *json = NULL;
	size_t json_len = 0;
	char *start;

	p = put(p, "{\"plugin\":\"", 11);
	p = put(p, name, strlen(name));
	p = put(p, "\",\"event\":\"", 11);
	p = put(p, ev->type->name, strlen(ev->type->name));
	p = put(p, "\",\"time\":\"", 10);
	p = emf_fmt_time(p, ev->time_ns);
	*p++ = '"';
	start = p + 1;
	*p = ',';
	/* The fields a listener of the control socket rendered for this event already. */
	if (!fields && ev->plugin)
		json = emf__runtime_event_json(ev->plugin->rt, ev->data, &json_len);
	if (json)
		p = (char *)memcpy(start, json, json_len) + json_len;
	else
		p = fields ? emf_fields__json(fields, start, ev->data, ev->size) :
			     ev->type->render_json(start, ev->data, ev->size);
	/* A type (or selection) without fields leaves no member after the time. */
	if (p == start)
		p--;
	*p++ = '}';
	return p;
}

char *emf_event__json_line(char *p, const struct emf_event *ev)
{
	return emf_event__json_line_fields(p, ev, NULL);
}
