// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Formatters of the semantic types of <emf/types.h>: names for errnos,
 * signals, syscalls, open flags, users and groups, and the packed argv list.
 * User and group names come from getpwuid_r()/getgrgid_r(), cached per thread
 * (NSS may read files or ask a daemon: never once per event).
 */
#include <grp.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <emf/event.h>
#include <emf/fmt.h>

#include "runtime_internal.h"
#include "syscall_names.h"

static char *put(char *p, const char *s, size_t max)
{
	size_t n = strnlen(s, max);

	memcpy(p, s, n);
	return p + n;
}

char *emf_fmt_errno(char *p, int64_t v)
{
	const char *s = v && v > -4096 && v < 4096 ? strerrorname_np(v < 0 ? -v : v) : NULL;

	return s ? put(p, s, 32) : emf_fmt_i64(p, v);
}

char *emf_fmt_ret(char *p, int64_t v)
{
	return v < 0 ? emf_fmt_errno(p, v) : emf_fmt_i64(p, v);
}

char *emf_fmt_signal(char *p, int64_t v)
{
	const char *s = v > 0 && v < 65 ? sigabbrev_np(v) : NULL;

	if (s) {
		memcpy(p, "SIG", 3);
		return put(p + 3, s, 16);
	}
	/* The kernel's real-time signals start at 32 (the C library keeps a few). */
	if (v >= 32 && v <= 64) {
		memcpy(p, "SIGRTMIN+", 9);
		return emf_fmt_i64(p + 9, v - 32);
	}
	return emf_fmt_i64(p, v);
}

char *emf_fmt_syscall(char *p, int64_t nr)
{
	if (nr >= 0 && nr < (int64_t)(sizeof(emf__syscall_names) / sizeof(emf__syscall_names[0])) &&
	    emf__syscall_names[nr])
		return put(p, emf__syscall_names[nr], 32);
	return emf_fmt_i64(p, nr);
}

bool emf__sem_value(enum emf_semantic sem, const char *name, int64_t *v)
{
	size_t n = sizeof(emf__syscall_names) / sizeof(emf__syscall_names[0]);
	int64_t i;

	switch (sem) {
	case EMF_SEM_ERRNO:
	case EMF_SEM_RET:
		/* Every errno the C library names is small; the kernel's own (512 on) it does not. */
		for (i = 1; i < 4096; i++) {
			const char *s = strerrorname_np(i);

			if (s && !strcmp(s, name)) {
				*v = sem == EMF_SEM_RET ? -i : i;
				return true;
			}
		}
		return false;
	case EMF_SEM_SIGNAL:
		/* The real-time ones are numbers to a filter: "SIGRTMIN+1" is no name. */
		if (strncmp(name, "SIG", 3))
			return false;
		for (i = 1; i < 65; i++) {
			const char *s = sigabbrev_np(i);

			if (s && !strcmp(s, name + 3)) {
				*v = i;
				return true;
			}
		}
		return false;
	case EMF_SEM_SYSCALL:
		for (i = 0; i < (int64_t)n; i++) {
			if (emf__syscall_names[i] && !strcmp(emf__syscall_names[i], name)) {
				*v = i;
				return true;
			}
		}
		return false;
	default:
		return false;
	}
}

/* The kernel's O_* bits (include/uapi/asm-generic/fcntl.h), not the C library's. */
static const struct {
	uint64_t bits;
	const char *name;
} open_flags[] = {
	{ 04010000, "O_SYNC" },	    { 020200000, "O_TMPFILE" }, { 0100, "O_CREAT" },
	{ 0200, "O_EXCL" },	    { 0400, "O_NOCTTY" },	{ 01000, "O_TRUNC" },
	{ 02000, "O_APPEND" },	    { 04000, "O_NONBLOCK" },	{ 010000, "O_DSYNC" },
	{ 020000, "O_ASYNC" },	    { 040000, "O_DIRECT" },	{ 0100000, "O_LARGEFILE" },
	{ 0200000, "O_DIRECTORY" }, { 0400000, "O_NOFOLLOW" },	{ 01000000, "O_NOATIME" },
	{ 02000000, "O_CLOEXEC" },  { 010000000, "O_PATH" },
};

