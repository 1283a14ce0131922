/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Growable output buffer and the fast formatters the generated renderers use.
 *
 * A struct emf_buf is owned by its user: zero-initialise it, let the emf_buf__*
 * functions grow it, and release it with emf_buf__free(). The emf_fmt_* helpers
 * write into memory already reserved with emf_buf__reserve() and return the
 * position after what they wrote; they never fail.
 */
#ifndef __EMF_FMT_H
#define __EMF_FMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct emf_buf {
	char *data; /* NUL-terminated when len > 0 */
	size_t len;
	size_t cap;
};

/*
 * emf_buf__reserve - make room for @n more bytes (plus a NUL) after len
 *
 * Returns a pointer to data + len, or NULL with errno ENOMEM; on failure the
 * buffer is left as it was.
 */
char *emf_buf__reserve(struct emf_buf *b, size_t n);

/* emf_buf__commit - account for bytes written up to @end (from emf_buf__reserve) and NUL-terminate */
void emf_buf__commit(struct emf_buf *b, char *end);

/* emf_buf__reset - forget the contents, keep the memory */
void emf_buf__reset(struct emf_buf *b);

/* emf_buf__free - release the memory; the buffer is empty and reusable afterwards */
void emf_buf__free(struct emf_buf *b);

/* emf_buf__append - append @n bytes; returns 0 or -ENOMEM */
int emf_buf__append(struct emf_buf *b, const char *s, size_t n);

/* Formatters: each returns the end of what it wrote; callers reserve the bound. */
#define EMF_FMT_INT_MAX 41 /* longest decimal of a signed 128-bit integer and its sign */

char *emf_fmt_u64(char *p, uint64_t v);
char *emf_fmt_i64(char *p, int64_t v);
char *emf_fmt_u128(char *p, unsigned __int128 v);
char *emf_fmt_i128(char *p, __int128 v);
char *emf_fmt_hex(char *p, uint64_t v); /* "0x..." */
char *emf_fmt_double(char *p, double v);
/* Network addresses: at most EMF_FMT_ADDR_MAX bytes, no quotes. */
#define EMF_FMT_ADDR_MAX 46
char *emf_fmt_ipv4(char *p, uint32_t be); /* network byte order */
char *emf_fmt_ipaddr(char *p, const uint8_t *a16); /* see emf_ipaddr_t in <emf/types.h> */
/*
 * emf_fmt_endpoint - a struct emf_endpoint of <emf/types.h>, given its parts:
 * "10.0.0.1:80", "[::1]:22" or, with @json, the object
 * {"addr":"10.0.0.1","port":80,"text":"10.0.0.1:80"}. Writes at most
 * EMF_FMT_ENDPOINT_MAX bytes.
 */
#define EMF_FMT_ENDPOINT_MAX (3 * EMF_FMT_ADDR_MAX + 48)
char *emf_fmt_endpoint(char *p, const uint8_t *a16, uint16_t port, bool json);
/*
 * Semantic types (<emf/types.h>): names rather than numbers, each at most
 * EMF_FMT_NAME_MAX bytes, plain ASCII except user and group names (pass those
 * through emf_fmt_json_str() for JSON). A value without a name is written as
 * its number. The user and group names are looked up once per thread and id.
 */
#define EMF_FMT_NAME_MAX 256
#define EMF_FMT_USER_MAX 32 /* longer user and group names are cut */
char *emf_fmt_errno(char *p, int64_t v); /* 2 or -2: "ENOENT" */
char *emf_fmt_ret(char *p, int64_t v); /* >= 0: the number; < 0: -errno, "ENOENT" */
char *emf_fmt_signal(char *p, int64_t v); /* "SIGKILL", "SIGRTMIN+1" */
char *emf_fmt_syscall(char *p, int64_t nr); /* "openat": this system's numbers */
char *emf_fmt_open_flags(char *p, uint64_t v); /* "O_WRONLY|O_CREAT|O_CLOEXEC" */
char *emf_fmt_mode(char *p, uint64_t v); /* octal: "0644", "0100644" */
char *emf_fmt_uid(char *p, uint32_t uid); /* "root" */
char *emf_fmt_gid(char *p, uint32_t gid);
/* Any of the above by its enum emf_semantic (of <emf/event.h>); a number otherwise. */
char *emf_fmt_semantic(char *p, int sem, int64_t v);
/*
 * emf_fmt_argv - NUL-separated strings in @max bytes (an EMF_ARGV field), as
 * text joined by spaces or, with @json, a JSON array of strings. Reserve
 * EMF_FMT_JSON_STR_MAX(@max) bytes (text: @max).
 */
