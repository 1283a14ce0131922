/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Private state of shared tail-call slots (slots.c) and shared maps (maps.c).
 *
 * Everything a runtime shares with other plugins and processes lives under
 * its pin root on bpffs:
 *
 *   ROOT/slots/names    ARRAY of struct emf_slot_rec: slot name -> index, kind, owner
 *   ROOT/slots/missed   PERCPU_ARRAY of __u64: missed calls by slot index
 *   ROOT/slots/KIND     PROG_ARRAY: the slots of one program kind
 *   ROOT/maps/NAME      exported maps
 *
 * Every change to them is made holding an exclusive flock on the pin root's
 * parent directory (which is never removed), from the prepare step of a start
 * to the end of its attach step, and around releases and the collection of
 * unused pins, so processes sharing a root never see each other half done.
 */
#ifndef __EMF_SLOTS_INTERNAL_H
#define __EMF_SLOTS_INTERNAL_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Everything declared below is private to libemfsdk: hidden. */
#pragma GCC visibility push(hidden)

struct emf_runtime;
struct emf_plugin;
struct bpf_program;
struct bpf_map;

#define EMF_PIN_ROOT_MAX 128
#define EMF_SLOT_NAME_MAX 32 /* with the NUL */
#define EMF_SLOT_KIND_MAX 64 /* with the NUL */
#define EMF_SHARED_NAME_MAX 64 /* with the NUL */
#define EMF_SLOTS_MAX 256 /* entries of each shared prog array and of the registry */

/* One record of ROOT/slots/names; an empty name is a free index. */
struct emf_slot_rec {
	char name[EMF_SLOT_NAME_MAX];
	char kind[EMF_SLOT_KIND_MAX];
	char owner[EMF_SLOT_NAME_MAX]; /* plugin whose program is in the slot, "" for none */
};

/* A prog array of one program kind, opened for this run. */
struct emf_slot_table {
	char kind[EMF_SLOT_KIND_MAX];
	int fd;
	uint32_t map_id;
};

/* A slot some plugin of the runtime calls or fills. */
struct emf_slot {
	char name[EMF_SLOT_NAME_MAX];
	char kind[EMF_SLOT_KIND_MAX]; /* set by the first caller or filler */
	char kind_from[EMF_SLOT_NAME_MAX]; /* that plugin, for messages */
	const char *kind_how; /* "fills" or "calls": how kind_from uses the slot */
	uint32_t index;
	int table; /* index in emf_share.tables, -1 until registered */
	struct emf_plugin *filler; /* NULL when no plugin of the runtime fills it */
	struct bpf_program *prog;
	uint32_t prog_id; /* what this run put in the slot, 0 when nothing */
	uint32_t prev_id; /* what the fill replaced, to restore on a failed start */
	struct emf_plugin *caller; /* a calling plugin of the runtime, or NULL */
};

/* A place in a plugin's read-only data holding the index of a slot it calls. */
struct emf_slot_site {
	struct emf_plugin *plugin;
	size_t slot;
	struct bpf_map *rodata;
	uint32_t offset;
};

/* One plugin's declaration of a shared map. */
struct emf_shared_use {
	struct emf_plugin *plugin;
	struct bpf_map *map;
	bool export;
};

/* What a map declaration or a pinned map is, for comparison and messages. */
struct emf_map_shape {
	uint32_t type, key, value, max, flags;
};

/* A shared map of this run: its pin, opened or created by the SDK before any loads. */
struct emf_shared_map {
	char name[EMF_SHARED_NAME_MAX];
	int fd; /* -1 until a plugin using it is prepared */
	uint32_t map_id;
	struct emf_map_shape shape; /* of the map behind fd */
	char source[320]; /* where shape comes from, for messages */
	struct emf_shared_use *uses;
	size_t n_uses;
	bool ours; /* this runtime pinned it or a plugin of it took it: its pin may go */
};

/* A plugin whose object calls slots: the kind of its emf_slots table. */
struct emf_slot_user {
	struct emf_plugin *plugin;
	char kind[EMF_SLOT_KIND_MAX];
	int table;
};

/* A program of a plugin taking part, recorded before its attach. */
struct emf_share_prog {
	struct emf_plugin *plugin;
	uint32_t id;
};

/* Per runtime; lives in struct emf_runtime, zeroed with it. */
struct emf_share {
	/* Host settings (emf_runtime__set_pin_opts()), kept across runs. */
	char root[EMF_PIN_ROOT_MAX]; /* "" for the default */
	bool keep_pins;
	/* From the first prepare to the forget of the last plugin: the fields below are valid. */
	bool active;
	bool locked;
	int lock_fd; /* the root's parent, flocked exclusively while locked */
	bool claimed; /* this runtime holds the root, see emf__share_lock() */
	int root_fd, slots_fd, maps_fd; /* checked directories, -1 when not open */
	int names_fd; /* -1 until a plugin uses slots */
	int missed_fd;
	uint32_t names_id, missed_id;
	struct emf_slot *slots;
	size_t n_slots;
	struct emf_slot_site *sites;
	size_t n_sites;
	struct emf_slot_user *users;
	size_t n_users;
	struct emf_slot_table *tables;
	size_t n_tables;
	struct emf_shared_map *maps;
	size_t n_maps;
	struct emf_share_prog *progs;
	size_t n_progs;
	int ncpus;
};

