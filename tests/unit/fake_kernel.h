/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A fake kernel under the runtime's kernel seam (sdk/src/kernel.h), for unit
 * tests that run without root: maps are in-memory tables found by name (or,
 * once reused, by the map they stand for), each with an id and an eventfd of
 * its own; ring and perf buffers are queues of records the test pushes; and
 * plugins are opened for real (their BTF, maps and options) but never loaded.
 *
 * Objects: map_create() makes a map with the next id; obj_pin() makes a file
 * at the path (in a real directory, say under /tmp) that stands for the
 * object, held open so its inode stays the pin's, and obj_get() finds the
 * object by that inode, so unlinking the file removes the pin as on bpffs.
 * The fds handed to callers (obj_get(), map_create(), prog_fd_by_id()) are
 * dups of the object's own, theirs to close. obj_info() knows the maps'
 * shape and the programs' ids; no program uses a map. Every directory is on
 * bpffs unless fk_set_bpffs(false).
 *
 * Programs: those of an object get an id on the runtime's first prog_fd();
 * they are never found by id (prog_fd_by_id(), prog_next_id()), since the
 * fake cannot tell when their object is closed: only fk_prog_add() programs
 * are, as if loaded by another process.
 *
 * Attachments: every link, TCX link, tc filter (and clsact qdisc), sockmap
 * program and socket filter the runtime makes is recorded (fk_att()) with
 * where it went, and is live until undone: a link destroyed, a detach call,
 * or the fd of a TCX link or socket filter closed. Perf events are eventfds;
 * a run of an iterator reads what fk_iter_output() gave. The kernel has TCX
 * unless fk_set_tcx(false), and every hook kind unless fk_set_hooks().
 */
#ifndef __EMF_FAKE_KERNEL_H
#define __EMF_FAKE_KERNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <bpf/libbpf.h>

#include <emf/plugin.h>
#include <emf/runtime.h>

#define FK_CPUS 4
#define FK_MAX_ENTRIES 256 /* the slot registry's size */

struct fk_map {
	char name[32];
	int fd;
	uint32_t type, id, max_entries, flags;
	uint32_t btf_key_type_id, btf_value_type_id; /* from map_create()'s BTF, or 0 */
	bool refuse; /* a prog array refuses every program with -EINVAL, as the kernel one of another kind */
	size_t key_size, value_size; /* value_size: of one CPU's value */
	size_t n;
	unsigned char keys[FK_MAX_ENTRIES][64];
	unsigned char vals[FK_MAX_ENTRIES][FK_CPUS * 64];
	unsigned int lookups, updates, deletes; /* updates: those it took */
};

/* Reset the fake kernel: no maps, no buffers, no records. */
void fk_reset(void);

/* The fake kernel's operations, for emf__runtime_set_kernel(). */
extern const struct emf__kernel_ops fk_ops;

/* A new runtime (@opts may be NULL) on the fake kernel; failing to make it fails the test. */
struct emf_runtime *fk_runtime(const struct emf_runtime_opts *opts);

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
/* The id of program @prog of a plugin's object, given now if the runtime did not yet. */
uint32_t fk_prog_id(const struct bpf_program *prog);

/* Pin @m at @path, as obj_pin(); 0 or a negative errno. */
int fk_pin(struct fk_map *m, const char *path);
/* The map pinned at @path, or NULL (nothing there, or not a map). */
struct fk_map *fk_pinned(const char *path);
/* How many maps map_create() made since fk_reset(). */
unsigned int fk_map_creates(void);
/* With @on false, no directory is on bpffs. */
void fk_set_bpffs(bool on);

/* Put @val (@n_cpus per-CPU values one after the other) under @key of @m. */
void fk_map_put(struct fk_map *m, const void *key, const void *val, size_t n_cpus);

/* Queue a record on the ring buffer of map @name; it is read at the next poll. */
void fk_ring_push(const char *name, const void *data, size_t size);

/* Queue a sample of @size bytes, or a report of @lost lost samples, on perf map @name. */
void fk_perf_push(const char *name, const void *data, uint32_t size);
void fk_perf_lost(const char *name, uint64_t lost);

/* An attachment: its kind ("xdp", "tcx", "tc", "clsact", "cgroup", "perf", ...), program, target. */
struct fk_att {
	char what[16];
	char prog[64]; /* the program's name; a struct_ops map's; "" for a qdisc */
	char where[256];
	int fd; /* a perf link's event, an iterator link's fd */
	int watch; /* the fake's end of the fd it handed out, or -1 */
	bool live; /* not destroyed or detached (see fk_att_live() for fds) */
};

/* The latest attachment of @prog of kind @what, or NULL. */
const struct fk_att *fk_att(const char *what, const char *prog);
/* Is @a still attached? */
bool fk_att_live(const struct fk_att *a);
/* How many attachments are live. */
unsigned int fk_atts_live(void);
/* The next attachment of program (or struct_ops map) @prog fails with @err. */
void fk_attach_fail(const char *prog, int err);
/* With @on false, the kernel has no TCX (link_create() says -EINVAL, as before 6.6). */
void fk_set_tcx(bool on);
/* tc_hook_create() fails with @err from now on (0: it works again). */
void fk_set_qdisc_err(int err);
/* What every run of an iterator writes from now on. */
void fk_iter_output(const void *data, size_t len);
/* The hook kinds the kernel has: a bit (1 << EMF_HOOK_*, variants_internal.h) each; all by default. */
void fk_set_hooks(unsigned int kinds);

/* A test of a suite: a name and its function; the list ends with { NULL }. */
struct fk_test {
	const char *name;
	void (*fn)(void);
};

/* Run @tests as CUnit suite @suite, SDK messages silenced; returns main()'s status. */
int fk_main(const char *suite, const struct fk_test *tests);

#endif /* __EMF_FAKE_KERNEL_H */
