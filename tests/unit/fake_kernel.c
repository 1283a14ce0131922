// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The fake kernel of fake_kernel.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <linux/perf_event.h>
#include <CUnit/Basic.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <emf/log.h>

#include "kernel.h"
#include "fake_kernel.h"
#include "variants_internal.h"

#define FK_MAPS 32
#define FK_PROGS 32
#define FK_FDS 128
#define FK_PINS 32
#define FK_RECS 64
#define FK_PAGE 4096
#define FK_MAP_ID 100 /* the first id of a map */
#define FK_PROG_ID 1000 /* the first id of a program of an object */
#define FK_ATTS 64

struct fk_rec {
	size_t size;
	_Alignas(8) unsigned char data[256];
};

/* A ring or perf buffer: the map it reads and its queued records. */
struct fk_buf {
	struct fk_map *map;
	bool perf;
	int efd; /* perf: what the reader waits on */
	ring_buffer_sample_fn ring_cb;
	perf_buffer_event_fn perf_cb;
	void *ctx;
	struct fk_rec recs[FK_RECS];
	size_t head, tail;
};

/* A program: one fk_prog_add() made (found by id), or one of an object (prog_fd()). */
struct fk_prog {
	uint32_t id;
	int fd; /* the fake's own, -1 until first needed */
	const struct bpf_program *prog; /* NULL: added by the test */
};

/*
 * An fd the fake handed to its caller (obj_get(), map_create(),
 * prog_fd_by_id()), who closes it: a dup of the object's own fd, told apart
 * by its number.
 */
struct fk_fd {
	int fd;
	struct fk_map *map;
	struct fk_prog *prog;
};

/* A pin: a file at its path, held open so that its inode stays the pin's. */
struct fk_pin {
	dev_t dev;
	ino_t ino;
	int fd;
	struct fk_map *map;
	struct fk_prog *prog;
};

/* A map of an object that bpf_map__reuse_fd() made another map. */
struct fk_reuse {
	const struct bpf_map *map;
	char name[32];
	struct fk_map *to;
};

static struct fk_map maps[FK_MAPS];
static size_t n_maps;
static struct fk_prog progs[FK_PROGS];
static size_t n_progs;
static struct fk_fd fds[FK_FDS];
static size_t n_fds;
static struct fk_pin pins[FK_PINS];
static size_t n_pins;
static struct fk_reuse reuses[FK_MAPS];
static size_t n_reuses;
static int btf_fds[FK_MAPS];
static size_t n_btf_fds;
static bool no_bpffs;
static unsigned int n_creates;
static struct fk_buf bufs[FK_MAPS];
static size_t n_bufs;
static _Alignas(4096) uint64_t positions[2 * FK_PAGE / 8];
static struct fk_att atts[FK_ATTS];
static size_t n_atts;
static bool no_tcx;
static int qdisc_err; /* what the next tc_hook_create() returns */
static char fail_prog[64]; /* the next attachment of this program fails */
static int fail_err;
static char iter_out[256];
static size_t iter_len;
static unsigned int hooks = ~0u; /* the hook kinds it has, a bit each */

static int fail(int err)
{
	errno = -err;
	return err;
}

void fk_reset(void)
{
	size_t i;

	for (i = 0; i < n_maps; i++)
		close(maps[i].fd);
	for (i = 0; i < n_progs; i++)
		if (progs[i].fd >= 0)
			close(progs[i].fd);
	for (i = 0; i < n_pins; i++)
		close(pins[i].fd);
	for (i = 0; i < n_btf_fds; i++)
		close(btf_fds[i]);
	for (i = 0; i < n_bufs; i++)
		if (bufs[i].perf)
			close(bufs[i].efd);
	for (i = 0; i < n_atts; i++)
		if (atts[i].watch >= 0)
			close(atts[i].watch);
	memset(atts, 0, sizeof(atts));
	n_atts = 0;
	no_tcx = false;
	qdisc_err = 0;
	fail_prog[0] = '\0';
	iter_len = 0;
	hooks = ~0u;
	memset(maps, 0, sizeof(maps));
	memset(bufs, 0, sizeof(bufs));
	n_maps = n_bufs = n_progs = n_fds = n_pins = n_reuses = n_btf_fds = 0;
	n_creates = 0;
	no_bpffs = false;
}

/* A new fd of the fake's: a number the kernel reused, so no handed-out fd has it any more. */
static int new_fd(int fd)
{
	size_t i;

	for (i = 0; fd >= 0 && i < n_fds;)
		if (fds[i].fd == fd)
			fds[i] = fds[--n_fds];
		else
			i++;
	return fd;
}

