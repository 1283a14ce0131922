/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The kernel seam of the runtime: the bpf() calls of the reader, the sampled
 * maps, emf.maps (ctl_maps.c) and the shared slots and maps (slots.c,
 * slots_rec.c, slots_end.c, maps.c, share.c) go through one table, so that
 * this logic can run against a fake kernel in unit tests and against the
 * real one (kernel.c, through libbpf) everywhere else: map operations and
 * event buffers, map creation, pins, object info, reused map fds, BTF loads,
 * program fds and ids, whether a pin directory is on bpffs, and attaching:
 * links of every kind the runtime makes (attach.c, targets.c), iterators
 * (iter.c), TCX links, tc filters, sockmap programs, perf events and socket
 * filters; and the probes of hook and program type support that choose
 * among program variants (variants.c) and explain a refused load
 * (explain.c). Loading the object (the skeleton's calls, behind the
 * plugin's emf_plugin_ops) does not go through it, nor do object accessors
 * that touch no kernel (bpf_map__name(), ...).
 *
 * Each operation returns what libbpf 1.x returns: 0 or a negative errno, with
 * errno set too (the callers read either), and fds >= 0; constructors return
 * NULL with errno set. A map or program is handed over as a struct bpf_map or
 * bpf_program of the plugin's object, which the fake may not have loaded:
 * map_fd() and prog_fd() are the one place that turns it into an fd.
 */
#ifndef __EMF_KERNEL_H
#define __EMF_KERNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#pragma GCC visibility push(hidden)

struct emf_runtime;
struct emf_hook;
struct perf_event_attr;

/* What a program is attached to: one of libbpf's bpf_program__attach_*() calls. */
enum emf__attach_kind {
	EMF__AT_XDP,
	EMF__AT_CGROUP,
	EMF__AT_NETNS,
	EMF__AT_PERF_EVENT,
	EMF__AT_KPROBE,
	EMF__AT_UPROBE,
	EMF__AT_USDT,
	EMF__AT_TRACEPOINT,
	EMF__AT_RAW_TP,
	EMF__AT_ITER,
};

struct emf__attach_to {
	enum emf__attach_kind kind;
	int ifindex; /* XDP */
	int fd; /* CGROUP, NETNS: the target; PERF_EVENT: the event */
	pid_t pid; /* UPROBE, USDT: -1 for every process */
	bool retprobe; /* KPROBE, UPROBE */
	const char *binary; /* UPROBE, USDT */
	const char *func; /* KPROBE, UPROBE: the function; RAW_TP: the tracepoint */
	const char *provider, *probe; /* USDT */
	const char *category, *event; /* TRACEPOINT */
};

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
	/* the id of the program after @id (0: the first) in *@next; -ENOENT after the last */
	int (*prog_next_id)(uint32_t id, uint32_t *next);
	/* the fd of @prog, owned by its object (bpf_program__fd()) */
	int (*prog_fd)(const struct bpf_program *prog);

	/*
	 * Objects: a new map (bpf_map_create(); @opts may be NULL), the pin of
	 * @fd at @path and the object pinned at @path (both on bpffs), and the
	 * bpf_map_info or bpf_prog_info of @fd in @info, *@len bytes of it at
	 * most (set to what was written). The fds returned are the caller's.
	 */
	int (*map_create)(enum bpf_map_type type, const char *name, uint32_t key_size,
			  uint32_t value_size, uint32_t max_entries,
			  const struct bpf_map_create_opts *opts);
	int (*obj_pin)(int fd, const char *path);
	int (*obj_get)(const char *path);
	int (*obj_info)(int fd, void *info, uint32_t *len);
	/* @map of a plugin's object, not loaded yet, becomes map @fd (the caller keeps @fd) */
	int (*map_reuse_fd)(struct bpf_map *map, int fd);
	/* load @btf into the kernel; returns its fd, which @btf owns (btf__free() closes it) */
	int (*btf_load)(struct btf *btf);
	/* 0 when directory @fd is on bpffs, -ENODEV when it is not, or a negative errno */
	int (*bpffs_check)(int fd);

	/*
	 * Links: attach @prog to @to, a link the caller lets go of with
	 * link_destroy() (NULL with errno set on failure); a struct_ops map
	 * registered; a link's fd, owned by the link; a new run of iterator
	 * link @link_fd, an fd to read its output from, the caller's.
	 */
	struct bpf_link *(*attach)(const struct bpf_program *prog, const struct emf__attach_to *to);
	struct bpf_link *(*attach_struct_ops)(const struct bpf_map *map);
	int (*link_destroy)(struct bpf_link *link);
	int (*link_fd)(const struct bpf_link *link);
	int (*iter_create)(int link_fd);
	/* a BPF link fd of @prog_fd on @target_fd (bpf_link_create()), the caller's to close */
	int (*link_create)(int prog_fd, int target_fd, enum bpf_attach_type type);
	/* @prog_fd attached to @target_fd and detached (bpf_prog_attach(), bpf_prog_detach2()) */
	int (*prog_attach)(int prog_fd, int target_fd, enum bpf_attach_type type);
	int (*prog_detach)(int prog_fd, int target_fd, enum bpf_attach_type type);
	/* tc filters through netlink, as libbpf's bpf_tc_*() */
	int (*tc_hook_create)(struct bpf_tc_hook *hook);
	int (*tc_hook_destroy)(struct bpf_tc_hook *hook);
	int (*tc_attach)(const struct bpf_tc_hook *hook, struct bpf_tc_opts *opts);
	int (*tc_detach)(const struct bpf_tc_hook *hook, const struct bpf_tc_opts *opts);
	/* perf_event_open(2) of @attr for every process on @cpu: an fd, the caller's */
	int (*perf_event_open)(struct perf_event_attr *attr, int cpu);
	/*
	 * A packet socket of interface @ifindex with socket filter @prog_fd, as
	 * tcpdump makes one: an fd, the caller's.
	 */
	int (*socket_filter)(int prog_fd, unsigned int ifindex);

	/*
	 * Does the running kernel have hook @hook (variants_internal.h)? @rt
	 * gives the start's vmlinux BTF (emf__kernel_btf()).
	 */
	bool (*hook_supported)(struct emf_runtime *rt, const struct emf_hook *hook);
	/* Can the kernel load programs of @type? 1, 0, or a negative errno (libbpf_probe_bpf_prog_type()) */
	int (*prog_type_probe)(enum bpf_prog_type type);

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

/* The kernel @rt runs against: for the parts that reach it only through @rt's public API. */
const struct emf__kernel_ops *emf__runtime_kernel(const struct emf_runtime *rt);

/*
 * Run @rt against @ops (NULL: the real kernel) from now on: for unit tests,
 * before emf_runtime__start(). Returns the ops it replaced.
 */
const struct emf__kernel_ops *emf__runtime_set_kernel(struct emf_runtime *rt,
						      const struct emf__kernel_ops *ops);

#pragma GCC visibility pop

#endif /* __EMF_KERNEL_H */
