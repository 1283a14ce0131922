// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * An event as one JSON line, the framing emf-agent --json, the agent emf-new
 * writes and any host share: plugin, event type and time first, then the
 * fields of the type's generated renderer.
 */
#include <string.h>

#include <emf/event.h>
#include <emf/fmt.h>
#include <emf/runtime.h>

/* Plugin and type names are C identifiers: nothing to escape. */
static char *put(char *p, const char *s, size_t n)
{
	memcpy(p, s, n);
	return p + n;
}

size_t emf_event__json_max(const struct emf_event *ev)
{
	return strlen(emf_plugin__name(ev->plugin)) + strlen(ev->type->name) +
	       ev->type->json_max + EMF_FMT_TIME_MAX + 40;
}

char *emf_event__json_line(char *p, const struct emf_event *ev)
{
	const char *name = emf_plugin__name(ev->plugin);
	char *fields;

	p = put(p, "{\"plugin\":\"", 11);
	p = put(p, name, strlen(name));
	p = put(p, "\",\"event\":\"", 11);
	p = put(p, ev->type->name, strlen(ev->type->name));
	p = put(p, "\",\"time\":\"", 10);
	p = emf_fmt_time(p, ev->time_ns);
	*p++ = '"';
	fields = p + 1;
	*p = ',';
	p = ev->type->render_json(fields, ev->data, ev->size);
	/* A type without fields leaves no member after the time. */
	if (p == fields)
		p--;
	*p++ = '}';
	return p;
}