/* A caller's fd of @m or @p (one of them NULL), or a negative errno. */
static int hand_out(struct fk_map *m, struct fk_prog *p)
{
	int fd;

	if (n_fds == FK_FDS)
		return fail(-EMFILE);
	fd = new_fd(dup(m ? m->fd : p->fd));
	if (fd < 0)
		return fail(-errno);
	fds[n_fds++] = (struct fk_fd){ fd, m, p };
	return fd;
}

struct fk_map *fk_map(const char *name)
{
	size_t i;

	for (i = 0; i < n_maps; i++)
		if (!strcmp(maps[i].name, name))
			return &maps[i];
	return NULL;
}

static struct fk_map *by_fd(int fd)
{
	size_t i;

	for (i = 0; fd >= 0 && i < n_maps; i++)
		if (maps[i].fd == fd)
			return &maps[i];
	for (i = 0; fd >= 0 && i < n_fds; i++)
		if (fds[i].fd == fd)
			return fds[i].map;
	return NULL;
}

static struct fk_prog *prog_by_fd(int fd)
{
	size_t i;

	for (i = 0; fd >= 0 && i < n_progs; i++)
		if (progs[i].fd == fd)
			return &progs[i];
	for (i = 0; fd >= 0 && i < n_fds; i++)
		if (fds[i].fd == fd)
			return fds[i].prog;
	return NULL;
}

static bool percpu(const struct fk_map *m)
{
	return m->type == BPF_MAP_TYPE_PERCPU_HASH || m->type == BPF_MAP_TYPE_PERCPU_ARRAY;
}

/* The kernel pads each CPU's value to 8 bytes. */
static size_t stride(const struct fk_map *m)
{
	return (m->value_size + 7) / 8 * 8;
}

/* A real fd per map, so that the reader can wait on a ring's. */
static struct fk_map *map_new(const char *name, uint32_t type, size_t key_size, size_t value_size,
			      uint32_t max_entries)
{
	struct fk_map *m;

	bool pcpu = type == BPF_MAP_TYPE_PERCPU_HASH || type == BPF_MAP_TYPE_PERCPU_ARRAY;

	/* Each entry holds FK_CPUS * 64 bytes: one value that long, or 64 per CPU. */
	if (n_maps == FK_MAPS || key_size > 64 || value_size > (pcpu ? 64 : FK_CPUS * 64)) {
		errno = E2BIG;
		return NULL;
	}
	m = &maps[n_maps];
	snprintf(m->name, sizeof(m->name), "%s", name);
	m->type = type;
	m->key_size = key_size;
	m->value_size = value_size;
	m->max_entries = max_entries;
	m->fd = new_fd(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
	if (m->fd < 0)
		return NULL;
	m->id = FK_MAP_ID + (uint32_t)n_maps++;
	/* An array holds every index from the start. */
	if (type == BPF_MAP_TYPE_ARRAY || type == BPF_MAP_TYPE_PERCPU_ARRAY) {
		for (uint32_t k = 0; k < max_entries && k < FK_MAX_ENTRIES; k++)
			memcpy(m->keys[m->n++], &k, sizeof(k));
	}
	return m;
}

struct fk_map *fk_map_new(const char *name, uint32_t type, size_t key_size, size_t value_size)
{
	return map_new(name, type, key_size, value_size, FK_MAX_ENTRIES);
}

static int fk_map_fd(const struct bpf_map *map)
{
	struct fk_map *m = NULL;
	size_t i;

	for (i = 0; i < n_reuses && !m; i++)
		if (reuses[i].map == map && !strcmp(reuses[i].name, bpf_map__name(map)))
			m = reuses[i].to;
	if (!m)
		m = fk_map(bpf_map__name(map));
	if (!m)
		m = map_new(bpf_map__name(map), bpf_map__type(map), bpf_map__key_size(map),
			    bpf_map__value_size(map), bpf_map__max_entries(map));
	return m ? m->fd : fail(-EINVAL);
}

struct fk_map *fk_map_of(const struct emf_plugin *plugin, const char *name)
{
	struct bpf_object *obj = emf_plugin__object(plugin);
	struct bpf_map *map = obj ? bpf_object__find_map_by_name(obj, name) : NULL;

	return map && fk_map_fd(map) >= 0 ? by_fd(fk_map_fd(map)) : NULL;
}

static long find(const struct fk_map *m, const void *key)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		if (!memcmp(m->keys[i], key, m->key_size))
			return (long)i;
	return -1;
}

static int fk_map_lookup(int fd, const void *key, void *value)
{
	struct fk_map *m = by_fd(fd);
	long i = m ? find(m, key) : -1;

	if (!m)
		return fail(-EBADF);
	m->lookups++;
	if (i < 0)
		return fail(-ENOENT);
	memcpy(value, m->vals[i], percpu(m) ? FK_CPUS * stride(m) : m->value_size);
	return 0;
}

