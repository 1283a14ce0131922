/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Shared tail-call slots and shared maps, for a plugin's BPF code: how the
 * programs of different plugins, at different hook points, cooperate.
 * Included by <emf/emf.bpf.h>; nothing here costs a plugin that does not use
 * it (the SDK does not create the maps below for an object that calls no
 * slot).
 *
 * Slots
 *
 *   EMF_SLOT(handle_kill)
 *   SEC("raw_tp")
 *   int on_kill(struct bpf_raw_tracepoint_args *ctx) { ... }
 *
 * declares that program on_kill fills slot "handle_kill". While its plugin is
 * attached, the program is in the slot; when the plugin detaches, the slot is
 * emptied. A program that fills a slot runs only through it: the SDK turns
 * off its auto-attach. Two plugins filling one slot is an error, except a
 * plugin of the same name taking over the slot (a reload), which is one map
 * update: every call reaches either the old or the new program.
 *
 *   emf_tail_call(ctx, handle_kill);
 *   ... only reached when the call missed ...
 *
 * tail-calls whatever program fills slot "handle_kill", from any plugin. Like
 * bpf_tail_call(), it does not return when the call succeeds. It returns when
 * the slot is empty or the chain already made the kernel's limit of 33 tail
 * calls; such a missed call is counted per slot in emf_slot_missed, which the
 * host reads (emf_runtime__slot() of <emf/slots.h>, emf-agent --stats).
 *
 * Slot names are global (every plugin and process using the same pin root
 * shares them) and map to indices the SDK chooses at load time. The index of
 * each called slot reaches the program as a constant: the macro reads a
 * const volatile variable of .rodata that the SDK writes between open and
 * load, and the verifier, reading a frozen read-only map, knows its value,
 * so the JIT emits a direct jump that the kernel patches when the slot's
 * program changes (no index lookup per call). Without the SDK, the variable
 * holds EMF_SLOT_NONE and every call misses.
 *
 * The kernel binds a prog array to the first program that uses it: its
 * program type, expected attach type, JIT, XDP frags and sleepable flags and,
 * for tracing programs, its attach target. The SDK therefore keeps one pinned
 * prog array per such "program kind" (e.g. raw_tracepoint, xdp, sched_cls,
 * tracing.trace_raw_tp:sched_switch), and a slot belongs to one kind. It
 * checks every caller and filler against the slot's kind before anything is
 * loaded and explains a refusal (which plugin, which slot, what differs).
 * An object's emf_slots map serves the kind of its programs; an object whose
 * programs are of several kinds marks the ones that call slots with
 * EMF_SLOT_CALLER (they must be of one kind):
 *
 *   EMF_SLOT_CALLER SEC("xdp") int dispatch(struct xdp_md *ctx) { ... }
 *
 * Shared maps
 *
 *   struct { __uint(type, BPF_MAP_TYPE_HASH); ... } inflight SEC(".maps")
 *           EMF_MAP_EXPORT(sys_inflight);
 *
 * exports map inflight under the name "sys_inflight": the SDK pins it (under
 * the pin root's maps/ directory). Another plugin declares the same map and
 *
 *   struct { ... same type, key, value, max_entries ... } inflight SEC(".maps")
 *           EMF_MAP_IMPORT(sys_inflight);
 *
 * uses the exported one instead of its own. A mismatch of type, key size,
 * value size, max entries or flags is refused before anything is loaded,
 * with what differs; an import that no plugin exports (in the runtime or
 * pinned) is refused too. Pins go away when the last program using them does,
 * unless the host keeps them (struct emf_pin_opts of <emf/slots.h>).
 */
#ifndef __EMF_SLOTS_BPF_H
#define __EMF_SLOTS_BPF_H

/* Slots one pin root can hold, across every program kind. */
#ifndef EMF_SLOTS_MAX
#define EMF_SLOTS_MAX 256
#endif

/* The index of a slot the SDK did not resolve: out of range, so calls miss. */
#define EMF_SLOT_NONE 0xffffffffU

/* The BTF declaration tags the SDK reads at open (set-up, never per event). */
#define EMF_SLOT(name) __attribute__((btf_decl_tag("emf.slot:" #name)))
#define EMF_SLOT_CALLER __attribute__((btf_decl_tag("emf.caller")))
#define EMF_MAP_EXPORT(name) __attribute__((btf_decl_tag("emf.export:" #name)))
#define EMF_MAP_IMPORT(name) __attribute__((btf_decl_tag("emf.import:" #name)))

#if defined(__VMLINUX_H__) || defined(_UAPI__LINUX_BPF_H__) || defined(__LINUX_BPF_H__)
#include <bpf/bpf_helpers.h>

/*
 * The prog array of this object's program kind; the SDK replaces it, before
 * load, with the pinned one every plugin of that kind shares.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, EMF_SLOTS_MAX);
	__type(key, __u32);
	__type(value, __u32);
} emf_slots SEC(".maps");

/* Missed calls per CPU, by slot index; shared by every caller, read by the host. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, EMF_SLOTS_MAX);
	__type(key, __u32);
	__type(value, __u64);
} emf_slot_missed SEC(".maps");

static __always_inline void emf__slot_missed(__u32 idx)
{
	__u64 *cnt = bpf_map_lookup_elem(&emf_slot_missed, &idx);

	if (cnt)
		*cnt += 1; /* per CPU: no other writer */
}

/*
 * emf_tail_call - tail-call the program that fills slot @name
 * @ctx: the program's context, passed on unchanged
 * @name: the slot, a C identifier
 *
 * Does not return when the call succeeds; when it returns, the slot was
 * empty or the 33-call limit was reached, and the miss is counted.
 *
 * The static variable is the slot's index, written by the SDK into .rodata
 * (the SDK finds it by its name in the object's BTF). Read once, it is both
 * the tail call's key and the miss counter's, a verifier-known constant.
 */
#define emf_tail_call(ctx, name)                                                                \
	({                                                                                      \
		static const volatile unsigned int __emf_slot__##name = EMF_SLOT_NONE;          \
		__u32 __emf_idx = __emf_slot__##name;                                           \
		bpf_tail_call(ctx, &emf_slots, __emf_idx);                                      \
		emf__slot_missed(__emf_idx);                                                    \
	})

#endif /* vmlinux.h or linux/bpf.h */

#endif /* __EMF_SLOTS_BPF_H */
