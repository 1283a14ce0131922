// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * kfeature KIND TARGET: exit 0 when this kernel loads and attaches a program
 * of KIND (kprobe, fentry, lsm) on TARGET, else print why and exit 1. For the
 * shell kernel tests: why=$(kfeature fentry hrtimer_nanosleep) || skip "$why".
 */
#include <stdio.h>

#include "kfeature.h"

int main(int argc, char **argv)
{
	char why[256];

	if (argc != 3) {
		fprintf(stderr, "usage: kfeature kprobe|fentry|lsm TARGET\n");
		return 2;
	}
	if (kfeature_probe(argv[1], argv[2], why, sizeof(why))) {
		printf("%s\n", why);
		return 1;
	}
	return 0;
}