static int fk_map_update(int fd, const void *key, const void *value, uint64_t flags)
{
	struct fk_map *m = by_fd(fd);
	long i = m ? find(m, key) : -1;
	struct fk_prog *p;
	uint32_t id = 0;

	if (!m)
		return fail(-EBADF);
	/* A prog array takes a program fd and holds its id. */
	if (m->type == BPF_MAP_TYPE_PROG_ARRAY) {
		p = prog_by_fd(*(const int *)value);
		if (!p)
			return fail(-EBADF);
		if (m->refuse)
			return fail(-EINVAL);
		id = p->id;
		value = &id;
	}
	if (i >= 0 && flags == BPF_NOEXIST)
		return fail(-EEXIST);
	if (i < 0) {
		/* A full hash refuses a new key; an array has no index past its last. */
		if (m->n == FK_MAX_ENTRIES || m->n == m->max_entries)
			return fail(-E2BIG);
		i = (long)m->n++;
		memcpy(m->keys[i], key, m->key_size);
	}
	m->updates++;
	memcpy(m->vals[i], value, percpu(m) ? FK_CPUS * stride(m) : m->value_size);
	return 0;
}

void fk_map_put(struct fk_map *m, const void *key, const void *val, size_t n_cpus)
{
	long i = find(m, key);
	size_t c;

	if (i < 0) {
		if (m->n == FK_MAX_ENTRIES)
			abort();
		i = (long)m->n++;
		memcpy(m->keys[i], key, m->key_size);
	}
	memset(m->vals[i], 0, sizeof(m->vals[i]));
	for (c = 0; c < n_cpus && c < FK_CPUS; c++)
		memcpy(m->vals[i] + c * stride(m), (const char *)val + c * m->value_size,
		       m->value_size);
}

static int fk_map_delete(int fd, const void *key)
{
	struct fk_map *m = by_fd(fd);
	long i = m ? find(m, key) : -1;

	if (!m)
		return fail(-EBADF);
	if (m->type == BPF_MAP_TYPE_ARRAY || m->type == BPF_MAP_TYPE_PERCPU_ARRAY)
		return fail(-EINVAL);
	m->deletes++;
	if (i < 0)
		return fail(-ENOENT);
	memmove(m->keys[i], m->keys[i + 1], (m->n - i - 1) * sizeof(m->keys[0]));
	memmove(m->vals[i], m->vals[i + 1], (m->n - i - 1) * sizeof(m->vals[0]));
	m->n--;
	return 0;
}

static int fk_map_next_key(int fd, const void *key, void *next_key)
{
	struct fk_map *m = by_fd(fd);
	/* A key that is gone restarts the walk (find() + 1 == 0), as the kernel's hash does. */
	long i = !m ? -1 : key ? find(m, key) + 1 : 0;

	if (!m)
		return fail(-EBADF);
	if (i >= (long)m->n)
		return fail(-ENOENT);
	memcpy(next_key, m->keys[i], m->key_size);
	return 0;
}

static int fk_possible_cpus(void)
{
	return FK_CPUS;
}

static struct fk_prog *prog_new(uint32_t id, const struct bpf_program *prog)
{
	struct fk_prog *p;

	if (n_progs == FK_PROGS)
		abort();
	p = &progs[n_progs++];
	p->id = id;
	p->prog = prog;
	p->fd = new_fd(eventfd(0, EFD_CLOEXEC));
	if (p->fd < 0)
		abort();
	return p;
}

void fk_prog_add(uint32_t id)
{
	prog_new(id, NULL);
}

static int fk_prog_fd_by_id(uint32_t id)
{
	size_t i;

	for (i = 0; i < n_progs; i++)
		if (!progs[i].prog && progs[i].id == id)
			return hand_out(NULL, &progs[i]);
	return fail(-ENOENT);
}

/* In id order, the programs fk_prog_add() made: those the fake finds by id. */
static int fk_prog_next_id(uint32_t id, uint32_t *next)
{
	uint32_t best = 0;
	size_t i;

	for (i = 0; i < n_progs; i++)
		if (!progs[i].prog && progs[i].id > id && (!best || progs[i].id < best))
			best = progs[i].id;
	if (!best)
		return fail(-ENOENT);
	*next = best;
	return 0;
}

static struct fk_prog *prog_of(const struct bpf_program *prog)
{
	size_t i;

	for (i = 0; i < n_progs; i++)
		if (progs[i].prog == prog)
			return &progs[i];
	return prog_new(FK_PROG_ID + (uint32_t)n_progs, prog);
}

static int fk_prog_fd(const struct bpf_program *prog)
{
	return prog_of(prog)->fd;
}

uint32_t fk_prog_id(const struct bpf_program *prog)
{
	return prog_of(prog)->id;
}

