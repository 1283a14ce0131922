// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The real kernel behind the runtime's kernel seam (kernel.h): libbpf's map,
 * object, ring buffer and perf buffer calls, the mmap of a ring's positions
 * and the file system type of a pin directory.
 */
#include <errno.h>
#include <sys/mman.h>
#include <sys/vfs.h>
#include <linux/magic.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "kernel.h"
#include "runtime_internal.h"

static int k_map_fd(const struct bpf_map *map)
{
	return bpf_map__fd(map);
}

static int k_map_lookup(int fd, const void *key, void *value)
{
	return bpf_map_lookup_elem(fd, key, value);
}

static int k_map_update(int fd, const void *key, const void *value, uint64_t flags)
{
	return bpf_map_update_elem(fd, key, value, flags);
}

static int k_map_delete(int fd, const void *key)
{
	return bpf_map_delete_elem(fd, key);
}

static int k_map_next_key(int fd, const void *key, void *next_key)
{
	return bpf_map_get_next_key(fd, key, next_key);
}

static int k_prog_fd_by_id(uint32_t id)
{
	return bpf_prog_get_fd_by_id(id);
}

static int k_prog_next_id(uint32_t id, uint32_t *next)
{
	return bpf_prog_get_next_id(id, next);
}

static int k_prog_fd(const struct bpf_program *prog)
{
	return bpf_program__fd(prog);
}

static int k_map_create(enum bpf_map_type type, const char *name, uint32_t key_size,
			uint32_t value_size, uint32_t max_entries,
			const struct bpf_map_create_opts *opts)
{
	return bpf_map_create(type, name, key_size, value_size, max_entries, opts);
}

static int k_obj_pin(int fd, const char *path)
{
	return bpf_obj_pin(fd, path);
}

static int k_obj_get(const char *path)
{
	return bpf_obj_get(path);
}

static int k_obj_info(int fd, void *info, uint32_t *len)
{
	return bpf_obj_get_info_by_fd(fd, info, len);
}

static int k_map_reuse_fd(struct bpf_map *map, int fd)
{
	return bpf_map__reuse_fd(map, fd);
}

static int k_btf_load(struct btf *btf)
{
	int err = btf__load_into_kernel(btf);

	return err ?: btf__fd(btf);
}

static int k_bpffs_check(int fd)
{
	struct statfs st;

	if (fstatfs(fd, &st))
		return -errno;
	if (st.f_type != BPF_FS_MAGIC) {
		errno = ENODEV;
		return -ENODEV;
	}
	return 0;
}

static struct ring_buffer *k_ringbuf_new(int fd, ring_buffer_sample_fn cb, void *ctx)
{
	return ring_buffer__new(fd, cb, ctx, NULL);
}

static const void *k_ringbuf_positions(int fd, size_t page)
{
	void *pos = mmap(NULL, 2 * page, PROT_READ, MAP_SHARED, fd, 0);

	return pos == MAP_FAILED ? NULL : pos;
}

static void k_ringbuf_unmap(const void *pos, size_t page)
{
	munmap((void *)pos, 2 * page);
}

static struct perf_buffer *k_perfbuf_new(int fd, size_t pages, struct perf_event_attr *attr,
					 perf_buffer_event_fn cb, void *ctx)
{
	return perf_buffer__new_raw(fd, pages, attr, cb, ctx, NULL);
}

const struct emf__kernel_ops emf__kernel_libbpf = {
	.map_fd = k_map_fd,
	.map_lookup = k_map_lookup,
	.map_update = k_map_update,
	.map_delete = k_map_delete,
	.map_next_key = k_map_next_key,
	.possible_cpus = libbpf_num_possible_cpus,
	.prog_fd_by_id = k_prog_fd_by_id,
	.prog_next_id = k_prog_next_id,
	.prog_fd = k_prog_fd,
	.map_create = k_map_create,
	.obj_pin = k_obj_pin,
	.obj_get = k_obj_get,
	.obj_info = k_obj_info,
	.map_reuse_fd = k_map_reuse_fd,
	.btf_load = k_btf_load,
	.bpffs_check = k_bpffs_check,
	.ringbuf_new = k_ringbuf_new,
	.ringbuf_consume = ring_buffer__consume,
	.ringbuf_free = ring_buffer__free,
	.ringbuf_positions = k_ringbuf_positions,
	.ringbuf_unmap = k_ringbuf_unmap,
	.perfbuf_new = k_perfbuf_new,
	.perfbuf_consume = perf_buffer__consume,
	.perfbuf_epoll_fd = perf_buffer__epoll_fd,
	.perfbuf_free = perf_buffer__free,
};

const struct emf__kernel_ops *emf__runtime_kernel(const struct emf_runtime *rt)
{
	return rt->kernel;
}

const struct emf__kernel_ops *emf__runtime_set_kernel(struct emf_runtime *rt,
						      const struct emf__kernel_ops *ops)
{
	const struct emf__kernel_ops *old = rt->kernel;

	rt->kernel = ops ?: &emf__kernel_libbpf;
	return old;
}
