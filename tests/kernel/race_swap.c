// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The swapper of tests/kernel/test_dynamic_race.sh:
 *   race_swap DIR GOOD EVIL MAX
 * in DIR, rename() a fresh symlink over plugin.so, to GOOD and EVIL in turn, as
 * fast as it can, until SIGTERM or MAX swaps; prints how many it made.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	long n = 0, max;

	if (argc != 5 || chdir(argv[1]))
		return 2;
	max = atol(argv[4]);
	signal(SIGTERM, on_term);
	while (!stop && n < max) {
		unlink("next.so");
		if (symlink(n & 1 ? argv[3] : argv[2], "next.so") || rename("next.so", "plugin.so"))
			return 1;
		n++;
	}
	printf("%ld\n", n);
	return 0;
}
