// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * emf-agent's output: the time of an event as the TIME column of text lines
 * (--time=FMT; JSON lines carry emf_fmt_time()'s). Calendar conversion is
 * cached per second: a line costs a few copies.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "agent.h"

static const char *const time_names[] = {
	[AGENT_TIME_NONE] = "none", [AGENT_TIME_CLOCK] = "clock", [AGENT_TIME_MS] = "ms",
	[AGENT_TIME_US] = "us",	    [AGENT_TIME_REL] = "rel",	  [AGENT_TIME_ISO] = "iso",
};

int agent_time_parse(const char *s, enum agent_time *t)
{
	size_t i;

	for (i = 0; i < sizeof(time_names) / sizeof(time_names[0]); i++) {
		if (!strcmp(s, time_names[i])) {
			*t = i;
			return 0;
		}
	}
	return -1;
}

/* Column widths of the formats, for the header. */
static const int time_widths[] = {
	[AGENT_TIME_NONE] = 0, [AGENT_TIME_CLOCK] = 8, [AGENT_TIME_MS] = 12,
	[AGENT_TIME_US] = 15,  [AGENT_TIME_REL] = 12,  [AGENT_TIME_ISO] = 35,
};

int agent_time_width(const struct agent_clock *c)
{
	return time_widths[c->fmt];
}

/* Digits of @v, zero-padded to @n. */
static char *digits(char *p, unsigned long v, int n)
{
	int i;

	for (i = n - 1; i >= 0; i--, v /= 10)
		p[i] = '0' + v % 10;
	return p + n;
}

char *agent_time_text(struct agent_clock *c, char *p, uint64_t ns)
{
	time_t sec = ns / 1000000000ULL;
	unsigned long frac = ns % 1000000000ULL;

	if (c->fmt == AGENT_TIME_REL) {
		uint64_t rel = ns > c->start_ns ? ns - c->start_ns : 0;

		return p + sprintf(p, "%.6f", rel / 1e9);
	}
	if (sec != c->local_sec || !c->local_len) {
		struct tm tm;

		localtime_r(&sec, &tm);
		c->local_sec = sec;
		if (c->fmt == AGENT_TIME_ISO) {
			char off[8];

			/* RFC 3339 wants the offset as +hh:mm. */
			strftime(off, sizeof(off), "%z", &tm);
			c->local_len = strftime(c->local, sizeof(c->local), "%Y-%m-%dT%H:%M:%S", &tm);
			snprintf(c->zone, sizeof(c->zone), "%.3s:%.2s", off, off + 3);
		} else {
			c->local_len = strftime(c->local, sizeof(c->local), "%H:%M:%S", &tm);
		}
	}
	memcpy(p, c->local, c->local_len);
	p += c->local_len;
	switch (c->fmt) {
	case AGENT_TIME_MS:
		*p++ = '.';
		return digits(p, frac / 1000000, 3);
	case AGENT_TIME_US:
		*p++ = '.';
		return digits(p, frac / 1000, 6);
	case AGENT_TIME_ISO:
		*p++ = '.';
		p = digits(p, frac, 9);
		memcpy(p, c->zone, 6);
		return p + 6;
	default:
		return p;
	}
}
