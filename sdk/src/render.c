// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The field-table walker (render_internal.h). Its rules are those of the
 * compiled renderers of codegen/render.c and codegen/semantic.c: integers as
 * decimals (128-bit ones too), bools as true/false, enums by name, strings
 * bounded, pointers in hex, addresses, endpoints, stacks and named numbers
 * (<emf/types.h>) as text, nested structs as {a=1 b=2} or {"a":1,"b":2}, arrays as [1,2].
 * One difference: the table keeps an array's element count, not its
 * dimensions, so int m[2][2] comes out as [1,2,3,4], not [[1,2],[3,4]].
 */
#include <string.h>

#include <emf/fmt.h>
#include <emf/types.h>

#include "render_internal.h"

/* Widest enum column: longer names overflow it rather than widen every row (as codegen). */
#define ENUM_WIDTH_MAX 24

static bool is_composite(const struct emf_field *f)
{
	return f->kind == EMF_FIELD_STRUCT || f->kind == EMF_FIELD_UNION;
}

/* An EMF_KSTACK or EMF_USTACK array of 64-bit addresses. */
static bool is_stack(const struct emf_field *f)
{
	return (f->semantic == EMF_SEM_KSTACK || f->semantic == EMF_SEM_USTACK) && !f->bit_size &&
	       f->count && f->size == f->count * 8;
}

static char *put_stack(char *p, const struct emf_field *f, const char *base, uint32_t n, bool json)
{
	uint32_t pid = 0;

	if (f->semantic == EMF_SEM_KSTACK)
		return emf_fmt_kstack(p, base + f->offset, n, json);
	if (f->pid_offset)
		pid = (uint32_t)emf__read_int(base + f->pid_offset - 1, 4, false);
	return emf_fmt_ustack(p, base + f->offset, n, pid, json);
}

/* An integer whose <emf/types.h> type gives it a name. */
static bool named(const struct emf_field *f)
{
	return (f->kind == EMF_FIELD_INT || f->kind == EMF_FIELD_UINT) && !f->bit_size &&
	       f->semantic >= EMF_SEM_ERRNO && f->semantic <= EMF_SEM_MODE;
}

bool emf__render_is_time(const struct emf_field *f)
{
	return !f->bit_size && (f->semantic == EMF_SEM_KTIME || f->semantic == EMF_SEM_BOOTTIME);
}

/* The table stores a value as its enum's C type would: negative ones only in a signed enum. */
static bool enum_signed(const struct emf_field *f)
{
	uint32_t i;

	for (i = 0; i < f->n_enum_values; i++)
		if (f->enum_values[i].value < 0)
			return true;
	return false;
}

static bool is_signed(const struct emf_field *f)
{
	return f->kind == EMF_FIELD_INT || f->kind == EMF_FIELD_CHAR ||
	       (f->kind == EMF_FIELD_ENUM && enum_signed(f));
}

static char *lit(char *p, const char *s, size_t n)
{
	memcpy(p, s, n);
	return p + n;
}

/* An enum's value by its first name (C allows aliases), or its number. */
static char *put_enum(char *p, const struct emf_field *f, int64_t v, bool json)
{
	uint32_t i;

	for (i = 0; i < f->n_enum_values; i++) {
		const char *n = f->enum_values[i].name;

		if (f->enum_values[i].value != v)
			continue;
		if (json)
			*p++ = '"';
		p = lit(p, n, strlen(n));
		if (json)
			*p++ = '"';
		return p;
	}
	return enum_signed(f) ? emf_fmt_i64(p, v) : emf_fmt_u64(p, (uint64_t)v);
}

/* A number's name, with the casts the compiled renderers apply (codegen/semantic.c). */
static char *put_semantic(char *p, const struct emf_field *f, int64_t v)
{
	if (f->semantic == EMF_SEM_OPEN_FLAGS)
		return emf_fmt_open_flags(p, (uint32_t)v);
	return emf_fmt_semantic(p, f->semantic, v);
}

static char *put_bool(char *p, bool v)
{
	return v ? lit(p, "true", 4) : lit(p, "false", 5);
}

/* A bitfield: its bits, sign-extended for a signed type, then rendered as its kind. */
static char *put_bits(char *p, const struct emf_field *f, const char *src, bool json)
{
	uint32_t bytes = (f->bit_offset + f->bit_size + 7) / 8;
	uint64_t v = (uint64_t)emf__read_int(src, bytes > 8 ? 8 : bytes, false) >> f->bit_offset;
	bool sign = is_signed(f);

	if (f->bit_size < 64) {
		v &= (1ULL << f->bit_size) - 1;
		if (sign && (v >> (f->bit_size - 1)) & 1)
			v |= ~0ULL << f->bit_size;
	}
	switch (f->kind) {
	case EMF_FIELD_BOOL:
		return put_bool(p, v);
	case EMF_FIELD_ENUM:
		return put_enum(p, f, (int64_t)v, json);
	default:
		return sign ? emf_fmt_i64(p, (int64_t)v) : emf_fmt_u64(p, v);
	}
}

