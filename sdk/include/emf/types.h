/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Semantic types for event headers.
 *
 * A plugin's event header declares its fields with these typedefs to say what
 * a number means; emf-codegen finds the typedef names in the object's BTF and
 * compiles the matching rendering into the decoder. The layout is that of the
 * underlying C type, so BPF code fills them as plain integers. This header
 * uses only C's own types: it is included by BPF code (through
 * <emf/emf.bpf.h>) and by host code alike.
 */
#ifndef __EMF_TYPES_H
#define __EMF_TYPES_H

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Timestamps, in nanoseconds: emf_ktime_t from bpf_ktime_get_ns()
 * (CLOCK_MONOTONIC), emf_boottime_t from bpf_ktime_get_boot_ns()
 * (CLOCK_BOOTTIME, which keeps counting in suspend). The first top-level
 * field of either type is the event's time: the SDK converts it to wall-clock
 * time (struct emf_event.time_ns) and orders events by it; emf-agent shows it
 * in its TIME column and as "time" in JSON, where the field itself keeps the
 * raw value. An event without one is stamped with the time it was read.
 */
typedef unsigned long long emf_ktime_t;
typedef unsigned long long emf_boottime_t;

/*
 * Numbers with names. Text shows the name; JSON keeps the number under the
 * field's name and adds the name as "FIELD_name" (a string, what text shows).
 * A value without a name (an unknown uid, say) shows as its number.
 *   emf_errno_t       an errno, either sign: "ENOENT"
 *   emf_ret_t         a syscall result: the number when >= 0, "ENOENT" for -ENOENT
 *   emf_signal_t      a signal number: "SIGTERM"
 *   emf_uid_t         a user id: its user name, "root"
 *   emf_gid_t         a group id: its group name
 *   emf_syscall_t     a syscall number of this machine's architecture: "openat"
 *   emf_open_flags_t  open(2) flags: "O_WRONLY|O_CREAT|O_CLOEXEC"
 *   emf_mode_t        a file mode, in octal: "0644"
 */
typedef int emf_errno_t;
typedef long long emf_ret_t;
typedef int emf_signal_t;
typedef unsigned int emf_uid_t;
typedef unsigned int emf_gid_t;
typedef int emf_syscall_t;
typedef int emf_open_flags_t;
typedef unsigned int emf_mode_t;

/*
 * EMF_ARGV on a char array member: NUL-separated strings, as an exec's argv
 * read with bpf_probe_read_user() into one buffer ("ls\0-l\0/tmp\0"). Text
 * shows them joined by spaces, JSON as an array of strings. The strings end
 * at the first empty one, or at the end of what arrived when it is the last
 * member of an event sent cut short.
 *
 *   char args[512] EMF_ARGV;
 */
#define EMF_ARGV __attribute__((btf_decl_tag("emf.argv")))

/*
 * Stacks: EMF_KSTACK or EMF_USTACK on an array of 64-bit integers that
 * bpf_get_stack() filled, innermost frame first (the kernel zeroes what it
 * did not fill: the frames end at the first 0). The event carries the frames
 * themselves, so no stack map can be overwritten before user space reads it.
 * Text shows them symbolised and joined by ';' ("func+0x1a;caller+0x40"),
 * JSON as an array of those strings. Kernel frames are named from
 * /proc/kallsyms; user frames from the ELF symbols (.symtab, .dynsym) of the
 * files mapped in the process whose id member @pid holds, read from its
 * /proc/PID/maps ("_Fork+0x25 (/usr/lib/x86_64-linux-gnu/libc.so.6)"), so it
 * has to be alive when the event is rendered; a frame without a name shows as
 * its address ("0x7f5c2d1e4f25").
 *
 *   __u32 pid;
 *   __u64 kstack[32] EMF_KSTACK;      bpf_get_stack(ctx, e->kstack, sizeof(e->kstack), 0)
 *   __u64 ustack[32] EMF_USTACK(pid); ... BPF_F_USER_STACK)
 *
 * @pid names a 32-bit integer member of the same struct holding the process
 * id (the tgid, bpf_get_current_pid_tgid() >> 32).
 */
#define EMF_KSTACK __attribute__((btf_decl_tag("emf.kstack")))
#define EMF_USTACK(pid) __attribute__((btf_decl_tag("emf.ustack:" #pid)))

/*
 * Network addresses: emf_ipv4_t holds an IPv4 address in network byte order
 * ("10.0.0.1"); emf_ipaddr_t holds 16 bytes: an IPv6 address ("::1"), or an
 * IPv4 one either in its first 4 bytes with the rest zero or v4-mapped
 * (::ffff:a.b.c.d), both rendered "a.b.c.d".
 */
typedef unsigned int emf_ipv4_t;
typedef unsigned char emf_ipaddr_t[16];

/*
 * An L4 endpoint: an address as emf_ipaddr_t holds it and a port in host byte
 * order (bpf_ntohs() of a network-order port; sk_num as it is). Text shows
 * "10.0.0.1:80" or "[::1]:22"; JSON an object keeping the parts and the text:
 * {"addr":"10.0.0.1","port":80,"text":"10.0.0.1:80"}. Filters compare the
 * whole ("10.0.0.1:80") or a part (laddr.port == 80, laddr.addr == "::1").
 */
struct emf_endpoint {
	emf_ipaddr_t addr;
	unsigned short port;
};

#ifdef __cplusplus
}
#endif

#endif /* __EMF_TYPES_H */
