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
char *emf_fmt_ipaddr(char *p, const uint8_t *a16); /* see emf_ipaddr_t in <emf/emf.bpf.h> */ /* %.17g; JSON null for NaN/inf when @json */
/* Pad with spaces from @start to at least @width characters; returns the new end. */
char *emf_fmt_pad(char *start, char *end, size_t width);
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
