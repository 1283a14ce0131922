/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A fake kernel under the runtime's kernel seam (sdk/src/kernel.h), for unit
 * tests that run without root: maps are in-memory tables found by name, ring
 * and perf buffers are queues of records the test pushes, and plugins are
 * opened for real (their BTF, maps and options) but never loaded.
 */
#ifndef __EMF_FAKE_KERNEL_H
#define __EMF_FAKE_KERNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <emf/plugin.h>
#include <emf/runtime.h>

#define FK_CPUS 4
#define FK_MAX_ENTRIES 64

struct fk_map {
	char name[32];
	int fd;
	uint32_t type;
	size_t key_size, value_size; /* value_size: of one CPU's value */
	size_t n;
	unsigned char keys[FK_MAX_ENTRIES][64];
	unsigned char vals[FK_MAX_ENTRIES][FK_CPUS * 64];
	unsigned int lookups, updates, deletes;
};

/* Reset the fake kernel: no maps, no buffers, no records. */
void fk_reset(void);

/* The fake kernel's operations, for emf__runtime_set_kernel(). */
extern const struct emf__kernel_ops fk_ops;

/*
 * @desc with skeleton operations that open the plugin for real and load and
 * attach nothing, in @buf (which must outlive the runtime).
 */
const struct emf_plugin_desc *fk_desc(const struct emf_plugin_desc *desc,
				      struct emf_plugin_desc *buf);

/* The map called @name (created by the runtime's first use of it), or NULL. */
struct fk_map *fk_map(const char *name);
/* Map @name of @plugin's object, created now if the runtime did not use it yet. */
struct fk_map *fk_map_of(const struct emf_plugin *plugin, const char *name);

/* A map the runtime did not get from an object (a pinned one, say). */
struct fk_map *fk_map_new(const char *name, uint32_t type, size_t key_size, size_t value_size);
/*
 * A program of id @id the fake kernel knows: prog_fd_by_id() opens it, and a
 * prog array updated with that fd holds @id, as the kernel's does.
 */
void fk_prog_add(uint32_t id);

/* Put @val (@n_cpus per-CPU values one after the other) under @key of @m. */
void fk_map_put(struct fk_map *m, const void *key, const void *val, size_t n_cpus);

/* Queue a record on the ring buffer of map @name; it is read at the next poll. */
void fk_ring_push(const char *name, const void *data, size_t size);

/* Queue a sample of @size bytes, or a report of @lost lost samples, on perf map @name. */
void fk_perf_push(const char *name, const void *data, uint32_t size);
void fk_perf_lost(const char *name, uint64_t lost);

/* A test of a suite: a name and its function; the list ends with { NULL }. */
struct fk_test {
	const char *name;
	void (*fn)(void);
};

/* Run @tests as CUnit suite @suite, SDK messages silenced; returns main()'s status. */
int fk_main(const char *suite, const struct fk_test *tests);

#endif /* __EMF_FAKE_KERNEL_H */
