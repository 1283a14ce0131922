/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The one walker that renders values from the field tables emf-codegen emits
 * (struct emf_field): event fields by selection (fields.c) and sampled maps
 * (sample.c). It follows the rules of the compiled renderers (codegen/render.c)
 * so that both write the same bytes.
 */
#ifndef __EMF_RENDER_INTERNAL_H
#define __EMF_RENDER_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <emf/event.h>

#pragma GCC visibility push(hidden)

/* An integer of @size bytes (1, 2, 4 or 8; more reads 8) at @p, sign-extended when @sign. */
static inline int64_t emf__read_int(const void *p, uint32_t size, bool sign)
{
	union {
		int8_t i8;
		int16_t i16;
		int32_t i32;
		int64_t i64;
		uint8_t u8;
		uint16_t u16;
		uint32_t u32;
	} v = {};

	memcpy(&v, p, size > 8 ? 8 : size);
	switch (size) {
	case 1:
		return sign ? (int64_t)v.i8 : (int64_t)v.u8;
	case 2:
		return sign ? (int64_t)v.i16 : (int64_t)v.u16;
	case 4:
		return sign ? (int64_t)v.i32 : (int64_t)v.u32;
	default:
		return v.i64;
	}
}

/* The most bytes emf__render() writes for @f, _name companions of nested fields included. */
size_t emf__render_max(const struct emf_field *f, bool json);

/*
 * emf__render - write field @f of the object at @base as text or JSON
 * @limit: elements of an array (bytes of a string) that arrived, at most
 *         @f->count; UINT32_MAX for all of them
 * @p has emf__render_max(@f, @json) bytes; returns the end of what was written.
 */
char *emf__render(char *p, const struct emf_field *f, const void *base, uint32_t limit, bool json);

/* The most bytes emf__render_name() writes under the key @key. */
size_t emf__render_name_max(const char *key);

/*
 * emf__render_name - JSON: after a number with a name (<emf/types.h>),
 * ,"KEY_name":"NAME"; nothing for other fields. Returns the end.
 */
char *emf__render_name(char *p, const struct emf_field *f, const void *base, const char *key);

/* Does @f have a name companion in JSON (a number with a name, not in an array)? */
bool emf__render_named(const struct emf_field *f);

/* The quoted name of the number @f of the object at @base, without its key. */
char *emf__render_name_value(char *p, const struct emf_field *f, const void *base);

/* Text column width of @f by its kind and meaning, before its title widens it. */
uint32_t emf__render_width(const struct emf_field *f);

/* Is @f a timestamp (shown as the TIME column, not as a text field of its own)? */
bool emf__render_is_time(const struct emf_field *f);

#pragma GCC visibility pop

#endif /* __EMF_RENDER_INTERNAL_H */
