/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The ring buffer shim: programs that call bpf_ringbuf_reserve(),
 * bpf_ringbuf_output(), bpf_ringbuf_submit() and bpf_ringbuf_discard()
 * themselves, as libbpf-tools and libbpf-bootstrap do, get the counted,
 * batched path of <emf/ringbuf.bpf.h> without a change to their code.
 *
 * emf-codegen compiles every plugin as one unit that includes this header
 * before NAME.bpf.c and again after it:
 *
 * - before: function-like macros of those four names, and declarations of
 *   what they call. Only a call expands them: bpf_helper_defs.h declares
 *   "static void *(*bpf_ringbuf_reserve)(...)", where the name is followed
 *   by ")", so the helpers keep their declarations.
 * - after: the definitions, now that the program has included vmlinux.h
 *   (or <linux/bpf.h>) and <bpf/bpf_helpers.h>. emf_lost and emf_rb_wakeup
 *   are declared extern there; emf-codegen links in their definitions only
 *   when the object refers to them, so a program that never uses a ring
 *   buffer compiles to the object it compiled to without the shim.
 *
 * What the calls become:
 * - bpf_ringbuf_reserve(&map, size, flags): a failure is counted in emf_lost
 *   under the map's name, as emf_reserve() counts it, and the wake-up that
 *   the record's submit will ask for is decided (emf__wakeup_flags()) and
 *   kept on a per-CPU stack in emf_rb_wakeup: bpf_ringbuf_submit() is not
 *   given the map.
 * - bpf_ringbuf_submit(rec, 0): takes that decision. A forced wake-up taken
 *   by a nested program of the same object on this CPU may be swapped with
 *   it; the event is submitted all the same, and the kernel still wakes the
 *   reader for the first unread record, so its delay stays bounded.
 * - bpf_ringbuf_discard(rec, 0): wakes nobody, as emf_discard().
 * - bpf_ringbuf_output(&map, data, size, 0): emf_output().
 * Flags other than 0 are the program's choice and are kept. The map must be
 * passed as &NAME (or NAME) for its loss to be counted under its output;
 * otherwise the SDK counts it for the plugin and says which name it got.
 * The dynptr variants are not rewritten.
 *
 * To call a helper as the kernel defines it, put its name in parentheses,
 * (bpf_ringbuf_submit)(rec, 0); to leave a whole program alone, build it with
 * emf-codegen -D EMF_NO_RINGBUF_SHIM.
 */
#if !defined(__bpf__) || defined(EMF_NO_RINGBUF_SHIM)
/* Host code, or a program built without the shim: nothing. */
#elif defined(EMF__SHIM_DEFINE_LOST) || defined(EMF__SHIM_DEFINE_WAKEUP)
/* emf-codegen's link-time unit: the maps an object declared extern. */
#ifndef __EMF_SHIM_BPF_H
#define __EMF_SHIM_BPF_H
#ifdef EMF__SHIM_DEFINE_LOST
#include <emf/ringbuf.bpf.h>
#endif
#ifdef EMF__SHIM_DEFINE_WAKEUP
#define __EMF_SHIM_WAKEUP_STORAGE
#endif
#endif
#elif !defined(__EMF_SHIM_BPF_H)
#define __EMF_SHIM_BPF_H
/* Before the program. */

#define bpf_ringbuf_reserve(map, size, flags) emf__shim_reserve(map, size, flags, #map)
#define bpf_ringbuf_output(map, data, size, flags) emf__shim_output(map, data, size, flags, #map)
#define bpf_ringbuf_submit(rec, flags) emf__shim_submit(rec, flags)
#define bpf_ringbuf_discard(rec, flags) emf__shim_discard(rec, flags)

static inline __attribute__((always_inline)) void *
emf__shim_reserve(void *map, unsigned long long size, unsigned long long flags, const char *name);
static inline __attribute__((always_inline)) long
emf__shim_output(void *map, void *data, unsigned long long size, unsigned long long flags,
		 const char *name);
static inline __attribute__((always_inline)) void emf__shim_submit(void *rec,
								  unsigned long long flags);
static inline __attribute__((always_inline)) void emf__shim_discard(void *rec,
								   unsigned long long flags);

#elif !defined(__EMF_SHIM_BPF_END)
#define __EMF_SHIM_BPF_END
/* After the program. */
#if defined(__BPF_HELPERS__) &&                                                              \
	(defined(__VMLINUX_H__) || defined(_UAPI__LINUX_BPF_H__) || defined(__LINUX_BPF_H__))
#ifndef __EMF_RINGBUF_BPF_H
#define __EMF_LOST_STORAGE extern
#include <emf/ringbuf.bpf.h>
#endif
#define __EMF_SHIM_WAKEUP_STORAGE extern
#endif
#endif

#if defined(__EMF_SHIM_WAKEUP_STORAGE) && !defined(__EMF_SHIM_WAKEUP_MAP)
#define __EMF_SHIM_WAKEUP_MAP
/*
 * Per CPU, the wake-up flags decided at reserve for the records not yet
 * submitted, 2 bits each, the newest lowest: a stack 32 deep, so a program
 * that interrupts another on the same CPU pops what it pushed.
 */
__EMF_SHIM_WAKEUP_STORAGE struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} emf_rb_wakeup SEC(".maps");
#endif

#if defined(__EMF_SHIM_BPF_END) && defined(__EMF_SHIM_WAKEUP_MAP) && !defined(__EMF_SHIM_BPF_DEFS)
#define __EMF_SHIM_BPF_DEFS
#define EMF__WAKEUP_BITS 2
#define EMF__WAKEUP_MASK 3ULL

static __always_inline void emf__wakeup_push(__u64 flags)
{
	__u32 zero = 0;
	__u64 *st = bpf_map_lookup_elem(&emf_rb_wakeup, &zero);

	if (st)
		*st = (*st << EMF__WAKEUP_BITS) | (flags & EMF__WAKEUP_MASK);
}

/* The flags of the newest record; 0 (the kernel's own choice) when none was kept. */
static __always_inline __u64 emf__wakeup_pop(void)
{
	__u32 zero = 0;
	__u64 *st = bpf_map_lookup_elem(&emf_rb_wakeup, &zero), flags;

	if (!st)
		return 0;
	flags = *st & EMF__WAKEUP_MASK;
	*st >>= EMF__WAKEUP_BITS;
	return flags;
}

static inline __attribute__((always_inline)) void *
emf__shim_reserve(void *map, unsigned long long size, unsigned long long flags, const char *name)
{
	void *rec = emf__reserve(map, size, flags, name);

	if (rec)
		emf__wakeup_push(emf__wakeup_flags(
			map, (bpf_ringbuf_query)(map, BPF_RB_AVAIL_DATA), size));
	return rec;
}

static inline __attribute__((always_inline)) long
emf__shim_output(void *map, void *data, unsigned long long size, unsigned long long flags,
		 const char *name)
{
	return emf__output(map, data, size, flags, name);
}

static inline __attribute__((always_inline)) void emf__shim_submit(void *rec,
								  unsigned long long flags)
{
	__u64 kept = emf__wakeup_pop();

	(bpf_ringbuf_submit)(rec, flags ?: kept);
}

static inline __attribute__((always_inline)) void emf__shim_discard(void *rec,
								   unsigned long long flags)
{
	emf__wakeup_pop();
	(bpf_ringbuf_discard)(rec, flags ?: BPF_RB_NO_WAKEUP);
}
#endif
