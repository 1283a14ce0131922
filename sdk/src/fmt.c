// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Output buffer and the formatters behind the generated renderers: no printf on the hot path. */
#include <errno.h>
#include <stdbool.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <arpa/inet.h>

#include <emf/fmt.h>

char *emf_buf__reserve(struct emf_buf *b, size_t n)
{
	size_t need = b->len + n + 1;

	if (need > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		char *d;

		while (cap < need)
			cap *= 2;
		d = realloc(b->data, cap);
		if (!d) {
			errno = ENOMEM;
			return NULL;
		}
		b->data = d;
		b->cap = cap;
	}
	return b->data + b->len;
}

void emf_buf__commit(struct emf_buf *b, char *end)
{
	b->len = end - b->data;
	*end = '\0';
}

void emf_buf__reset(struct emf_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

void emf_buf__free(struct emf_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

int emf_buf__append(struct emf_buf *b, const char *s, size_t n)
{
	char *p = emf_buf__reserve(b, n);

	if (!p)
		return -ENOMEM;
	memcpy(p, s, n);
	emf_buf__commit(b, p + n);
	return 0;
}

static const char digits2[201] = "00010203040506070809101112131415161718192021222324"
				 "25262728293031323334353637383940414243444546474849"
				 "50515253545556575859606162636465666768697071727374"
				 "75767778798081828384858687888990919293949596979899";

/* Decimal digits of @v: from its bit length, corrected by one look at a power of 10. */
static unsigned int u64_len(uint64_t v)
{
	static const uint64_t pow10[20] = {
		1ULL,
		10ULL,
		100ULL,
		1000ULL,
		10000ULL,
		100000ULL,
		1000000ULL,
		10000000ULL,
		100000000ULL,
		1000000000ULL,
		10000000000ULL,
		100000000000ULL,
		1000000000000ULL,
		10000000000000ULL,
		100000000000000ULL,
		1000000000000000ULL,
		10000000000000000ULL,
		100000000000000000ULL,
		1000000000000000000ULL,
		10000000000000000000ULL,
	};
	unsigned int t = ((64 - __builtin_clzll(v | 1)) * 1233) >> 12;

	return v ? t + (v >= pow10[t]) : 1;
}

/* Written from its end, in place: every event renders numbers, and a memcpy per number showed. */
char *emf_fmt_u64(char *p, uint64_t v)
{
	char *end = p + u64_len(v), *t = end;

	while (v >= 100) {
		unsigned int i = (v % 100) * 2;

		v /= 100;
		t -= 2;
		memcpy(t, digits2 + i, 2);
	}
	if (v >= 10) {
		t -= 2;
		memcpy(t, digits2 + v * 2, 2);
	} else {
		*--t = '0' + v;
	}
	return end;
}

char *emf_fmt_i64(char *p, int64_t v)
{
	if (v < 0) {
		*p++ = '-';
		return emf_fmt_u64(p, -(uint64_t)v);
	}
	return emf_fmt_u64(p, v);
}

char *emf_fmt_u128(char *p, unsigned __int128 v)
{
	char tmp[40], *t = tmp + sizeof(tmp);
	size_t n;

	if (v <= UINT64_MAX)
		return emf_fmt_u64(p, (uint64_t)v);
	while (v) {
		*--t = '0' + (int)(v % 10);
		v /= 10;
	}
	n = tmp + sizeof(tmp) - t;
	memcpy(p, t, n);
	return p + n;
}

char *emf_fmt_i128(char *p, __int128 v)
{
	if (v < 0) {
		*p++ = '-';
		return emf_fmt_u128(p, -(unsigned __int128)v);
	}
	return emf_fmt_u128(p, v);
}

char *emf_fmt_hex(char *p, uint64_t v)
{
	static const char hex[] = "0123456789abcdef";
	int shift = 60;

	*p++ = '0';
	*p++ = 'x';
	while (shift > 0 && !((v >> shift) & 0xf))
		shift -= 4;
	for (; shift >= 0; shift -= 4)
		*p++ = hex[(v >> shift) & 0xf];
	return p;
}

char *emf_fmt_double(char *p, double v)
{
	if (!isfinite(v)) {
		memcpy(p, "null", 4);
		return p + 4;
	}
	/* 24 bytes hold any %.17g */
	return p + snprintf(p, 25, "%.17g", v);
}

char *emf_fmt_ipv4(char *p, uint32_t be)
{
	if (!inet_ntop(AF_INET, &be, p, INET_ADDRSTRLEN))
		return p;
	return p + strlen(p);
}

char *emf_fmt_ipaddr(char *p, const uint8_t *a)
{
	static const uint8_t zero[12], mapped[12] = { [10] = 0xff, [11] = 0xff };
	uint32_t v4;

	if (!memcmp(a + 4, zero, 12) && memcmp(a, zero, 4)) {
		memcpy(&v4, a, 4);
		return emf_fmt_ipv4(p, v4);
	}
	if (!memcmp(a, mapped, 12)) {
		memcpy(&v4, a + 12, 4);
		return emf_fmt_ipv4(p, v4);
	}
	if (!inet_ntop(AF_INET6, a, p, INET6_ADDRSTRLEN))
		return p;
	return p + strlen(p);
}

/* "10.0.0.1:80", "[::1]:22": IPv6 bracketed as in URLs (RFC 3986), so the port reads apart. */
static char *endpoint_text(char *p, const uint8_t *a, uint16_t port)
{
	char addr[EMF_FMT_ADDR_MAX], *end = emf_fmt_ipaddr(addr, a);
	bool v6 = memchr(addr, ':', end - addr);

	if (v6)
		*p++ = '[';
	memcpy(p, addr, end - addr);
	p += end - addr;
	if (v6)
		*p++ = ']';
	*p++ = ':';
	return emf_fmt_u64(p, port);
}

char *emf_fmt_endpoint(char *p, const uint8_t *a, uint16_t port, bool json)
{
	if (!json)
		return endpoint_text(p, a, port);
	memcpy(p, "{\"addr\":\"", 9);
	p = emf_fmt_ipaddr(p + 9, a);
	memcpy(p, "\",\"port\":", 9);
	p = emf_fmt_u64(p + 9, port);
	memcpy(p, ",\"text\":\"", 9);
	p = endpoint_text(p + 9, a, port);
	memcpy(p, "\"}", 2);
	return p + 2;
}

/* Digits of @v, zero-padded to @n. */
static char *fixed(char *p, unsigned long v, int n)
{
	int i;

	for (i = n - 1; i >= 0; i--, v /= 10)
		p[i] = '0' + v % 10;
	return p + n;
}

char *emf_fmt_time(char *p, uint64_t ns)
{
	static __thread time_t cached_sec = -1;
	static __thread char cached[24];
	static __thread size_t cached_len;
	time_t sec = ns / 1000000000ULL;

	if (sec != cached_sec) {
		struct tm tm;

		gmtime_r(&sec, &tm);
		cached_len = strftime(cached, sizeof(cached), "%Y-%m-%dT%H:%M:%S.", &tm);
		cached_sec = sec;
	}
	memcpy(p, cached, cached_len);
	p = fixed(p + cached_len, ns % 1000000000ULL, 9);
	*p++ = 'Z';
	return p;
}

char *emf_fmt_pad(char *start, char *end, size_t width)
{
	size_t n = end - start;

	if (n < width) {
		memset(end, ' ', width - n);
		end += width - n;
	}
	return end;
}

/*
 * Length of a valid UTF-8 sequence at s (at most n bytes), 0 when invalid. A
 * NUL is no continuation byte, so this never reads past the string's end.
 */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t len, i;

	if (s[0] < 0xc2 || s[0] > 0xf4)
		return 0;
	len = s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : 4;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	if (len == 3 && ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] >= 0xa0)))
		return 0;
	if (len == 4 && ((s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] >= 0x90)))
		return 0;
	return len;
}

