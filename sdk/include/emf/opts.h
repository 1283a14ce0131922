/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Extensible options structs.
 *
 * Every options struct of the SDK starts with "size_t sz", the size the caller
 * was compiled with, and ends with "size_t :0" so that the compiler pads it the
 * same way on every build. New fields are only ever added at the end; the SDK
 * reads the fields that fit in sz and treats the rest as zero, and refuses a
 * struct whose bytes past the fields it knows are not zero. Passing NULL
 * instead of a struct means "all defaults".
 */
#ifndef __EMF_OPTS_H
#define __EMF_OPTS_H

#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * C++ with -Wextra flags the fields a designated initialiser leaves out;
 * leaving them out (zero) is the point here.
 */
#ifdef __cplusplus
#define EMF_OPTS_DIAG_PUSH             \
	_Pragma("GCC diagnostic push") \
		_Pragma("GCC diagnostic ignored \"-Wmissing-field-initializers\"")
#define EMF_OPTS_DIAG_POP _Pragma("GCC diagnostic pop")
#else
#define EMF_OPTS_DIAG_PUSH
#define EMF_OPTS_DIAG_POP
#endif

/*
 * EMF_OPTS - declare and initialise an options struct
 * @TYPE: the struct's tag, without "struct", e.g. emf_bus_opts
 * @NAME: the variable to declare
 * @...: designated initialisers of the fields to set, e.g. .queue_len = 64
 *
 * Zeroes the whole struct, padding included, then sets sz and the given
 * fields: EMF_OPTS(emf_bus_opts, opts, .n_workers = 2);
 */
#define EMF_OPTS(TYPE, NAME, ...)                                                    \
	struct TYPE NAME = ({                                                        \
		memset(&NAME, 0, sizeof(struct TYPE));                               \
		EMF_OPTS_DIAG_PUSH                                                   \
		struct TYPE __emf_opts = { .sz = sizeof(struct TYPE), __VA_ARGS__ }; \
		EMF_OPTS_DIAG_POP                                                    \
		__emf_opts;                                                          \
	})

#ifdef __cplusplus
}
#endif

#endif /* __EMF_OPTS_H */
