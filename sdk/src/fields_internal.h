/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Field paths (a.b.c) resolved against an event type's field table: filters and field selections. */
#ifndef __EMF_FIELDS_INTERNAL_H
#define __EMF_FIELDS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <emf/event.h>

#pragma GCC visibility push(hidden)

#define EMF__PATH_MAX 8 /* levels of nested structs a path may cross */

struct emf__field_path {
	const struct emf_field *f[EMF__PATH_MAX]; /* outermost first; f[depth - 1] is the field */
	int depth;
	uint32_t base; /* offset of the struct holding the field, from the event's start */
};

/*
 * emf__field_path - resolve @s (@len bytes: NAME, or a.b for a member of a
 * nested struct or union) in @type's field table
 * @at: on error, the offset in @s of the name that failed
 * @msg: on error, why: "event type 'T' has no field 'x' (it has a, b)"
 *
 * Returns 0, or -EINVAL with @at and @msg set.
 */
int emf__field_path(const struct emf_event_type *type, const char *s, size_t len,
		    struct emf__field_path *path, size_t *at, char *msg, size_t msg_size);

#pragma GCC visibility pop

#endif /* __EMF_FIELDS_INTERNAL_H */
