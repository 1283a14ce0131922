/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The kernel seam of the runtime: every bpf() map operation and event buffer
 * the reader, the sampled maps and the tail-call slots use goes through one
 * table, so that the logic above it can run against a fake kernel in unit
 * tests and against the real one (kernel.c, through libbpf) everywhere else.
 *
 * Each operation returns what libbpf 1.x returns: 0 or a negative errno, with
 * errno set too (the callers read either); constructors return NULL with errno
 * set. A map is handed over as a struct bpf_map of the plugin's object, which
 * the fake may not have loaded: map_fd() is the one place that turns it into
 * an fd.
 */
#ifndef __EMF_KERNEL_H
#define __EMF_KERNEL_H

#include <stddef.h>
#include <stdint.h>
#include <bpf/libbpf.h>

#pragma GCC visibility push(hidden)

struct emf_runtime;

struct emf__kernel_ops {
	/* maps */
	int (*map_fd)(const struct bpf_map *map);
	int (*map_lookup)(int fd, const void *key, void *value);
	int (*map_update)(int fd, const void *key, const void *value, uint64_t flags);
	int (*map_delete)(int fd, const void *key);
	int (*map_next_key)(int fd, const void *key, void *next_key);
	int (*possible_cpus)(void);
	/* an fd of program @id, or a negative errno; the caller closes it */
	int (*prog_fd_by_id)(uint32_t id);

	/* ring buffers: @fd is also what the reader waits on (edge-triggered) */
	struct ring_buffer *(*ringbuf_new)(int fd, ring_buffer_sample_fn cb, void *ctx);
	int (*ringbuf_consume)(struct ring_buffer *rb);
	void (*ringbuf_free)(struct ring_buffer *rb);
	/*
	 * The consumer and producer positions of ring @fd, read-only: two
	 * uint64_t @page bytes apart. Returns NULL with errno set on failure;
	 * ringbuf_unmap() lets go of them.
	 */
	const void *(*ringbuf_positions)(int fd, size_t page);
	void (*ringbuf_unmap)(const void *pos, size_t page);

	/* perf buffers: perfbuf_epoll_fd() is what the reader waits on */
	struct perf_buffer *(*perfbuf_new)(int fd, size_t pages, struct perf_event_attr *attr,
					   perf_buffer_event_fn cb, void *ctx);
	int (*perfbuf_consume)(struct perf_buffer *pb);
	int (*perfbuf_epoll_fd)(const struct perf_buffer *pb);
	void (*perfbuf_free)(struct perf_buffer *pb);
};

/* The real kernel, through libbpf. */
extern const struct emf__kernel_ops emf__kernel_libbpf;

/*
 * Run @rt against @ops (NULL: the real kernel) from now on: for unit tests,
 * before emf_runtime__start(). Returns the ops it replaced.
 */
const struct emf__kernel_ops *emf__runtime_set_kernel(struct emf_runtime *rt,
						      const struct emf__kernel_ops *ops);

#pragma GCC visibility pop

#endif /* __EMF_KERNEL_H */