static int fk_map_create(enum bpf_map_type type, const char *name, uint32_t key_size,
			 uint32_t value_size, uint32_t max_entries,
			 const struct bpf_map_create_opts *opts)
{
	struct fk_map *m;

	if (!max_entries)
		return fail(-EINVAL);
	m = map_new(name, type, key_size, value_size, max_entries);
	if (!m)
		return fail(-errno);
	n_creates++;
	if (opts) {
		m->flags = opts->map_flags;
		m->btf_key_type_id = opts->btf_fd ? opts->btf_key_type_id : 0;
		m->btf_value_type_id = opts->btf_fd ? opts->btf_value_type_id : 0;
	}
	return hand_out(m, NULL);
}

static int fk_obj_pin(int fd, const char *path)
{
	struct fk_map *m = by_fd(fd);
	struct fk_prog *p = m ? NULL : prog_by_fd(fd);
	struct stat st;
	int file;

	if (!m && !p)
		return fail(-EINVAL);
	if (n_pins == FK_PINS)
		return fail(-ENOSPC);
	file = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (file < 0)
		return fail(-errno);
	if (fstat(file, &st)) {
		close(file);
		return fail(-EIO);
	}
	pins[n_pins++] = (struct fk_pin){ st.st_dev, st.st_ino, new_fd(file), m, p };
	return 0;
}

static struct fk_pin *pin_at(const char *path, int *err)
{
	struct stat st;
	size_t i;

	if (stat(path, &st)) {
		*err = -errno;
		return NULL;
	}
	for (i = 0; i < n_pins; i++)
		if (pins[i].dev == st.st_dev && pins[i].ino == st.st_ino)
			return &pins[i];
	*err = -EACCES; /* a file, but no BPF object: what the kernel says */
	return NULL;
}

static int fk_obj_get(const char *path)
{
	int err = 0;
	struct fk_pin *pin = pin_at(path, &err);

	return pin ? hand_out(pin->map, pin->prog) : fail(err);
}

int fk_pin(struct fk_map *m, const char *path)
{
	return fk_obj_pin(m->fd, path);
}

struct fk_map *fk_pinned(const char *path)
{
	int err;
	struct fk_pin *pin = pin_at(path, &err);

	return pin ? pin->map : NULL;
}

static int fk_obj_info(int fd, void *info, uint32_t *len)
{
	struct fk_map *m = by_fd(fd);
	struct fk_prog *p = m ? NULL : prog_by_fd(fd);
	union {
		struct bpf_map_info map;
		struct bpf_prog_info prog;
	} u = {};
	size_t n;

	if (m) {
		u.map.type = m->type;
		u.map.id = m->id;
		u.map.key_size = (uint32_t)m->key_size;
		u.map.value_size = (uint32_t)m->value_size;
		u.map.max_entries = m->max_entries;
		u.map.map_flags = m->flags;
		u.map.btf_key_type_id = m->btf_key_type_id;
		u.map.btf_value_type_id = m->btf_value_type_id;
		snprintf(u.map.name, sizeof(u.map.name), "%.15s", m->name);
		n = sizeof(u.map);
	} else if (p) {
		u.prog.type = p->prog ? bpf_program__type(p->prog) : BPF_PROG_TYPE_UNSPEC;
		u.prog.id = p->id;
		n = sizeof(u.prog); /* nr_map_ids 0: no program of the fake uses a map */
	} else {
		return fail(-EINVAL);
	}
	if (n > *len)
		n = *len;
	memcpy(info, &u, n);
	*len = (uint32_t)n;
	return 0;
}

static int fk_map_reuse_fd(struct bpf_map *map, int fd)
{
	struct fk_map *m = by_fd(fd);
	size_t i;

	if (!map || !m)
		return fail(-EINVAL);
	for (i = 0; i < n_reuses && reuses[i].map != map; i++)
		;
	if (i == FK_MAPS)
		return fail(-ENOSPC);
	reuses[i].map = map;
	snprintf(reuses[i].name, sizeof(reuses[i].name), "%s", bpf_map__name(map));
	reuses[i].to = m;
	if (i == n_reuses)
		n_reuses++;
	return 0;
}

/* A BTF object the kernel took: an fd the fake owns and closes at fk_reset(). */
static int fk_btf_load(struct btf *btf)
{
	int fd;

	if (!btf || n_btf_fds == FK_MAPS)
		return fail(-EINVAL);
	fd = new_fd(eventfd(0, EFD_CLOEXEC));
	if (fd < 0)
		return fail(-errno);
	btf_fds[n_btf_fds++] = fd;
	return fd;
}

static int fk_bpffs_check(int fd)
{
	(void)fd;
	return no_bpffs ? fail(-ENODEV) : 0;
}

unsigned int fk_map_creates(void)
{
	return n_creates;
}

void fk_set_bpffs(bool on)
{
	no_bpffs = !on;
}

static struct fk_buf *buf_of(const char *name)
{
	size_t i;