/* One element of @esize bytes at @src (or a whole string of @limit bytes). */
static char *put_scalar(char *p, const struct emf_field *f, const char *src, uint32_t esize,
			uint32_t limit, bool json)
{
	int64_t v;

	switch (f->kind) {
	case EMF_FIELD_STRING:
		if (f->semantic == EMF_SEM_ARGV)
			return emf_fmt_argv(p, src, limit, json);
		return json ? emf_fmt_json_str(p, src, limit) : emf_fmt_str(p, src, limit);
	case EMF_FIELD_ENDPOINT:
		return emf_fmt_endpoint(
			p, (const uint8_t *)src,
			(uint16_t)emf__read_int(src + offsetof(struct emf_endpoint, port), 2,
						false),
			json);
	case EMF_FIELD_IPV4:
	case EMF_FIELD_IPADDR:
	case EMF_FIELD_POINTER:
		if (json)
			*p++ = '"';
		if (f->kind == EMF_FIELD_IPV4)
			p = emf_fmt_ipv4(p, (uint32_t)emf__read_int(src, 4, false));
		else if (f->kind == EMF_FIELD_IPADDR)
			p = emf_fmt_ipaddr(p, (const uint8_t *)src);
		else
			p = emf_fmt_hex(p, (uint64_t)emf__read_int(src, esize, false));
		if (json)
			*p++ = '"';
		return p;
	case EMF_FIELD_FLOAT:
		if (esize == 4) {
			float fl;

			memcpy(&fl, src, 4);
			return emf_fmt_double(p, fl);
		} else {
			double d;

			memcpy(&d, src, sizeof(d));
			return emf_fmt_double(p, d);
		}
	case EMF_FIELD_BOOL:
		/* The byte it is: BPF code may send any value in a bool. */
		return put_bool(p, src[0] != 0);
	case EMF_FIELD_ENUM:
		return put_enum(p, f, emf__read_int(src, esize, enum_signed(f)), json);
	default:
		break;
	}
	if (esize == 16) {
		unsigned __int128 u;

		memcpy(&u, src, 16);
		return is_signed(f) ? emf_fmt_i128(p, (__int128)u) : emf_fmt_u128(p, u);
	}
	v = emf__read_int(src, esize, is_signed(f));
	if (!json && named(f))
		return put_semantic(p, f, v);
	return is_signed(f) ? emf_fmt_i64(p, v) : emf_fmt_u64(p, (uint64_t)v);
}

static char *put_struct(char *p, const struct emf_event_type *t, const char *base, bool json)
{
	uint32_t i;

	*p++ = '{';
	for (i = 0; i < t->n_fields; i++) {
		const struct emf_field *f = &t->fields[i];
		size_t n = strlen(f->name);

		if (i)
			*p++ = json ? ',' : ' ';
		if (json)
			*p++ = '"';
		p = lit(p, f->name, n);
		p = json ? lit(p, "\":", 2) : lit(p, "=", 1);
		p = emf__render(p, f, base, UINT32_MAX, json);
		if (json)
			p = emf__render_name(p, f, base, f->name);
	}
	*p++ = '}';
	return p;
}

char *emf__render(char *p, const struct emf_field *f, const void *base, uint32_t limit, bool json)
{
	const char *src = (const char *)base + f->offset;
	uint32_t i, n, esize;

	if (f->bit_size)
		return put_bits(p, f, src, json);
	n = f->count && limit < f->count ? limit : f->count;
	if (is_stack(f))
		return put_stack(p, f, base, n, json);
	if (is_composite(f) && !f->count)
		return put_struct(p, f->type, src, json);
	if (!f->count || f->kind == EMF_FIELD_IPADDR)
		return put_scalar(p, f, src, f->size, 0, json);
	if (f->kind == EMF_FIELD_STRING)
		return put_scalar(p, f, src, 1, n, json);
	esize = f->size / f->count;
	*p++ = '[';
	for (i = 0; i < n; i++) {
		if (i)
			*p++ = ',';
		if (is_composite(f))
			p = put_struct(p, f->type, src + i * esize, json);
		else
			p = put_scalar(p, f, src + i * esize, esize, 0, json);
	}
	*p++ = ']';
	return p;
}

size_t emf__render_name_max(const char *key)
{
	return strlen(key) + 10 + EMF_FMT_JSON_STR_MAX(EMF_FMT_NAME_MAX);
}

bool emf__render_named(const struct emf_field *f)
{
	return named(f) && !f->count;
}

