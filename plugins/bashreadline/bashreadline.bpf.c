// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Every command line typed into an interactive bash, as readline() returns it.
 *
 * A uretprobe on /bin/bash's readline(): bash links GNU readline in and exports it,
 * and the probe fires in every bash process, whenever it was started. libbpf
 * attaches it from the section name, which must hold the absolute path of the binary.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <emf/emf.bpf.h>
#include "bashreadline.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

EMF_PLUGIN_INFO("Trace command lines typed into bash (uretprobe on readline): pid, comm, line", 60);

/* Options: the defaults trace every bash. */
const volatile pid_t target_pid = 0; /* only this bash process */

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

/*
 * char *readline(const char *prompt) returns the line typed, without its newline,
 * or NULL on EOF. BPF_KRETPROBE serves uretprobes as well (libbpf 1.1 has no
 * BPF_URETPROBE).
 */
SEC("uretprobe//bin/bash:readline")
int BPF_KRETPROBE(handle_readline_return, const char *line)
{
	int pid = bpf_get_current_pid_tgid() >> 32;
	struct event *e;

	if (!line || (target_pid && pid != target_pid))
		return 0;

	e = emf_reserve(&events, sizeof(*e));
	if (!e)
		return 0;
	e->ts = bpf_ktime_get_ns();
	e->pid = pid;
	e->uid = (__u32)bpf_get_current_uid_gid();
	bpf_get_current_comm(&e->comm, sizeof(e->comm));
	bpf_probe_read_user_str(&e->line, sizeof(e->line), line);
	emf_submit(&events, e);
	return 0;
}
