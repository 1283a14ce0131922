/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * jansson helpers used by generated decoders, so that jansson objects carry
 * the same values as the JSON-lines writer of <emf/fmt.h>.
 */
#ifndef __EMF_JSON_H
#define __EMF_JSON_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

struct json_t;

/*
 * emf_json_str - a jansson string from a bounded C string
 * @s: the bytes; read up to the first NUL or @max bytes
 *
 * Bytes that are not valid UTF-8 become the code point of their value
 * (U+0080..U+00FF), as emf_fmt_json_str() writes them. Returns a new
 * reference, or NULL on ENOMEM.
 */
struct json_t *emf_json_str(const char *s, size_t max);

/*
 * emf_json_argv - a jansson array of the NUL-separated strings in @max bytes
 * (an EMF_ARGV field of <emf/types.h>), each as emf_json_str() makes it
 *
 * Returns a new reference, or NULL on ENOMEM.
 */
struct json_t *emf_json_argv(const char *s, size_t max);

/*
 * emf_json_endpoint - a jansson object for a struct emf_endpoint of
 * <emf/types.h>, given its 16 address bytes and its port (host order):
 * {"addr":"10.0.0.1","port":80,"text":"10.0.0.1:80"}, as
 * emf_fmt_endpoint() writes it. Returns a new reference, or NULL on ENOMEM.
 */
struct json_t *emf_json_endpoint(const unsigned char *a16, unsigned short port);

/*
 * emf_json_kstack, emf_json_ustack - a jansson array of the frames of a
 * stack, the strings emf_fmt_kstack() and emf_fmt_ustack() write (see
 * <emf/fmt.h>). Returns a new reference, or NULL on ENOMEM.
 */
struct json_t *emf_json_kstack(const void *ips, size_t n);
struct json_t *emf_json_ustack(const void *ips, size_t n, unsigned int pid);

/*
 * emf_json_uint - a jansson number from an unsigned integer
 *
 * Values above INT64_MAX, which jansson's integers cannot hold, become reals
 * (and so lose precision). Returns a new reference, or NULL on ENOMEM.
 */
struct json_t *emf_json_uint(unsigned __int128 v);

/* emf_json_int - the same for signed integers outside INT64_MIN..INT64_MAX */
struct json_t *emf_json_int(__int128 v);

#ifdef __cplusplus
}
#endif

#endif /* __EMF_JSON_H */
