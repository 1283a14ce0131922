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
 *
 *   struct event *e = emf_reserve(&events, sizeof(*e));
 *   if (!e)
 *           return 0;
 *   ...
 *   emf_submit(&events, e);
 *
 * sends an event through ring buffer "events" with batched wake-ups and loss
 * accounting: see <emf/ringbuf.bpf.h>, included here.
 *
 * The helpers need the kernel's BPF types: include this header after
 * vmlinux.h (or <linux/bpf.h>).
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
 * Sampled maps: the SDK reads the map every @ms milliseconds and hands the
 * result to the host (emf-agent prints it as a table, or a JSON line, and the
 * runtime publishes it on the bus as PLUGIN.MAP). Put one on a map:
 *
 *   struct { ... } counts SEC(".maps") EMF_SAMPLE_COUNTERS_CLEAR(1000);
 *
 * EMF_SAMPLE_COUNTERS: a hash or array map (per-CPU ones are summed over the
 * CPUs) of key -> integer, or key -> struct of integers; the key is an
 * integer or a struct. EMF_SAMPLE_LOG2_HIST: an array map of integers where
 * slot i counts values v with 2^i <= v < 2^(i+1) (slot 0: v < 2), filled
 * with emf_log2l(); or a map of any key whose value struct has an integer
 * array "slots" counted the same way, one histogram per key; printed as
 * histograms. The _CLEAR forms delete the entries of a hash map, or zero
 * those of an array, after each read, so each sample covers one interval.
 *
 * Without an annotation, those shapes are found anyway (see emf-codegen(1))
 * and read when the host asks, emf-agent at the end of its run: annotate a
 * map to read it periodically, or to print another shape.
 */
#define EMF_SAMPLE_COUNTERS(ms) __attribute__((btf_decl_tag("emf.sample:counters:" #ms)))
#define EMF_SAMPLE_COUNTERS_CLEAR(ms)                                                       \
	__attribute__((btf_decl_tag("emf.sample:counters:" #ms ":clear")))
#define EMF_SAMPLE_LOG2_HIST(ms) __attribute__((btf_decl_tag("emf.sample:log2:" #ms)))
#define EMF_SAMPLE_LOG2_HIST_CLEAR(ms) __attribute__((btf_decl_tag("emf.sample:log2:" #ms ":clear")))

/*
 * EMF_HOST_FILTER, at file scope, declares emf_from_host(): true when the
 * current task belongs to the process hosting the plugin, once the host has
 * asked the SDK to say which one that is (emf_runtime_opts.exclude_host;
 * emf-agent does unless --include-self). A tracing plugin returns early on it
 * so the host's own opens and execs do not flood its output:
 *
 *   EMF_HOST_FILTER;
 *   ...
 *   if (emf_from_host())
 *           return 0;
 */
#define EMF_HOST_FILTER                                                                      \
	const volatile unsigned int __emf_host_tgid = 0;                                     \
	static __always_inline int emf_from_host(void)                                       \
	{                                                                                    \
		return __emf_host_tgid && (bpf_get_current_pid_tgid() >> 32) == __emf_host_tgid; \
	}                                                                                    \
	struct __emf_host_filter_semicolon

/* Semantic types of event fields (time, addresses, ...): see <emf/types.h>. */
#include <emf/types.h>

#if defined(__VMLINUX_H__) || defined(_UAPI__LINUX_BPF_H__) || defined(__LINUX_BPF_H__)
#include <bpf/bpf_helpers.h>

/* emf_log2l - the EMF_SAMPLE_LOG2_HIST slot of @v: floor(log2(v)), 0 for v < 2 */
static __always_inline __u32 emf_log2l(__u64 v)
{
	__u32 r = 0;

	if (v >> 32) {
		v >>= 32;
		r += 32;
	}
	if (v >> 16) {
		v >>= 16;
		r += 16;
	}
	if (v >> 8) {
		v >>= 8;
		r += 8;
	}
	if (v >> 4) {
		v >>= 4;
		r += 4;
	}
	if (v >> 2) {
		v >>= 2;
		r += 2;
	}
	return r + (__u32)(v >> 1);
}

/* Counted, batched ring buffer output. */
#include <emf/ringbuf.bpf.h>

#endif /* vmlinux.h or linux/bpf.h */

/* Declared attach targets. */
#include <emf/attach.bpf.h>

/* Shared tail-call slots and shared maps. */
#include <emf/slots.bpf.h>

#endif /* __EMF_BPF_H */