char *emf__render_name_value(char *p, const struct emf_field *f, const void *base)
{
	int64_t v =
		emf__read_int((const char *)base + f->offset, f->size, f->kind == EMF_FIELD_INT);
	char nb[EMF_FMT_NAME_MAX], *q;

	/* Names other than users' and groups' are plain ASCII: nothing to escape. */
	if (f->semantic != EMF_SEM_UID && f->semantic != EMF_SEM_GID) {
		*p++ = '"';
		p = put_semantic(p, f, v);
		*p++ = '"';
		return p;
	}
	q = put_semantic(nb, f, v);
	return emf_fmt_json_str(p, nb, q - nb);
}

char *emf__render_name(char *p, const struct emf_field *f, const void *base, const char *key)
{
	if (!emf__render_named(f))
		return p;
	p = lit(p, ",\"", 2);
	p = lit(p, key, strlen(key));
	p = lit(p, "_name\":", 7);
	return emf__render_name_value(p, f, base);
}

static size_t scalar_max(const struct emf_field *f, uint32_t bytes, bool json)
{
	size_t n = 21, l;
	uint32_t i;

	switch (f->kind) {
	case EMF_FIELD_STRING:
		return json ? EMF_FMT_JSON_STR_MAX(bytes) : bytes;
	case EMF_FIELD_IPV4:
	case EMF_FIELD_IPADDR:
		return EMF_FMT_ADDR_MAX + 2;
	case EMF_FIELD_ENDPOINT:
		return EMF_FMT_ENDPOINT_MAX;
	case EMF_FIELD_POINTER:
		return 20;
	case EMF_FIELD_FLOAT:
		return 25;
	case EMF_FIELD_ENUM:
		for (i = 0; i < f->n_enum_values; i++) {
			l = strlen(f->enum_values[i].name) + 2;
			if (l > n)
				n = l;
		}
		return n;
	default:
		if (!json && named(f))
			return EMF_FMT_NAME_MAX;
		return EMF_FMT_INT_MAX;
	}
}

size_t emf__render_max(const struct emf_field *f, bool json)
{
	const struct emf_event_type *t = f->type;
	size_t n = 2, el;
	uint32_t i;

	if (f->bit_size)
		return scalar_max(f, 8, json);
	if (is_stack(f))
		return EMF_FMT_STACK_MAX(f->count);
	if (is_composite(f)) {
		for (i = 0; i < t->n_fields; i++)
			n += strlen(t->fields[i].name) + 4 + emf__render_max(&t->fields[i], json) +
			     (json ? emf__render_name_max(t->fields[i].name) : 0);
		el = n;
	} else if (f->kind == EMF_FIELD_STRING || f->kind == EMF_FIELD_IPADDR || !f->count) {
		return scalar_max(f, f->count, json);
	} else {
		el = scalar_max(f, f->size / f->count, json);
	}
	return f->count ? f->count * (el + 1) + 2 : el;
}

uint32_t emf__render_width(const struct emf_field *f)
{
	uint32_t w = 0, i, l, bytes = f->bit_size ? (uint32_t)(f->bit_size + 7) / 8 : f->size;

	if (!f->bit_size) {
		switch (f->semantic) {
		case EMF_SEM_ERRNO:
		case EMF_SEM_RET:
			return 7;
		case EMF_SEM_SIGNAL:
			return 9;
		case EMF_SEM_UID:
		case EMF_SEM_GID:
			return 8;
		case EMF_SEM_SYSCALL:
			return 12;
		case EMF_SEM_OPEN_FLAGS:
			return 18;
		case EMF_SEM_MODE:
			return 5;
		case EMF_SEM_ARGV:
			return 16;
		case EMF_SEM_KSTACK:
		case EMF_SEM_USTACK:
			return 24;
		default:
			break;
		}
	}
	switch (f->kind) {
	case EMF_FIELD_IPV4:
	case EMF_FIELD_IPADDR:
		return 15;
	case EMF_FIELD_ENDPOINT:
		return 21;
	case EMF_FIELD_STRING:
		return f->count > 16 ? 16 : f->count;
	case EMF_FIELD_STRUCT:
	case EMF_FIELD_UNION:
		return 0;
	default:
		break;
	}
	if (f->count)
		return 0;
	switch (f->kind) {
	case EMF_FIELD_BOOL:
		return 5;
	case EMF_FIELD_FLOAT:
		return 10;
	case EMF_FIELD_POINTER:
		return 18;
	case EMF_FIELD_ENUM:
		if (bytes == 8)
			return 10;
		/* As wide as its longest name, so that names stay in their column. */
		w = 7;
		for (i = 0; i < f->n_enum_values; i++) {
			l = strlen(f->enum_values[i].name);
			if (l > w)
				w = l < ENUM_WIDTH_MAX ? l : ENUM_WIDTH_MAX;
		}
		return w;
	default:
		return bytes <= 2 ? 5 : bytes <= 4 ? 7 : 10;
	}
}