char *emf_fmt_argv(char *p, const char *s, size_t max, bool json);

/*
 * Stacks (EMF_KSTACK, EMF_USTACK of <emf/types.h>): @n 64-bit addresses at
 * @ips (any alignment), innermost first, ending at the first 0. Text joins the
 * frames with ';' ("schedule+0x4e;do_nanosleep+0x6a"), @json writes a JSON
 * array of them. A frame is "name+0xOFF", for a user frame followed by
 * " (FILE)", or its address ("0xffffffff81234567") when it has no name.
 * Names are cut at EMF_FMT_SYM_MAX bytes, files at EMF_FMT_PATH_MAX, and
 * bytes other than printable ASCII in them (and '"', '\') become '?', so a
 * frame needs no JSON escaping. Reserve EMF_FMT_STACK_MAX(@n) bytes.
 *
 * emf_fmt_kstack reads /proc/kallsyms once, on first use (later modules are
 * not seen; without root, or with kptr_restrict hiding them, frames show as
 * addresses). emf_fmt_ustack reads /proc/@pid/maps and the ELF symbols of the
 * mapped files, caching both (files by device and inode, a process's maps
 * for a second); a process that has exited shows addresses. Both are safe
 * to call from several threads.
 */
#define EMF_FMT_SYM_MAX 200
#define EMF_FMT_PATH_MAX 160
#define EMF_FMT_FRAME_MAX (EMF_FMT_SYM_MAX + EMF_FMT_PATH_MAX + 24)
#define EMF_FMT_STACK_MAX(n) ((size_t)(n) * (EMF_FMT_FRAME_MAX + 3) + 2)
char *emf_fmt_kstack(char *p, const void *ips, size_t n, bool json);
char *emf_fmt_ustack(char *p, const void *ips, size_t n, uint32_t pid, bool json);

/* Pad with spaces from @start to at least @width characters; returns the new end. */
char *emf_fmt_pad(char *start, char *end, size_t width);

/*
 * emf_fmt_time - wall-clock time @ns (ns since the epoch) in RFC 3339, UTC,
 * with nanoseconds: "2026-12-02T17:20:01.123456789Z" (no quotes). Writes at
 * most EMF_FMT_TIME_MAX bytes; returns the end. The calendar conversion is
 * cached per thread and second, so a line costs a few copies.
 */
#define EMF_FMT_TIME_MAX 32
char *emf_fmt_time(char *p, uint64_t ns);
/*
 * emf_fmt_str - copy a bounded C string (stops at NUL or after @max bytes)
 * Valid UTF-8 is kept; control characters and bytes that are not valid UTF-8
 * become '?'. Reserve @max bytes.
 */
char *emf_fmt_str(char *p, const char *s, size_t max);
/*
 * emf_fmt_json_str - write a bounded C string as a quoted JSON string
 * Escapes as RFC 8259 requires; bytes that are not valid UTF-8 become \u00XX
 * escapes of their value. Reserve EMF_FMT_JSON_STR_MAX(@max) bytes.
 */
#define EMF_FMT_JSON_STR_MAX(max) ((size_t)(max) * 6 + 2)
char *emf_fmt_json_str(char *p, const char *s, size_t max);

#ifdef __cplusplus
}
#endif

#endif /* __EMF_FMT_H */
