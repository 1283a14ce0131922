/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Logging of libemfsdk.
 *
 * All messages of the SDK, and those of libbpf, go through one print callback.
 * The default callback writes to stderr the messages at or above the level named
 * by the EMF_LOG_LEVEL environment variable ("warn", the default, "info" or
 * "debug"). Printing never changes errno.
 */
#ifndef __EMF_LOG_H
#define __EMF_LOG_H

#include <stdarg.h>

#ifdef __cplusplus
extern "C" {
#endif

enum emf_print_level {
	EMF_WARN,
	EMF_INFO,
	EMF_DEBUG,
};

typedef int (*emf_print_fn_t)(enum emf_print_level level, const char *fmt, va_list args);

/*
 * emf_set_print - route the SDK's and libbpf's messages
 * @fn: the new callback; NULL silences all messages
 *
 * Also installs the SDK's bridge as libbpf's print callback, so libbpf's
 * warnings, info and debug messages reach @fn with the matching level; the
 * first emf_runtime__new() installs it too. Before either call, linking the
 * library changes nothing of libbpf's printing; a host that wants libbpf's
 * messages elsewhere calls libbpf_set_print() after them. Returns the
 * previous callback. Safe to call from any thread.
 */
emf_print_fn_t emf_set_print(emf_print_fn_t fn);

/*
 * emf_print_level_from_env - the level EMF_LOG_LEVEL asks for
 *
 * Returns EMF_WARN when the variable is unset or not understood.
 */
enum emf_print_level emf_print_level_from_env(void);

#ifdef __cplusplus
}
#endif

#endif /* __EMF_LOG_H */
