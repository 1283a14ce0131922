/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Private logging helpers of libemfsdk. */
#ifndef __EMF_LOG_INTERNAL_H
#define __EMF_LOG_INTERNAL_H

#include <errno.h>
#include <emf/log.h>

/* Everything declared below is private to libemfsdk: hidden. */
#pragma GCC visibility push(hidden)

__attribute__((format(printf, 2, 3))) void emf__pr(enum emf_print_level level, const char *fmt,
						   ...);

#define pr_warn(fmt, ...) emf__pr(EMF_WARN, "emf: " fmt, ##__VA_ARGS__)
#define pr_info(fmt, ...) emf__pr(EMF_INFO, "emf: " fmt, ##__VA_ARGS__)
#define pr_debug(fmt, ...) emf__pr(EMF_DEBUG, "emf: " fmt, ##__VA_ARGS__)

/*
 * libbpf's warnings of one step of a plugin (open, load, attach), kept
 * instead of printed, so that a failure is reported once, in the SDK's
 * words, with libbpf's lines as its detail.
 */
struct emf_log_capture {
	char *buf; /* NUL-terminated lines, NULL when none */
	size_t len;
	size_t cap;
};

/* Capture libbpf's warnings on the calling thread into @c, until _end(). */
/*
 * Route libbpf's messages through the SDK's print callback, once per process:
 * from the first runtime, not from the moment the library is linked, so a
 * program that uses libbpf by itself keeps its own callback until then.
 */
__attribute__((visibility("hidden"))) void emf__log_init(void);

__attribute__((visibility("hidden"))) void emf__log_capture_begin(struct emf_log_capture *c);
__attribute__((visibility("hidden"))) void emf__log_capture_end(void);
/* Print what @c holds at @level, a line at a time. */
__attribute__((visibility("hidden"))) void
emf__log_capture_replay(struct emf_log_capture *c, enum emf_print_level level);
__attribute__((visibility("hidden"))) void emf__log_capture_free(struct emf_log_capture *c);

/* Return -err and set errno to err, for "return emf_err(-EINVAL);" */
static inline int emf_err(int ret)
{
	if (ret < 0)
		errno = -ret;
	return ret;
}

/* Set errno from a negative code and return NULL. */
static inline void *emf_err_ptr(int ret)
{
	errno = ret < 0 ? -ret : ret;
	return NULL;
}

#pragma GCC visibility pop

#endif /* __EMF_LOG_INTERNAL_H */
