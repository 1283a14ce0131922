/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Private helpers to read extensible options structs (see <emf/opts.h>).
 *
 * A caller's struct may be smaller (built against an older SDK: the missing
 * fields read as defaults) or bigger (a newer SDK: its extra bytes must be
 * zero, so that nothing it asked for is silently ignored).
 */
#ifndef __EMF_OPTS_INTERNAL_H
#define __EMF_OPTS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "log_internal.h"

/* Everything declared below is private to libemfsdk: hidden. */
#pragma GCC visibility push(hidden)

#ifndef offsetofend
#define offsetofend(TYPE, FIELD) (offsetof(TYPE, FIELD) + sizeof(((TYPE *)0)->FIELD))
#endif

static inline bool emf_is_mem_zeroed(const char *p, size_t len)
{
	while (len--) {
		if (*p++)
			return false;
	}
	return true;
}

/*
 * A caller built against a newer SDK may pass a bigger struct: accept it when
 * the fields this build does not know are all zero, so nothing it asked for is
 * silently ignored.
 */
static inline bool emf_validate_opts(const char *opts, size_t opts_sz, size_t user_sz,
				     const char *type_name)
{
	if (user_sz < sizeof(size_t)) {
		pr_warn("opts: %s size (%zu) is too small\n", type_name, user_sz);
		return false;
	}
	if (user_sz > opts_sz && !emf_is_mem_zeroed(opts + opts_sz, user_sz - opts_sz)) {
		pr_warn("opts: %s has non-zero extra bytes\n", type_name);
		return false;
	}
	return true;
}

/*
 * OPTS_VALID - NULL, or a struct whose size and unknown tail are acceptable.
 * The tail starts after this build's whole struct rather than after its last
 * field: a compound literal, (struct x){ .sz = ... }, leaves the trailing
 * padding undefined, and clang does not zero it.
 */
#define OPTS_VALID(opts, type)                                                                 \
	(!(opts) || emf_validate_opts((const char *)(opts), sizeof(struct type), (opts)->sz, #type))
/* OPTS_HAS - the caller's struct is big enough to hold @field */
#define OPTS_HAS(opts, field) ((opts) && (opts)->sz >= offsetofend(__typeof__(*(opts)), field))
/* OPTS_GET - @field when the caller's struct has it, @fallback otherwise */
#define OPTS_GET(opts, field, fallback) (OPTS_HAS(opts, field) ? (opts)->field : (fallback))
/* OPTS_SET - write @field back when the caller's struct has it */
#define OPTS_SET(opts, field, value)           \
	do {                                   \
		if (OPTS_HAS(opts, field))     \
			(opts)->field = value; \
	} while (0)

#pragma GCC visibility pop

#endif /* __EMF_OPTS_INTERNAL_H */
