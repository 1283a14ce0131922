// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A program with one USDT probe, emftest:tick(N), fired N times with its
 * argument 1..N, for test_attach. Built without <sys/sdt.h>
 * (systemtap-sdt-dev), it has no probe and says so with exit status 77.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#if __has_include(<sys/sdt.h>)
#include <sys/sdt.h>
#define HAVE_SDT 1
#else
#define HAVE_SDT 0
#endif

int main(int argc, char **argv)
{
	long i, n = argc > 1 ? strtol(argv[1], NULL, 10) : 1;

	if (!HAVE_SDT) {
		fprintf(stderr, "usdt_gen: built without <sys/sdt.h> (systemtap-sdt-dev): no USDT probe\n");
		return 77;
	}
	/* A moment for the tracer to attach to this pid's probe, when it waits for us. */
	if (argc > 2)
		usleep(strtol(argv[2], NULL, 10) * 1000);
	for (i = 1; i <= n; i++) {
#if HAVE_SDT
		DTRACE_PROBE1(emftest, tick, i);
#endif
	}
	return 0;
}