/* Copy the UTF-8 sequence at s[*i] to *p and advance both; false when there is none. */
static bool copy_utf8(char **p, const unsigned char *s, size_t *i, size_t max)
{
	size_t n = s[*i] >= 0x80 ? utf8_len(s + *i, max - *i) : 0;

	if (!n)
		return false;
	memcpy(*p, s + *i, n);
	*p += n;
	*i += n;
	return true;
}

char *emf_fmt_str(char *p, const char *str, size_t max)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	while (i < max && s[i]) {
		unsigned char c = s[i];

		if (c >= 0x20 && c < 0x7f) {
			*p++ = c;
			i++;
			continue;
		}
		if (copy_utf8(&p, s, &i, max))
			continue;
		*p++ = '?';
		i++;
	}
	return p;
}

char *emf_fmt_json_str(char *p, const char *str, size_t max)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	*p++ = '"';
	while (i < max && s[i]) {
		unsigned char c = s[i];

		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
			*p++ = c;
			i++;
			continue;
		}
		if (c == '"' || c == '\\') {
			*p++ = '\\';
			*p++ = c;
			i++;
			continue;
		}
		if (copy_utf8(&p, s, &i, max))
			continue;
		switch (c) {
		case '\n':
			*p++ = '\\';
			*p++ = 'n';
			break;
		case '\t':
			*p++ = '\\';
			*p++ = 't';
			break;
		case '\r':
			*p++ = '\\';
			*p++ = 'r';
			break;
		default:
			memcpy(p, "\\u00", 4);
			p[4] = hex[c >> 4];
			p[5] = hex[c & 0xf];
			p += 6;
		}
		i++;
	}
	*p++ = '"';
	return p;
}