/*
 * Lifecycle hooks, called one at a time by the lifecycle. Each that can fail
 * returns 0 or a negative errno and leaves the reason, naming the plugin, in
 * the runtime's error text.
 */

/* After @p is open, before it loads: resolve and check its slots and maps, share them. */
int emf__slots_prepare(struct emf_plugin *p);
/* Before any plugin of a start attaches (or before @p alone does): put its programs in its slots. */
int emf__slots_fill(struct emf_plugin *p);
/* Before @p detaches (or after its attach failed): empty the slots it fills. */
void emf__slots_release(struct emf_plugin *p);
/* After the attach step of a start: let other processes change the shared pins. */
void emf__slots_unlock(struct emf_runtime *rt);
/*
 * After @only (NULL: every plugin) is destroyed: drop what it held, remove
 * the pins nothing uses any more.
 */
void emf__slots_forget(struct emf_runtime *rt, struct emf_plugin *only);
/*
 * Put back what the fill of @s replaced (@restore, a failed reload), or empty
 * the slot; nothing when another instance took it over since (slots_rec.c).
 */
void emf__slots_unfill(struct emf_runtime *rt, struct emf_slot *s, bool restore);

/* slots_rec.c: the id of the program @s's table holds (0: none or unreadable). */
uint32_t emf__slot_prog_id(const struct emf_runtime *rt, const struct emf_slot *s);
/* Read the name record of slot @idx; negative errno if the kernel has none. */
int emf__slot_rec_read(struct emf_runtime *rt, uint32_t idx, struct emf_slot_rec *rec);
/* Record @owner ("" for none) as what fills slot @idx; a failure is only warned of. */
void emf__slot_set_owner(struct emf_runtime *rt, uint32_t idx, const char *owner);

/* share.c: the pin root, its lock and the removal of unused pins, for slots.c and maps.c. */
const char *emf__share_root(const struct emf_runtime *rt);
/*
 * Lock the root's parent; with @report (a start) also claim the root for this
 * process: check it (ours, mode 0700, no symlink) or create it, remove what a
 * dead owner left, and refuse a root a live process owns.
 */
int emf__share_lock(struct emf_runtime *rt, bool report);
void emf__share_unlock(struct emf_runtime *rt);
/* Open (or create) ROOT/@sub, "slots" or "maps", and check it; holding the lock. */
int emf__share_mkdir(struct emf_runtime *rt, const char *sub);
/* The path the kernel gets for ROOT/@sub/@name (@name NULL: the directory), through its fd. */
const char *emf__share_path(struct emf_runtime *rt, const char *sub, const char *name, char *buf,
			    size_t n);
/* Remove ROOT/@sub when it is empty. */
void emf__share_rmdir(struct emf_runtime *rt, const char *sub);
/* Let go of the root: the last runtime using it removes the owner record (and the root). */
void emf__share_disown(struct emf_runtime *rt);
/* The next BTF decl tag "PREFIX..." of @p's object from *cursor; *target names what it tags. */
const char *emf__share_tag(struct emf_plugin *p, int *cursor, const char *prefix,
			   const char **target);
/* Record an error of the start, naming the plugin, and warn. */
__attribute__((format(printf, 3, 4))) int emf__share_error(struct emf_runtime *rt, int err,
							   const char *fmt, ...);
/* The id of map @fd, 0 when it has none (not a map, or @fd < 0). */
uint32_t emf__share_map_id(struct emf_runtime *rt, int fd);
/*
 * Every map id some program in the kernel uses, sorted; NULL with errno on
 * failure. The caller frees it.
 */
uint32_t *emf__share_used_map_ids(struct emf_runtime *rt, size_t *n);
bool emf__share_id_used(const uint32_t *used, size_t n, uint32_t id);
void emf__share_unpin(struct emf_runtime *rt, const char *sub, const char *name);

/* maps.c: @p's shared maps, then (holding the lock) the pinned maps they use. */
int emf__shmap_prepare(struct emf_plugin *p);
/* Forget @only's (NULL: every) use; unpin the maps no program in @used uses. */
void emf__shmap_forget(struct emf_runtime *rt, struct emf_plugin *only, const uint32_t *used,
		       size_t n_used);
bool emf__shmap_uses(const struct emf_runtime *rt, const struct emf_plugin *p);

#pragma GCC visibility pop

#endif /* __EMF_SLOTS_INTERNAL_H */
