// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * An attacker's shared object for tests/kernel/test_dynamic_race.sh: its
 * constructor runs at dlopen(), before any descriptor could be checked, and
 * appends a line to the file $EMF_EVIL_MARKER names. The agent must never
 * open it.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

__attribute__((constructor)) static void evil(void)
{
	const char *path = getenv("EMF_EVIL_MARKER");
	int fd = path ? open(path, O_WRONLY | O_APPEND | O_CREAT, 0644) : -1;

	if (fd >= 0) {
		if (write(fd, "evil constructor ran\n", 21) < 0)
			_exit(3);
		close(fd);
	}
}
