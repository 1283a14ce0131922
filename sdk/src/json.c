// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include <emf/fmt.h>
#include <emf/json.h>

json_t *emf_json_str(const char *s, size_t max)
{
	size_t n = strnlen(s, max), i, o = 0;
	char small[256], *buf = small;
	json_t *j;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80 || s[i] < 0x20)
			break;
	if (i == n)
		return json_stringn(s, n);
	/* Slow path: re-encode bytes that are not valid UTF-8 through the JSON writer's rules. */
	if (EMF_FMT_JSON_STR_MAX(n) > sizeof(small)) {
		buf = malloc(EMF_FMT_JSON_STR_MAX(n) + 1);
		if (!buf)
			return NULL;
	}
	o = emf_fmt_json_str(buf, s, n) - buf;
	buf[o] = '\0';
	j = json_loadb(buf, o, JSON_DECODE_ANY, NULL);
	if (buf != small)
		free(buf);
	return j;
}

json_t *emf_json_argv(const char *s, size_t max)
{
	json_t *a = json_array();
	size_t i = 0, n;

	while (a && i < max && s[i]) {
		n = strnlen(s + i, max - i);
		if (json_array_append_new(a, emf_json_str(s + i, n))) {
			json_decref(a);
			return NULL;
		}
		i += n + 1;
	}
	return a;
}

json_t *emf_json_endpoint(const unsigned char *a, unsigned short port)
{
	char addr[EMF_FMT_ADDR_MAX], text[EMF_FMT_ENDPOINT_MAX];
	char *ae = emf_fmt_ipaddr(addr, a), *te = emf_fmt_endpoint(text, a, port, false);

	return json_pack("{s:s%,s:i,s:s%}", "addr", addr, (size_t)(ae - addr), "port", (int)port,
			 "text", text, (size_t)(te - text));
}

/* Frames hold no '"' or '\\' (see emf_fmt_kstack()): their JSON text parses as it is. */
static json_t *frames(const void *ips, size_t n, bool user, unsigned int pid)
{
	char *buf = malloc(EMF_FMT_STACK_MAX(n)), *end;
	json_t *a;

	if (!buf)
		return NULL;
	end = user ? emf_fmt_ustack(buf, ips, n, pid, true) : emf_fmt_kstack(buf, ips, n, true);
	a = json_loadb(buf, end - buf, 0, NULL);
	free(buf);
	return a;
}

json_t *emf_json_kstack(const void *ips, size_t n)
{
	return frames(ips, n, false, 0);
}

json_t *emf_json_ustack(const void *ips, size_t n, unsigned int pid)
{
	return frames(ips, n, true, pid);
}

json_t *emf_json_uint(unsigned __int128 v)
{
	if (v <= INT64_MAX)
		return json_integer((json_int_t)v);
	return json_real((double)v);
}

json_t *emf_json_int(__int128 v)
{
	if (v >= INT64_MIN && v <= INT64_MAX)
		return json_integer((json_int_t)v);
	return json_real((double)v);
}
