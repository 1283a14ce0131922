// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Bad input: a plugin directory without its event header (nohdr.h). */
char LICENSE[] __attribute__((section("license"), used)) = "GPL";
