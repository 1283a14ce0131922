// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The real kernel behind the runtime's kernel seam (kernel.h): libbpf's map,
 * object, link, tc, ring buffer and perf buffer calls, the mmap of a ring's
 * positions, the file system type of a pin directory, perf events,
 * packet sockets and the probes of hook support.
 */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/magic.h>
#include <linux/perf_event.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "kernel.h"
#include "runtime_internal.h"
#include "variants_internal.h"

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

static struct bpf_link *k_attach(const struct bpf_program *cprog, const struct emf__attach_to *to)
{
	/* libbpf takes a program it does not change as non-const */
	struct bpf_program *prog = (struct bpf_program *)cprog;

	switch (to->kind) {
	case EMF__AT_XDP:
		return bpf_program__attach_xdp(prog, to->ifindex);
	case EMF__AT_CGROUP:
		return bpf_program__attach_cgroup(prog, to->fd);
	case EMF__AT_NETNS:
		return bpf_program__attach_netns(prog, to->fd);
	case EMF__AT_PERF_EVENT:
		return bpf_program__attach_perf_event(prog, to->fd);
	case EMF__AT_KPROBE: {
		LIBBPF_OPTS(bpf_kprobe_opts, ko, .retprobe = to->retprobe);

		return bpf_program__attach_kprobe_opts(prog, to->func, &ko);
	}
	case EMF__AT_UPROBE: {
		LIBBPF_OPTS(bpf_uprobe_opts, uo, .func_name = to->func, .retprobe = to->retprobe);

		return bpf_program__attach_uprobe_opts(prog, to->pid, to->binary, 0, &uo);
	}
	case EMF__AT_USDT:
		return bpf_program__attach_usdt(prog, to->pid, to->binary, to->provider, to->probe,
						NULL);
	case EMF__AT_TRACEPOINT:
		return bpf_program__attach_tracepoint(prog, to->category, to->event);
	case EMF__AT_RAW_TP:
		return bpf_program__attach_raw_tracepoint(prog, to->func);
	case EMF__AT_ITER:
		return bpf_program__attach_iter(prog, NULL);
	}
	errno = EINVAL;
	return NULL;
}

static struct bpf_link *k_attach_struct_ops(const struct bpf_map *map)
{
	return bpf_map__attach_struct_ops((struct bpf_map *)map);
}

static int k_link_create(int prog_fd, int target_fd, enum bpf_attach_type type)
{
	return bpf_link_create(prog_fd, target_fd, type, NULL);
}

static int k_prog_attach(int prog_fd, int target_fd, enum bpf_attach_type type)
{
	return bpf_prog_attach(prog_fd, target_fd, type, 0);
}

static int k_perf_event_open(struct perf_event_attr *attr, int cpu)
{
	int fd = syscall(__NR_perf_event_open, attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

static int k_socket_filter(int prog_fd, unsigned int ifindex)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET,
				   .sll_protocol = htons(ETH_P_ALL),
				   .sll_ifindex = (int)ifindex };
	int zero = 0, err, fd;

	/* Protocol 0: no frame is queued before the filter is on and the socket bound. */
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &zero, sizeof(zero)) ||
	    setsockopt(fd, SOL_SOCKET, SO_ATTACH_BPF, &prog_fd, sizeof(prog_fd)) ||
	    bind(fd, (struct sockaddr *)&sll, sizeof(sll))) {
		err = -errno;
		close(fd);
		errno = -err;
		return err;
	}
	return fd;
}

/*
 * Hook support, for the choice among program variants (variants.c). The
 * probes are real: a tiny program loaded with the hook's BTF id (tp_btf,
 * fentry, fexit: the same check the kernel makes at load), the program
 * type's support (libbpf_probe_bpf_prog_type()) and the hook's existence
 * (kernel BTF, tracefs, the kprobe PMU).
 */

/* The BTF id of @prefix@name of @kind in the start's vmlinux BTF, or 0. */
static int btf_id(struct emf_runtime *rt, const char *prefix, const char *name, int kind)
{
	struct btf *btf = emf__kernel_btf(rt);
	char full[192];
	int id;

	if (!btf)
		return 0;
	snprintf(full, sizeof(full), "%s%s", prefix, name);
	id = btf__find_by_name_kind(btf, full, kind);
	return id > 0 ? id : 0;
}

/* Load "r0 = 0; exit" as a tracing program at BTF id @id: what the kernel checks at load. */
static bool tracing_loads(enum bpf_attach_type at, int id)
{
	const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, o, .expected_attach_type = at, .attach_btf_id = id);
	int fd;

	if (!id)
		return false;
	fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, NULL, "GPL", insns, 2, &o);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

static bool tracefs_has(const char *category, const char *name)
{
	char path[320];
	struct statfs st;

	if (statfs("/sys/kernel/tracing", &st) || st.f_type != TRACEFS_MAGIC)
		return false;
	snprintf(path, sizeof(path), "/sys/kernel/tracing/events/%s/%s", category, name);
	return !access(path, F_OK);
}

static int k_prog_type_probe(enum bpf_prog_type type)
{
	return libbpf_probe_bpf_prog_type(type, NULL);
}

static bool k_hook_supported(struct emf_runtime *rt, const struct emf_hook *h)
{
	switch (h->kind) {
	case EMF_HOOK_TP_BTF:
		return tracing_loads(BPF_TRACE_RAW_TP,
				     btf_id(rt, "btf_trace_", h->target, BTF_KIND_TYPEDEF));
	case EMF_HOOK_RAW_TP:
		return k_prog_type_probe(BPF_PROG_TYPE_RAW_TRACEPOINT) == 1 &&
		       (!emf__kernel_btf(rt) ||
			btf_id(rt, "btf_trace_", h->target, BTF_KIND_TYPEDEF));
	case EMF_HOOK_TP:
		return k_prog_type_probe(BPF_PROG_TYPE_TRACEPOINT) == 1 &&
		       tracefs_has(h->category, h->target);
	case EMF_HOOK_FENTRY:
	case EMF_HOOK_FEXIT:
		return tracing_loads(h->kind == EMF_HOOK_FENTRY ? BPF_TRACE_FENTRY :
								  BPF_TRACE_FEXIT,
				     btf_id(rt, "", h->target, BTF_KIND_FUNC));
	case EMF_HOOK_KPROBE:
	case EMF_HOOK_KRETPROBE:
		return k_prog_type_probe(BPF_PROG_TYPE_KPROBE) == 1 &&
		       (!access("/sys/bus/event_source/devices/kprobe/type", F_OK) ||
			!access("/sys/kernel/tracing/kprobe_events", F_OK)) &&
		       (!emf__kernel_btf(rt) || btf_id(rt, "", h->target, BTF_KIND_FUNC));
	}
	return false;
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
	.attach = k_attach,
	.attach_struct_ops = k_attach_struct_ops,
	.link_destroy = bpf_link__destroy,
	.link_fd = bpf_link__fd,
	.iter_create = bpf_iter_create,
	.link_create = k_link_create,
	.prog_attach = k_prog_attach,
	.prog_detach = bpf_prog_detach2,
	.tc_hook_create = bpf_tc_hook_create,
	.tc_hook_destroy = bpf_tc_hook_destroy,
	.tc_attach = bpf_tc_attach,
	.tc_detach = bpf_tc_detach,
	.perf_event_open = k_perf_event_open,
	.socket_filter = k_socket_filter,
	.hook_supported = k_hook_supported,
	.prog_type_probe = k_prog_type_probe,
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
