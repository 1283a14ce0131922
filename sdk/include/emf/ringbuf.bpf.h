/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Counted, batched ring buffer output, for a plugin's BPF code. Included by
 * <emf/emf.bpf.h>, and by <emf/shim.bpf.h> for programs that call the
 * bpf_ringbuf_*() helpers themselves.
 *
 *   struct event *e = emf_reserve(&events, sizeof(*e));
 *   if (!e)
 *           return 0;
 *   ...
 *   emf_submit(&events, e);
 *
 * sends an event through ring buffer "events" with batched wake-ups and loss
 * accounting (emf_output(&events, &ev, sizeof(ev)) does both for an event
 * built elsewhere). The submit wakes the reader for a record that is the
 * first unread one (the kernel's test for flags 0: the reader has caught up)
 * and, forced, for the record that fills the ring past 1/EMF_WAKEUP_FRACTION
 * of its size; never otherwise. A lone event so reaches the host at once,
 * and an idle host needs no timer. While events flow the SDK's reader drains
 * every ring on a timer (2 ms by default) and reads a wake-up at once only
 * when the ring is filling up, so a storm costs about two wake-ups per drain
 * instead of one per event. emf__wakeup_flags() is the one place that
 * decides.
 *
 * A reserve that fails because the ring is full is counted, per CPU, in the
 * plugin's emf_lost map under the output map's name (its first 15
 * characters); the SDK adds it to the plugin's lost events and warns. Pass
 * the map as &NAME. Perf event array outputs need nothing here: the kernel
 * reports their losses to the reader itself.
 *
 * The helpers are called as (bpf_ringbuf_reserve)(...): the parentheses keep
 * the function-like macros of <emf/shim.bpf.h> from counting twice.
 */
#ifndef __EMF_RINGBUF_BPF_H
#define __EMF_RINGBUF_BPF_H

#if defined(__VMLINUX_H__) || defined(_UAPI__LINUX_BPF_H__) || defined(__LINUX_BPF_H__)
#include <bpf/bpf_helpers.h>

/* Wake the reader when a submit fills a ring past 1/EMF_WAKEUP_FRACTION of its size. */
#ifndef EMF_WAKEUP_FRACTION
#define EMF_WAKEUP_FRACTION 4
#endif

/* Distinct output maps whose failed reserves emf_lost can count. */
#ifndef EMF_LOST_MAX_OUTPUTS
#define EMF_LOST_MAX_OUTPUTS 16
#endif

/* A map name as the kernel keeps it: 15 characters and a NUL, zero-padded. */
#define EMF_MAP_NAME_LEN 16

struct emf_lost_key {
	char map[EMF_MAP_NAME_LEN];
};

/*
 * Events each CPU could not reserve, by output map; read and summed by the SDK.
 * <emf/shim.bpf.h> declares it extern (__EMF_LOST_STORAGE): emf-codegen then
 * defines it at link time only in an object whose code counts into it.
 */
#ifndef __EMF_LOST_STORAGE
#define __EMF_LOST_STORAGE
#endif
__EMF_LOST_STORAGE struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, EMF_LOST_MAX_OUTPUTS);
	__type(key, struct emf_lost_key);
	__type(value, __u64);
} emf_lost SEC(".maps");

/* @name is the stringified map argument, "&events": folded to constant stores. */
static __always_inline void emf__lost_key(struct emf_lost_key *k, const char *name)
{
	int i, j = 0;

	__builtin_memset(k, 0, sizeof(*k));
#pragma unroll
	for (i = 0; i < 64 && name[i] && j < EMF_MAP_NAME_LEN - 1; i++) {
		if (name[i] == '&' || name[i] == ' ' || name[i] == '(' || name[i] == ')')
			continue;
		k->map[j++] = name[i];
	}
}

static __always_inline void emf__count_lost(const char *name)
{
	struct emf_lost_key k;
	__u64 one = 1, *cnt;

	emf__lost_key(&k, name);
	cnt = bpf_map_lookup_elem(&emf_lost, &k);
	if (!cnt && !bpf_map_update_elem(&emf_lost, &k, &one, BPF_NOEXIST))
		return;
	/* Another CPU may have added the key between the lookup and the update. */
	if (!cnt)
		cnt = bpf_map_lookup_elem(&emf_lost, &k);
	if (cnt)
		__sync_fetch_and_add(cnt, 1);
}

/* A record of @len bytes as the ring holds it: with its header, rounded as the kernel does. */
#define EMF__RB_RECORD_LEN(len) ((((__u64)(len)) + 8 + 7) & ~7ULL)

/*
 * Wake-up flags of a submit that takes the ring's unread data from
 * @avail - @len to @avail bytes: forced for the record that crosses the
 * threshold, so a ring filling up wakes the reader once, not per event;
 * otherwise 0, with which the kernel wakes the reader only when the record
 * is the first one it has not read (checked at commit, so records of other
 * CPUs in between cannot make it miss).
 */
static __always_inline __u64 emf__wakeup_flags(void *ring, __u64 avail, __u64 len)
{
	__u64 thresh = (bpf_ringbuf_query)(ring, BPF_RB_RING_SIZE) / EMF_WAKEUP_FRACTION;

	len = EMF__RB_RECORD_LEN(len);
	return avail >= thresh && avail < thresh + len ? BPF_RB_FORCE_WAKEUP : 0;
}

/* bpf_ringbuf_reserve() that counts a failure under @name. */
static __always_inline void *emf__reserve(void *map, __u64 size, __u64 flags, const char *name)
{
	void *rec = (bpf_ringbuf_reserve)(map, size, flags);

	if (!rec)
		emf__count_lost(name);
	return rec;
}

/* bpf_ringbuf_output() that counts a failure under @name; flags 0: a batched wake-up. */
static __always_inline long emf__output(void *map, void *data, __u64 size, __u64 flags,
					const char *name)
{
	long err;

	if (!flags)
		flags = emf__wakeup_flags(
			map, (bpf_ringbuf_query)(map, BPF_RB_AVAIL_DATA) + EMF__RB_RECORD_LEN(size),
			size);
	err = (bpf_ringbuf_output)(map, data, size, flags);
	if (err)
		emf__count_lost(name);
	return err;
}

/*
 * emf_reserve - bpf_ringbuf_reserve() that counts a failure as a lost event
 * @map: the ring buffer map, as &NAME
 * @size: bytes to reserve (a constant, as for bpf_ringbuf_reserve())
 *
 * Returns the record, or NULL when the ring is full (counted in emf_lost).
 */
#define emf_reserve(map, size) emf__reserve(map, size, 0, #map)

/*
 * emf_submit - submit a record of @map reserved with emf_reserve(), with a
 * batched wake-up. The record's size is taken as sizeof(*(rec)).
 */
#define emf_submit(map, rec)                                                                \
	(bpf_ringbuf_submit)(rec, emf__wakeup_flags(map,                                    \
						    (bpf_ringbuf_query)(map, BPF_RB_AVAIL_DATA), \
						    sizeof(*(rec))))

/* emf_discard - drop a record reserved with emf_reserve(); wakes nobody. */
#define emf_discard(rec) (bpf_ringbuf_discard)(rec, BPF_RB_NO_WAKEUP)

/*
 * emf_output - copy @size bytes at @data into ring buffer @map as one event,
 * with a batched wake-up; a full ring counts a lost event.
 *
 * Returns 0 or the negative error of bpf_ringbuf_output().
 */
#define emf_output(map, data, size) emf__output(map, data, size, 0, #map)

#endif /* vmlinux.h or linux/bpf.h */

#endif /* __EMF_RINGBUF_BPF_H */