char *emf_fmt_open_flags(char *p, uint64_t v)
{
	static const char *const acc[] = { "O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE" };
	size_t i;

	p = put(p, acc[v & 3], 16);
	v &= ~(uint64_t)3;
	for (i = 0; i < sizeof(open_flags) / sizeof(open_flags[0]); i++) {
		if ((v & open_flags[i].bits) != open_flags[i].bits)
			continue;
		*p++ = '|';
		p = put(p, open_flags[i].name, 16);
		v &= ~open_flags[i].bits;
	}
	if (v) {
		*p++ = '|';
		p = emf_fmt_hex(p, v);
	}
	return p;
}

char *emf_fmt_mode(char *p, uint64_t v)
{
	int i, n = 3;

	/* A leading 0, then the digits: at least 3, more for file type bits (S_IFREG 0100000). */
	while (n < 22 && (v >> (3 * n)))
		n++;
	*p++ = '0';
	for (i = n - 1; i >= 0; i--)
		*p++ = '0' + ((v >> (3 * i)) & 7);
	return p;
}

#define NAME_CACHE 64

struct name_slot {
	bool valid;
	uint32_t id;
	char name[EMF_FMT_USER_MAX + 1];
};

static __thread struct name_slot uid_cache[NAME_CACHE], gid_cache[NAME_CACHE];

static char *fmt_id(char *p, uint32_t id, bool group)
{
	struct name_slot *c = &(group ? gid_cache : uid_cache)[id % NAME_CACHE];

	if (!c->valid || c->id != id) {
		char buf[4096];
		const char *name = NULL;

		if (group) {
			struct group gr, *res = NULL;

			if (!getgrgid_r(id, &gr, buf, sizeof(buf), &res) && res)
				name = res->gr_name;
		} else {
			struct passwd pw, *res = NULL;

			if (!getpwuid_r(id, &pw, buf, sizeof(buf), &res) && res)
				name = res->pw_name;
		}
		/* An unknown id is cached too: it is shown as its number. */
		snprintf(c->name, sizeof(c->name), "%s", name ?: "");
		c->id = id;
		c->valid = true;
	}
	return c->name[0] ? put(p, c->name, EMF_FMT_USER_MAX) : emf_fmt_u64(p, id);
}

char *emf_fmt_uid(char *p, uint32_t uid)
{
	return fmt_id(p, uid, false);
}

char *emf_fmt_gid(char *p, uint32_t gid)
{
	return fmt_id(p, gid, true);
}

char *emf_fmt_argv(char *p, const char *s, size_t max, bool json)
{
	size_t i = 0, n;
	bool first = true;

	if (json)
		*p++ = '[';
	while (i < max && s[i]) {
		n = strnlen(s + i, max - i);
		if (!first)
			*p++ = json ? ',' : ' ';
		p = json ? emf_fmt_json_str(p, s + i, n) : emf_fmt_str(p, s + i, n);
		first = false;
		i += n + 1;
	}
	if (json)
		*p++ = ']';
	return p;
}

char *emf_fmt_semantic(char *p, int sem, int64_t v)
{
	switch (sem) {
	case EMF_SEM_ERRNO:
		return emf_fmt_errno(p, v);
	case EMF_SEM_RET:
		return emf_fmt_ret(p, v);
	case EMF_SEM_SIGNAL:
		return emf_fmt_signal(p, v);
	case EMF_SEM_UID:
		return emf_fmt_uid(p, (uint32_t)v);
	case EMF_SEM_GID:
		return emf_fmt_gid(p, (uint32_t)v);
	case EMF_SEM_SYSCALL:
		return emf_fmt_syscall(p, v);
	case EMF_SEM_OPEN_FLAGS:
		return emf_fmt_open_flags(p, (uint64_t)v);
	case EMF_SEM_MODE:
		return emf_fmt_mode(p, (uint64_t)v);
	default:
		return emf_fmt_i64(p, v);
	}
}
