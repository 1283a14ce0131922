// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer target: the control socket's frame parser, fed any bytes, as a
 * server reads them from a client. Every frame found is also encoded again
 * and parsed back, which must give the same object.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <jansson.h>

#include <emf/ctl.h>
#include <emf/fmt.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t off = 0;

	while (off < size) {
		const char *payload;
		size_t plen;
		json_t *msg, *back;
		struct emf_buf b = {};
		long used = emf_ctl_frame__decode(data + off, size - off, &msg);

		if (used == 0 || used == -EMSGSIZE)
			break;
		if (used < 0) {
			used = emf_ctl_frame__split(data + off, size - off, &payload, &plen);
			if (used <= 0 || plen > size - off - EMF_CTL_FRAME_HDR)
				abort();
			off += (size_t)used;
			continue;
		}
		if (emf_ctl_frame__encode(msg, &b) ||
		    emf_ctl_frame__decode(b.data, b.len, &back) != (long)b.len ||
		    !json_equal(msg, back))
			abort();
		json_decref(back);
		json_decref(msg);
		emf_buf__free(&b);
		off += (size_t)used;
	}
	return 0;
}
