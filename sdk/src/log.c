// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* One print callback for the SDK and for libbpf. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <bpf/libbpf.h>

#include "log_internal.h"

static int default_print(enum emf_print_level level, const char *fmt, va_list args);

/* Global because libbpf's print callback is global too; read and written atomically. */
static emf_print_fn_t print_fn = default_print;
static int env_level = -1;

enum emf_print_level emf_print_level_from_env(void)
{
	const char *s = getenv("EMF_LOG_LEVEL");

	if (!s)
		return EMF_WARN;
	if (!strcasecmp(s, "debug"))
		return EMF_DEBUG;
	if (!strcasecmp(s, "info"))
		return EMF_INFO;
	return EMF_WARN;
}

static __attribute__((format(printf, 2, 0))) int
default_print(enum emf_print_level level, const char *fmt, va_list args)
{
	int lvl = __atomic_load_n(&env_level, __ATOMIC_RELAXED);

	if (lvl < 0) {
		lvl = emf_print_level_from_env();
		__atomic_store_n(&env_level, lvl, __ATOMIC_RELAXED);
	}
	if ((int)level > lvl)
		return 0;
	return vfprintf(stderr, fmt, args);
}

/* The capture of the calling thread, see emf__log_capture_begin(). */
static __thread struct emf_log_capture *capture;

void emf__log_capture_begin(struct emf_log_capture *c)
{
	capture = c;
}

void emf__log_capture_end(void)
{
	capture = NULL;
}

static __attribute__((format(printf, 2, 0))) void
capture_add(struct emf_log_capture *c, const char *fmt, va_list args)
{
	va_list ap;
	size_t cap;
	char *v;
	int n;

	va_copy(ap, args);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n <= 0)
		return;
	if (c->len + n + 1 > c->cap) {
		cap = (c->len + n + 1) * 2;
		v = realloc(c->buf, cap);
		if (!v)
			return; /* the reason's detail is lost, not the reason */
		c->buf = v;
		c->cap = cap;
	}
	vsnprintf(c->buf + c->len, n + 1, fmt, args);
	c->len += n;
}

void emf__log_capture_replay(struct emf_log_capture *c, enum emf_print_level level)
{
	const char *line, *end;

	for (line = c->buf; line && *line; line = *end ? end + 1 : end) {
		end = line + strcspn(line, "\n");
		emf__pr(level, "%.*s\n", (int)(end - line), line);
	}
}

void emf__log_capture_free(struct emf_log_capture *c)
{
	free(c->buf);
	c->buf = NULL;
	c->len = c->cap = 0;
}

static __attribute__((format(printf, 2, 0))) int
libbpf_bridge(enum libbpf_print_level level, const char *fmt, va_list args)
{
	emf_print_fn_t fn = __atomic_load_n(&print_fn, __ATOMIC_ACQUIRE);
	enum emf_print_level l = level == LIBBPF_WARN ? EMF_WARN :
				 level == LIBBPF_INFO ? EMF_INFO :
							EMF_DEBUG;
	int saved = errno, ret = 0;

	/*
	 * libbpf blames RLIMIT_MEMLOCK for any EPERM as root; kernels that charge
	 * BPF memory to cgroups never need it, and the runtime explains refusals.
	 */
	if (level == LIBBPF_WARN && strstr(fmt, "try raising 'ulimit -l'"))
		l = EMF_DEBUG;
	/* A step of a plugin runs: its warnings become the reason the SDK reports. */
	if (l == EMF_WARN && capture) {
		capture_add(capture, fmt, args);
		errno = saved;
		return 0;
	}
	if (fn)
		ret = fn(l, fmt, args);
	errno = saved;
	return ret;
}

emf_print_fn_t emf_set_print(emf_print_fn_t fn)
{
	libbpf_set_print(libbpf_bridge);
	return __atomic_exchange_n(&print_fn, fn, __ATOMIC_ACQ_REL);
}

static void bridge_libbpf(void)
{
	libbpf_set_print(libbpf_bridge);
}

void emf__log_init(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, bridge_libbpf);
}

void emf__pr(enum emf_print_level level, const char *fmt, ...)
{
	emf_print_fn_t fn = __atomic_load_n(&print_fn, __ATOMIC_ACQUIRE);
	int saved = errno;
	va_list args;

	if (!fn)
		return;
	va_start(args, fmt);
	fn(level, fmt, args);
	va_end(args);
	errno = saved;
}
