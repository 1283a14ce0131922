// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Event generator of the loss tests: exactly N events, as fast as it can.
 *
 *   loss_gen open PATH N      N openat() of PATH (opensnoop sees each)
 *   loss_gen getpgid ARG N    N getpgid(ARG << 32 | seq) (ringflood sees each)
 *
 * It first waits for one byte on stdin (a pipe), so the agent can be started
 * filtered to its pid after it has been loaded: from then on, the N calls are
 * all that it does that a plugin sees (it exits without another open).
 * Prints the calls made per second to stdout, then waits for stdin again: one
 * more byte makes one more call (a perf buffer reports its losses with the
 * next sample it can hold), end of file none.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* @n calls of @kind, numbered from @first. */
static int calls(const char *kind, const char *what, unsigned long first, unsigned long n)
{
	unsigned long i;

	if (!strcmp(kind, "open")) {
		for (i = 0; i < n; i++) {
			int fd = open(what, O_RDONLY);

			if (fd >= 0)
				close(fd);
		}
	} else if (!strcmp(kind, "getpgid")) {
		unsigned long long arg = strtoull(what, NULL, 0) << 32;

		for (i = first; i < first + n; i++)
			syscall(SYS_getpgid, arg | i);
	} else {
		fprintf(stderr, "loss_gen: unknown kind '%s'\n", kind);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long n;
	char *end, go;
	double t0, t;

	if (argc != 4) {
		fprintf(stderr, "usage: loss_gen open PATH N | loss_gen getpgid ARG N\n");
		return 2;
	}
	errno = 0;
	n = strtoul(argv[3], &end, 10);
	if (errno || *end || !n) {
		fprintf(stderr, "loss_gen: invalid count '%s'\n", argv[3]);
		return 2;
	}
	if (read(STDIN_FILENO, &go, 1) != 1) {
		fprintf(stderr, "loss_gen: no go byte on stdin\n");
		return 1;
	}
	t0 = now();
	if (calls(argv[1], argv[2], 0, n))
		return 2;
	t = now() - t0;
	printf("%.0f\n", t > 0 ? n / t : 0.0);
	fflush(stdout);
	if (read(STDIN_FILENO, &go, 1) == 1)
		calls(argv[1], argv[2], n, 1);
	return 0;
}
