// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * libbpf-bootstrap's minimal example: no events, only bpf_printk(). Its user space
 * set my_pid; here it is an option (0: every process).
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

const volatile int my_pid = 0;

SEC("tp/syscalls/sys_enter_write")
int handle_tp(void *ctx)
{
	int pid = bpf_get_current_pid_tgid() >> 32;

	if (my_pid && pid != my_pid)
		return 0;
	bpf_printk("BPF triggered from PID %d.\n", pid);
	return 0;
}