	for (i = 0; i < n_bufs; i++)
		if (!strcmp(bufs[i].map->name, name))
			return &bufs[i];
	return NULL;
}

static struct fk_buf *buf_new(int fd, bool perf)
{
	struct fk_map *m = by_fd(fd);
	struct fk_buf *b;

	if (!m || n_bufs == FK_MAPS) {
		errno = EINVAL;
		return NULL;
	}
	b = &bufs[n_bufs++];
	b->map = m;
	b->perf = perf;
	b->efd = perf ? eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC) : m->fd;
	return b;
}

static struct ring_buffer *fk_ringbuf_new(int fd, ring_buffer_sample_fn cb, void *ctx)
{
	struct fk_buf *b = buf_new(fd, false);

	if (b) {
		b->ring_cb = cb;
		b->ctx = ctx;
	}
	return (struct ring_buffer *)b;
}

static void push(struct fk_buf *b, const void *data, size_t size)
{
	uint64_t one = 1;

	if (!b || b->tail - b->head == FK_RECS || size > sizeof(b->recs[0].data))
		abort();
	memcpy(b->recs[b->tail % FK_RECS].data, data, size);
	b->recs[b->tail++ % FK_RECS].size = size;
	if (write(b->efd, &one, sizeof(one)) != sizeof(one))
		abort();
}

void fk_ring_push(const char *name, const void *data, size_t size)
{
	push(buf_of(name), data, size);
}

/* As libbpf: a callback's error stops the read after that record and is returned. */
static int fk_ringbuf_consume(struct ring_buffer *rb)
{
	struct fk_buf *b = (struct fk_buf *)rb;
	uint64_t cnt;
	int n = 0, err;

	while (b->head != b->tail) {
		struct fk_rec *r = &b->recs[b->head++ % FK_RECS];

		n++;
		err = b->ring_cb(b->ctx, r->data, r->size);
		if (err < 0)
			return err;
	}
	if (read(b->efd, &cnt, sizeof(cnt)) < 0 && errno != EAGAIN)
		abort();
	return n;
}

static void fk_ringbuf_free(struct ring_buffer *rb)
{
	(void)rb;
}

static const void *fk_ringbuf_positions(int fd, size_t page)
{
	(void)fd;
	if (page > FK_PAGE) {
		errno = EINVAL;
		return NULL;
	}
	memset(positions, 0, sizeof(positions));
	return positions;
}

static void fk_ringbuf_unmap(const void *pos, size_t page)
{
	(void)pos;
	(void)page;
}

static struct perf_buffer *fk_perfbuf_new(int fd, size_t pages, struct perf_event_attr *attr,
					  perf_buffer_event_fn cb, void *ctx)
{
	struct fk_buf *b = buf_new(fd, true);

	(void)pages;
	(void)attr;
	if (b) {
		b->perf_cb = cb;
		b->ctx = ctx;
	}
	return (struct perf_buffer *)b;
}

void fk_perf_push(const char *name, const void *data, uint32_t size)
{
	unsigned char rec[256];
	struct perf_event_header hdr = { .type = PERF_RECORD_SAMPLE };

	hdr.size = (uint16_t)(sizeof(hdr) + 4 + size);
	memcpy(rec, &hdr, sizeof(hdr));
	memcpy(rec + sizeof(hdr), &size, 4);
	memcpy(rec + sizeof(hdr) + 4, data, size);
	push(buf_of(name), rec, hdr.size);
}

void fk_perf_lost(const char *name, uint64_t lost)
{
	unsigned char rec[sizeof(struct perf_event_header) + 16];
	struct perf_event_header hdr = { .type = PERF_RECORD_LOST, .size = sizeof(rec) };
	uint64_t id = 1;

	memcpy(rec, &hdr, sizeof(hdr));
	memcpy(rec + sizeof(hdr), &id, 8);
	memcpy(rec + sizeof(hdr) + 8, &lost, 8);
	push(buf_of(name), rec, sizeof(rec));
}

static int fk_perfbuf_consume(struct perf_buffer *pb)
{
	struct fk_buf *b = (struct fk_buf *)pb;
	uint64_t cnt;

	while (b->head != b->tail) {
		struct fk_rec *r = &b->recs[b->head++ % FK_RECS];

		if (b->perf_cb(b->ctx, 0, (struct perf_event_header *)r->data) !=
		    LIBBPF_PERF_EVENT_CONT)
			break;
	}
	if (read(b->efd, &cnt, sizeof(cnt)) < 0 && errno != EAGAIN)
		abort();
	return 0;
}

static int fk_perfbuf_epoll_fd(const struct perf_buffer *pb)
{
	return ((const struct fk_buf *)pb)->efd;
}

static void fk_perfbuf_free(struct perf_buffer *pb)
{
	(void)pb;
}

/* --- attachments ------------------------------------------------------------ */

