// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Test plugin: a program in a section no libbpf knows, next to one that loads. The
 * plugin must fail with one message naming the section and the program.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

SEC("tp/syscalls/sys_enter_getpgid")
int fine(void *ctx)
{
	return 0;
}

SEC("emf_nosuch/thing")
int unknown(void *ctx)
{
	return 0;
}
