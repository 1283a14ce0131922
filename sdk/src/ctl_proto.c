// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Frames of the control socket: a 4-byte big-endian length, then that many
 * bytes of JSON. Both ends of the socket parse bytes they did not write, so
 * every length is checked before it is used.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include <emf/ctl.h>
#include <emf/fmt.h>

#include "log_internal.h"

static void put_be32(char *p, uint32_t v)
{
	p[0] = (char)(v >> 24);
	p[1] = (char)(v >> 16);
	p[2] = (char)(v >> 8);
	p[3] = (char)v;
}

int emf_ctl_frame__append(struct emf_buf *out, const char *json, size_t len)
{
	char *p;

	if (len > EMF_CTL_FRAME_MAX)
		return emf_err(-EMSGSIZE);
	p = emf_buf__reserve(out, EMF_CTL_FRAME_HDR + len);
	if (!p)
		return emf_err(-ENOMEM);
	put_be32(p, (uint32_t)len);
	memcpy(p + EMF_CTL_FRAME_HDR, json, len);
	emf_buf__commit(out, p + EMF_CTL_FRAME_HDR + len);
	return 0;
}

static int dump_cb(const char *buf, size_t size, void *data)
{
	struct emf_buf *out = data;

	return emf_buf__append(out, buf, size) ? -1 : 0;
}

int emf_ctl_frame__encode(const json_t *msg, struct emf_buf *out)
{
	size_t start, len;

	if (!msg || !out)
		return emf_err(-EINVAL);
	start = out->len;
	/* Serialise in place after a header written once the length is known. */
	if (!emf_buf__reserve(out, EMF_CTL_FRAME_HDR))
		return emf_err(-ENOMEM);
	out->len += EMF_CTL_FRAME_HDR;
	if (json_dump_callback(msg, dump_cb, out, JSON_COMPACT | JSON_ENCODE_ANY)) {
		out->len = start;
		return emf_err(-EINVAL);
	}
	len = out->len - start - EMF_CTL_FRAME_HDR;
	if (len > EMF_CTL_FRAME_MAX) {
		out->len = start;
		return emf_err(-EMSGSIZE);
	}
	put_be32(out->data + start, (uint32_t)len);
	return 0;
}

long emf_ctl_frame__split(const void *buf, size_t len, const char **payload, size_t *payload_len)
{
	const unsigned char *p = buf;
	uint32_t n;

	if (len < EMF_CTL_FRAME_HDR)
		return 0;
	n = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
	if (n > EMF_CTL_FRAME_MAX)
		return emf_err(-EMSGSIZE);
	if (len - EMF_CTL_FRAME_HDR < n)
		return 0;
	*payload = (const char *)p + EMF_CTL_FRAME_HDR;
	*payload_len = n;
	return (long)n + EMF_CTL_FRAME_HDR;
}

long emf_ctl_frame__decode(const void *buf, size_t len, json_t **msg)
{
	const char *payload;
	size_t plen;
	json_error_t jerr;
	long used;

	*msg = NULL;
	used = emf_ctl_frame__split(buf, len, &payload, &plen);
	if (used <= 0)
		return used;
	/* JSON_ALLOW_NUL off: an embedded NUL is malformed, not a terminator. */
	*msg = json_loadb(payload, plen, JSON_REJECT_DUPLICATES, &jerr);
	if (!*msg || !json_is_object(*msg)) {
		json_decref(*msg);
		*msg = NULL;
		return emf_err(-EBADMSG);
	}
	return used;
}