/*
 * An attachment: a link (its pointer is &atts[i], handed out as a struct
 * bpf_link) lives until link_destroy(); one known by an fd (a TCX link, a
 * socket filter) until its holder closes the write end of a pipe whose read
 * end, @watch, the fake keeps; the others until their detach call.
 */
static struct fk_att *att_new(const char *what, const char *prog, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static struct fk_att *att_new(const char *what, const char *prog, const char *fmt, ...)
{
	struct fk_att *a;
	va_list ap;

	if (n_atts == FK_ATTS)
		abort();
	a = &atts[n_atts++];
	memset(a, 0, sizeof(*a));
	snprintf(a->what, sizeof(a->what), "%s", what);
	snprintf(a->prog, sizeof(a->prog), "%s", prog);
	va_start(ap, fmt);
	vsnprintf(a->where, sizeof(a->where), fmt, ap);
	va_end(ap);
	a->live = true;
	a->fd = a->watch = -1;
	return a;
}

/* Does the test want this attachment of @prog to fail? Then errno is set. */
static bool att_fails(const char *prog)
{
	if (!fail_prog[0] || strcmp(fail_prog, prog))
		return false;
	fail_prog[0] = '\0';
	errno = -fail_err;
	return true;
}

/* A pipe's write end for the caller, its read end watched: see fk_att_live(). */
static int att_fd(struct fk_att *a)
{
	int p[2];

	if (pipe2(p, O_CLOEXEC))
		abort();
	a->watch = p[0];
	return p[1];
}

bool fk_att_live(const struct fk_att *a)
{
	struct pollfd pfd = { .fd = a->watch, .events = POLLIN };

	if (!a->live || a->watch < 0)
		return a->live;
	/* The write end closed: the holder let go of it. */
	return poll(&pfd, 1, 0) == 0;
}

static const char *path_of(int fd, char *buf, size_t n)
{
	char proc[64];
	ssize_t len;

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	len = readlink(proc, buf, n - 1);
	buf[len < 0 ? 0 : len] = '\0';
	return buf;
}

static struct bpf_link *fk_attach(const struct bpf_program *prog, const struct emf__attach_to *to)
{
	const char *name = bpf_program__name(prog);
	char path[256];
	struct fk_att *a;

	if (att_fails(name))
		return NULL;
	switch (to->kind) {
	case EMF__AT_XDP:
		a = att_new("xdp", name, "ifindex %d", to->ifindex);
		break;
	case EMF__AT_CGROUP:
	case EMF__AT_NETNS:
		a = att_new(to->kind == EMF__AT_CGROUP ? "cgroup" : "netns", name, "%s",
			    path_of(to->fd, path, sizeof(path)));
		break;
	case EMF__AT_PERF_EVENT:
		a = att_new("perf", name, "event fd");
		a->fd = to->fd; /* the link owns it, as libbpf's does */
		break;
	case EMF__AT_KPROBE:
		a = att_new(to->retprobe ? "kretprobe" : "kprobe", name, "%s", to->func);
		break;
	case EMF__AT_UPROBE:
		a = att_new(to->retprobe ? "uretprobe" : "uprobe", name, "%s:%s pid %d", to->binary,
			    to->func, (int)to->pid);
		break;
	case EMF__AT_USDT:
		a = att_new("usdt", name, "%s:%s:%s pid %d", to->binary, to->provider, to->probe,
			    (int)to->pid);
		break;
	case EMF__AT_TRACEPOINT:
		a = att_new("tracepoint", name, "%s/%s", to->category, to->event);
		break;
	case EMF__AT_RAW_TP:
		a = att_new("raw_tp", name, "%s", to->func);
		break;
	case EMF__AT_ITER:
		a = att_new("iter", name, "%s", "");
		a->fd = eventfd(0, EFD_CLOEXEC);
		break;
	default:
		errno = EINVAL;
		return NULL;
	}
	return (struct bpf_link *)a;
}

static struct bpf_link *fk_attach_struct_ops(const struct bpf_map *map)
{
	if (att_fails(bpf_map__name(map)))
		return NULL;
	return (struct bpf_link *)att_new("struct_ops", bpf_map__name(map), "%s", "registered");
}

static int fk_link_destroy(struct bpf_link *link)
{
	struct fk_att *a = (struct fk_att *)link;

	if (a < atts || a >= atts + n_atts || !a->live)
		abort(); /* not a link of the fake's, or destroyed twice */
	a->live = false;
	if (a->fd >= 0)
		close(a->fd);
	return 0;
}

static int fk_link_fd(const struct bpf_link *link)
{
	return ((const struct fk_att *)link)->fd;
}

/* A run of an iterator: what fk_iter_output() gave, then the end. */
static int fk_iter_create(int link_fd)
{
	int p[2];

	(void)link_fd;
	if (pipe2(p, O_CLOEXEC))
		return -errno;
	if (iter_len && write(p[1], iter_out, iter_len) != (ssize_t)iter_len)
		abort();
	close(p[1]);
	return p[0];
}

static const char *prog_name(int prog_fd)
{
	struct fk_prog *p = prog_by_fd(prog_fd);

	return p && p->prog ? bpf_program__name(p->prog) : "?";
}

static int fk_link_create(int prog_fd, int target_fd, enum bpf_attach_type type)
{
	if (no_tcx)
		return fail(-EINVAL); /* a kernel before 6.6 */
	if (att_fails(prog_name(prog_fd)))
		return -errno;
	return att_fd(att_new("tcx", prog_name(prog_fd), "ifindex %d type %d", target_fd, type));
}

static int fk_prog_attach(int prog_fd, int target_fd, enum bpf_attach_type type)
{
	struct fk_map *m = by_fd(target_fd);

	if (att_fails(prog_name(prog_fd)))
		return -errno;
	att_new("sockmap", prog_name(prog_fd), "%s type %d", m ? m->name : "?", type);
	return 0;
}

static int fk_prog_detach(int prog_fd, int target_fd, enum bpf_attach_type type)
{
	struct fk_map *m = by_fd(target_fd);
	char where[128];
	size_t i;

	snprintf(where, sizeof(where), "%s type %d", m ? m->name : "?", type);
	for (i = 0; i < n_atts; i++)
		if (atts[i].live && !strcmp(atts[i].what, "sockmap") &&
		    !strcmp(atts[i].prog, prog_name(prog_fd)) && !strcmp(atts[i].where, where)) {
			atts[i].live = false;
			return 0;
		}
	return fail(-ENOENT);
}

static struct fk_att *tc_find(const char *what, const char *where)
{
	size_t i;

	for (i = 0; i < n_atts; i++)
		if (atts[i].live && !strcmp(atts[i].what, what) && !strcmp(atts[i].where, where))
			return &atts[i];
	return NULL;
}

static int fk_tc_hook_create(struct bpf_tc_hook *hook)
{
	char where[32];

	if (qdisc_err)
		return fail(qdisc_err);
	snprintf(where, sizeof(where), "ifindex %d", hook->ifindex);
	if (tc_find("clsact", where))
		return fail(-EEXIST);
	att_new("clsact", "", "%s", where);
	return 0;
}

static int fk_tc_hook_destroy(struct bpf_tc_hook *hook)
{
	char where[32];
	struct fk_att *a;

	snprintf(where, sizeof(where), "ifindex %d", hook->ifindex);
	a = tc_find("clsact", where);
	if (!a || hook->attach_point != (BPF_TC_INGRESS | BPF_TC_EGRESS))
		return fail(-ENOENT);
	a->live = false;
	return 0;
}

static int fk_tc_attach(const struct bpf_tc_hook *hook, struct bpf_tc_opts *opts)
{
	const char *name = prog_name(opts->prog_fd);

	if (att_fails(name))
		return -errno;
	opts->handle = 1;
	opts->priority = (uint32_t)n_atts;
	att_new("tc", name, "ifindex %d %s prio %u", hook->ifindex,
		hook->attach_point == BPF_TC_EGRESS ? "egress" : "ingress", opts->priority);
	return 0;
}

/* The filter at the hook's point with the priority tc_attach() gave it (attach.c keeps it). */
static int fk_tc_detach(const struct bpf_tc_hook *hook, const struct bpf_tc_opts *opts)
{
	struct fk_att *a;
	char where[64];

	snprintf(where, sizeof(where), "ifindex %d %s prio %u", hook->ifindex,
		 hook->attach_point == BPF_TC_EGRESS ? "egress" : "ingress", opts->priority);
	a = tc_find("tc", where);
	if (!a)
		return fail(-ENOENT);
	a->live = false;
	return 0;
}

static int fk_perf_event_open(struct perf_event_attr *attr, int cpu)
{
	(void)attr;
	(void)cpu;
	return eventfd(0, EFD_CLOEXEC);
}

static int fk_socket_filter(int prog_fd, unsigned int ifindex)
{
	if (att_fails(prog_name(prog_fd)))
		return -errno;
	return att_fd(att_new("socket", prog_name(prog_fd), "ifindex %u", ifindex));
}

const struct fk_att *fk_att(const char *what, const char *prog)
{
	size_t i = n_atts;

	while (i--)
		if (!strcmp(atts[i].what, what) && !strcmp(atts[i].prog, prog))
			return &atts[i];
	return NULL;
}

unsigned int fk_atts_live(void)
{
	unsigned int n = 0;
	size_t i;

	for (i = 0; i < n_atts; i++)
		n += fk_att_live(&atts[i]);
	return n;
}

void fk_attach_fail(const char *prog, int err)
{
	snprintf(fail_prog, sizeof(fail_prog), "%s", prog);
	fail_err = err;
}

void fk_set_tcx(bool on)
{
	no_tcx = !on;
}

void fk_set_qdisc_err(int err)
{
	qdisc_err = err;
}

void fk_iter_output(const void *data, size_t len)
{
	if (len > sizeof(iter_out))
		abort();
	memcpy(iter_out, data, len);
	iter_len = len;
}

static bool fk_hook_supported(struct emf_runtime *rt, const struct emf_hook *hook)
{
	(void)rt;
	return hooks & (1u << hook->kind);
}

/* Every program type loads: a refused load is the program's fault. */
static int fk_prog_type_probe(enum bpf_prog_type type)
{
	(void)type;
	return 1;
}

void fk_set_hooks(unsigned int kinds)
{
	hooks = kinds;
}

const struct emf__kernel_ops fk_ops = {
	.map_fd = fk_map_fd,
	.map_lookup = fk_map_lookup,
	.map_update = fk_map_update,
	.map_delete = fk_map_delete,
	.map_next_key = fk_map_next_key,
	.possible_cpus = fk_possible_cpus,
	.prog_fd_by_id = fk_prog_fd_by_id,
	.prog_next_id = fk_prog_next_id,
	.prog_fd = fk_prog_fd,
	.map_create = fk_map_create,
	.obj_pin = fk_obj_pin,
	.obj_get = fk_obj_get,
	.obj_info = fk_obj_info,
	.map_reuse_fd = fk_map_reuse_fd,
	.btf_load = fk_btf_load,
	.bpffs_check = fk_bpffs_check,
	.attach = fk_attach,
	.attach_struct_ops = fk_attach_struct_ops,
	.link_destroy = fk_link_destroy,
	.link_fd = fk_link_fd,
	.iter_create = fk_iter_create,
	.link_create = fk_link_create,
	.prog_attach = fk_prog_attach,
	.prog_detach = fk_prog_detach,
	.tc_hook_create = fk_tc_hook_create,
	.tc_hook_destroy = fk_tc_hook_destroy,
	.tc_attach = fk_tc_attach,
	.tc_detach = fk_tc_detach,
	.perf_event_open = fk_perf_event_open,
	.socket_filter = fk_socket_filter,
	.hook_supported = fk_hook_supported,
	.prog_type_probe = fk_prog_type_probe,
	.ringbuf_new = fk_ringbuf_new,
	.ringbuf_consume = fk_ringbuf_consume,
	.ringbuf_free = fk_ringbuf_free,
	.ringbuf_positions = fk_ringbuf_positions,
	.ringbuf_unmap = fk_ringbuf_unmap,
	.perfbuf_new = fk_perfbuf_new,
	.perfbuf_consume = fk_perfbuf_consume,
	.perfbuf_epoll_fd = fk_perfbuf_epoll_fd,
	.perfbuf_free = fk_perfbuf_free,
};

/* --- plugins opened for real, loaded and attached nowhere -------------------- */

static const struct emf_plugin_ops *real_ops[8];
static struct emf_plugin_ops fake_ops[8];
static size_t n_ops;

static int no_load(void *skel)
{
	(void)skel;
	return 0;
}

static void no_detach(void *skel)
{
	(void)skel;
}

struct emf_runtime *fk_runtime(const struct emf_runtime_opts *opts)
{
	struct emf_runtime *rt = emf_runtime__new(opts);

	CU_ASSERT_PTR_NOT_NULL_FATAL(rt);
	emf__runtime_set_kernel(rt, &fk_ops);
	return rt;
}

const struct emf_plugin_desc *fk_desc(const struct emf_plugin_desc *desc,
				      struct emf_plugin_desc *buf)
{
	size_t i;

	for (i = 0; i < n_ops && real_ops[i] != desc->ops; i++)
		;
	if (i == n_ops) {
		if (n_ops == 8)
			abort();
		real_ops[i] = desc->ops;
		fake_ops[i] = (struct emf_plugin_ops){
			.open = desc->ops->open,
			.load = no_load,
			.attach = no_load,
			.detach = no_detach,
			.destroy = desc->ops->destroy,
			.object = desc->ops->object,
		};
		n_ops++;
	}
	*buf = *desc;
	buf->ops = &fake_ops[i];
	return buf;
}

int fk_main(const char *suite, const struct fk_test *tests)
{
	unsigned int failed;
	CU_pSuite s;

	emf_set_print(NULL); /* the refusals the tests provoke are expected */
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	s = CU_add_suite(suite, NULL, NULL);
	for (; s && tests->name; tests++)
		CU_add_test(s, tests->name, tests->fn);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures();
	CU_cleanup_registry();
	return failed || !s ? 1 : 0;
}
