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
 * accounting (emf_output(&events, &ev, sizeof(ev)) does both for an event
 * built elsewhere). Instead of waking the reader for every event, as
 * bpf_ringbuf_submit(e, 0) does when the reader has caught up, the submit
 * wakes it only when it fills the ring past 1/EMF_WAKEUP_FRACTION of its
 * size; the reader also drains every ring on a timer (2 ms by default), which
 * bounds the delay of an event to the drain interval plus scheduling. A busy
 * ring so costs one wake-up per fill step instead of one per event.
 *
 * A reserve that fails because the ring is full is counted, per CPU, in the
 * plugin's emf_lost map under the output map's name (its first 15
 * characters); the SDK adds it to the plugin's lost events and warns. Pass
 * the map as &NAME. Plain bpf_ringbuf_*() calls keep working, but their
 * failures are not counted. Perf event array outputs need nothing here: the
 * kernel reports their losses to the reader itself.
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
 * with emf_log2l(); printed as a histogram. The _CLEAR forms delete the
 * entries of a hash map, or zero those of an array, after each read, so each
 * sample covers one interval.
 */
#define EMF_SAMPLE_COUNTERS(ms) __attribute__((btf_decl_tag("emf.sample:counters:" #ms)))
#define EMF_SAMPLE_COUNTERS_CLEAR(ms)                                                       \
	__attribute__((btf_decl_tag("emf.sample:counters:" #ms ":clear")))
#define EMF_SAMPLE_LOG2_HIST(ms) __attribute__((btf_decl_tag("emf.sample:log2:" #ms)))
#define EMF_SAMPLE_LOG2_HIST_CLEAR(ms) __attribute__((btf_decl_tag("emf.sample:log2:" #ms ":clear")))

/*
 * Event fields that emf renders as network addresses rather than numbers:
 * emf_ipv4_t holds an IPv4 address in network byte order ("10.0.0.1");
 * emf_ipaddr_t holds 16 bytes: an IPv6 address ("::1"), or an IPv4 one either
 * in its first 4 bytes with the rest zero or v4-mapped (::ffff:a.b.c.d), both
 * rendered "a.b.c.d". Use them in the event header, after this header.
 */
typedef unsigned int emf_ipv4_t;
typedef unsigned char emf_ipaddr_t[16];

#if defined(__VMLINUX_H__) || defined(_UAPI__LINUX_BPF_H__)
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

/* Events each CPU could not reserve, by output map; read and summed by the SDK. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, EMF_LOST_MAX_OUTPUTS);
	__type(key, struct emf_lost_key);
	__type(value, __u64);
} emf_lost SEC(".maps");

/* @name is the stringified map argument, "&events": folded to constant stores. */
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

static __always_inline void emf__lost_key(struct emf_lost_key *k, const char *name)
{
	int i, j = 0;

	__builtin_memset(k, 0, sizeof(*k));
#pragma unroll
	for (i = 0; i < 64 && name[i] && j < EMF_MAP_NAME_LEN - 1; i++) {
		if (name[i] == '&' || name[i] == ' ')
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

/*
 * Wake-up flags of a submit that takes the ring's unread data from
 * @avail - @len to @avail bytes: a wake-up only for the record that crosses
 * the threshold, so a ring filling up wakes the reader once, not per event.
 */
static __always_inline __u64 emf__wakeup_flags(void *ring, __u64 avail, __u64 len)
{
	__u64 thresh = bpf_ringbuf_query(ring, BPF_RB_RING_SIZE) / EMF_WAKEUP_FRACTION;

	len = (len + 8 + 7) & ~7ULL; /* with the record header, rounded as the kernel does */
	return avail >= thresh && avail < thresh + len ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
}

/*
 * emf_reserve - bpf_ringbuf_reserve() that counts a failure as a lost event
 * @map: the ring buffer map, as &NAME
 * @size: bytes to reserve (a constant, as for bpf_ringbuf_reserve())
 *
 * Returns the record, or NULL when the ring is full (counted in emf_lost).
 */
#define emf_reserve(map, size)                                                              \
	({                                                                                  \
		void *__emf_rec = bpf_ringbuf_reserve(map, size, 0);                        \
		if (!__emf_rec)                                                             \
			emf__count_lost(#map);                                              \
		__emf_rec;                                                                  \
	})

/*
 * emf_submit - submit a record of @map reserved with emf_reserve(), with a
 * batched wake-up. The record's size is taken as sizeof(*(rec)).
 */
#define emf_submit(map, rec)                                                                \
	bpf_ringbuf_submit(rec, emf__wakeup_flags(map, bpf_ringbuf_query(map, BPF_RB_AVAIL_DATA), \
						  sizeof(*(rec))))

/* emf_discard - drop a record reserved with emf_reserve(); wakes nobody. */
#define emf_discard(rec) bpf_ringbuf_discard(rec, BPF_RB_NO_WAKEUP)

/*
 * emf_output - copy @size bytes at @data into ring buffer @map as one event,
 * with a batched wake-up; a full ring counts a lost event.
 *
 * Returns 0 or the negative error of bpf_ringbuf_output().
 */
#define emf_output(map, data, size)                                                         \
	({                                                                                  \
		__u64 __emf_len = (size);                                                   \
		long __emf_err = bpf_ringbuf_output(                                        \
			map, data, __emf_len,                                               \
			emf__wakeup_flags(map,                                              \
					  bpf_ringbuf_query(map, BPF_RB_AVAIL_DATA) +       \
						  ((__emf_len + 8 + 7) & ~7ULL),            \
					  __emf_len));                                      \
		if (__emf_err)                                                              \
			emf__count_lost(#map);                                              \
		__emf_err;                                                                  \
	})

#endif /* vmlinux.h or linux/bpf.h */

/* Shared tail-call slots and shared maps. */
#include <emf/slots.bpf.h>

#endif /* __EMF_BPF_H */
