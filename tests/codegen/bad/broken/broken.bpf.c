// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Bad input: does not compile; clang's diagnostics must reach the user. */
#include "vmlinux.h"
#include "broken.h"

int broken(void)
{
	return undeclared_thing;
}
