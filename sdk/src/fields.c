// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Field paths (a.b) resolved against an event type's field table, in one
 * place for everything that names fields: filters, and selections.
 */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <emf/event.h>

#include "fields_internal.h"

/* Does @f have named parts a path can go on into (a struct, a union, an endpoint's addr and port)? */
static bool has_parts(const struct emf_field *f)
{
	return (f->kind == EMF_FIELD_STRUCT || f->kind == EMF_FIELD_UNION ||
		f->kind == EMF_FIELD_ENDPOINT) &&
	       !f->count && f->type;
}

int emf__field_path(const struct emf_event_type *type, const char *s, size_t len,
		    struct emf__field_path *path, size_t *at, char *msg, size_t msg_size)
{
	const struct emf_event_type *t = type;
	const struct emf_field *f = NULL;
	size_t pos = 0, n;
	uint32_t i;

	path->depth = 0;
	path->base = 0;
	for (;;) {
		for (n = 0; pos + n < len && s[pos + n] != '.'; n++)
			;
		*at = pos;
		if (!n || (!isalpha((unsigned char)s[pos]) && s[pos] != '_')) {
			snprintf(msg, msg_size, "expected a field name");
			return -EINVAL;
		}
		if (!t) {
			snprintf(msg, msg_size, "'%s' is not a struct: it has no field '%.*s'",
				 f->name, (int)n, s + pos);
			return -EINVAL;
		}
		if (path->depth == EMF__PATH_MAX) {
			snprintf(msg, msg_size, "'%.*s' crosses more than %d structs", (int)len, s,
				 EMF__PATH_MAX);
			return -EINVAL;
		}
		for (i = 0, f = NULL; i < t->n_fields && !f; i++)
			if (strlen(t->fields[i].name) == n &&
			    !strncmp(t->fields[i].name, s + pos, n))
				f = &t->fields[i];
		if (!f) {
			char list[160] = "";
			size_t l = 0;

			for (i = 0; i < t->n_fields && l < sizeof(list); i++)
				l += snprintf(list + l, sizeof(list) - l, "%s%s", i ? ", " : "",
					      t->fields[i].name);
			snprintf(msg, msg_size, "event type '%s' has no field '%.*s' (it has %s)",
				 t->name, (int)n, s + pos, list);
			return -EINVAL;
		}
		path->f[path->depth++] = f;
		pos += n;
		if (pos >= len)
			return 0;
		pos++;
		path->base += f->offset;
		t = has_parts(f) ? f->type : NULL;
	}
}
