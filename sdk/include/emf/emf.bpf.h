/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * BPF-side helpers of emf, for a plugin's NAME.bpf.c (after vmlinux.h and
 * <bpf/bpf_helpers.h>).
 *
 *   EMF_PLUGIN_INFO("one-line description", priority);
 *
 * declares what emf-codegen puts in the plugin's descriptor. The section it
 * lives in is read by emf-codegen only; libbpf skips it and nothing of it is
 * loaded into the kernel. A plugin without it gets an empty description and
 * priority EMF_PLUGIN_DEFAULT_PRIORITY (50).
 *
 *   struct { ... } events SEC(".maps") EMF_EVENT(event);
 *
 * declares that ring buffer or perf event array map "events" carries struct
 * event of the plugin's event header. Needed only when the header defines
 * more than one event struct; with one, emf-codegen pairs them by itself.
 */
#ifndef __EMF_BPF_H
#define __EMF_BPF_H

#define EMF_INFO_DESCRIPTION_MAX 256

struct emf_plugin_info {
	char description[EMF_INFO_DESCRIPTION_MAX];
	int priority;
};

#define EMF_PLUGIN_INFO(desc, prio)                                                          \
	const struct emf_plugin_info __emf_plugin_info __attribute__((section(".emf.info"),   \
								       used)) = { desc, prio }

#define EMF_EVENT(name) __attribute__((btf_decl_tag("emf.event:" #name)))

/*
 * Event fields that emf renders as network addresses rather than numbers:
 * emf_ipv4_t holds an IPv4 address in network byte order ("10.0.0.1");
 * emf_ipaddr_t holds 16 bytes: an IPv6 address ("::1"), or an IPv4 one either
 * in its first 4 bytes with the rest zero or v4-mapped (::ffff:a.b.c.d), both
 * rendered "a.b.c.d". Use them in the event header, after this header.
 */
typedef unsigned int emf_ipv4_t;
typedef unsigned char emf_ipaddr_t[16];

#endif /* __EMF_BPF_H */
