// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The end of a run's slots (slots.c has their start): when plugins stop, the
 * slots they filled are emptied (or given back what a failed reload replaced),
 * and once the kernel has freed their programs, the pins nothing uses any more
 * are removed: a prog array no program calls through and no slot fills, then
 * the registry and the counters when no table is left. Unless keep_pins, the
 * root is left as a new runtime would find it.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include <emf/errno.h>
#include <emf/slots.h>

#include "kernel.h"
#include "log_internal.h"
#include "runtime_internal.h"

/* Wait, up to 2 s, for the kernel to free the programs of @only (NULL: all) of the run. */
static void wait_programs_freed(struct emf_runtime *rt, const struct emf_plugin *only)
{
	struct emf_share *sh = &rt->share;
	size_t i = 0;
	int ms = 0;

	while (i < sh->n_progs && ms < 2000) {
		int fd;

		if (only && sh->progs[i].plugin != only) {
			i++;
			continue;
		}
		fd = rt->kernel->prog_fd_by_id(sh->progs[i].id);
		if (fd < 0) {
			i++;
			continue;
		}
		close(fd);
		usleep(1000);
		ms++;
	}
	if (i < sh->n_progs)
		pr_debug("slots: program id %u is still in the kernel after 2 s\n",
			 sh->progs[i].id);
}

static bool table_empty(struct emf_runtime *rt, int fd)
{
	uint32_t i, id;

	for (i = 0; i < EMF_SLOTS_MAX; i++)
		if (!rt->kernel->map_lookup(fd, &i, &id))
			return false;
	return true;
}

static bool table_needed(const struct emf_share *sh, size_t t)
{
	size_t i;

	for (i = 0; i < sh->n_users; i++)
		if (sh->users[i].table == (int)t)
			return true;
	for (i = 0; i < sh->n_slots; i++)
		if (sh->slots[i].table == (int)t)
			return true;
	return false;
}

/*
 * Remove the slot pins of this run nothing uses any more: a table no program
 * calls through and no slot fills, then the registry and the counters once
 * no table is left (no caller holds an index any more).
 */
static void collect_slots(struct emf_runtime *rt, const uint32_t *used, size_t n)
{
	struct emf_share *sh = &rt->share;
	char path[PATH_MAX];
	bool tables_left = false;
	struct dirent *de;
	size_t i;
	DIR *dir;

	for (i = 0; i < sh->n_tables;) {
		struct emf_slot_table *t = &sh->tables[i];
		int pin;

		if (table_needed(sh, i) || emf__share_id_used(used, n, t->map_id) ||
		    !table_empty(rt, t->fd)) {
			i++;
			continue;
		}
		/* Only the pin of the table this run used. */
		pin = rt->kernel->obj_get(
			emf__share_path(rt, "slots", t->kind, path, sizeof(path)));
		if (pin >= 0 && emf__share_map_id(rt, pin) == t->map_id && !sh->keep_pins)
			emf__share_unpin(rt, "slots", t->kind);
		if (pin >= 0)
			close(pin);
		close(t->fd);
		/* Slots refer to tables by index: renumber the ones after it. */
		for (size_t k = 0; k < sh->n_slots; k++)
			if (sh->slots[k].table > (int)i)
				sh->slots[k].table--;
		for (size_t k = 0; k < sh->n_users; k++)
			if (sh->users[k].table > (int)i)
				sh->users[k].table--;
		memmove(t, t + 1, (sh->n_tables - i - 1) * sizeof(*t));
		sh->n_tables--;
	}
	if (sh->names_fd < 0 || sh->n_tables || sh->n_slots)
		return;
	dir = opendir(emf__share_path(rt, "slots", NULL, path, sizeof(path)));
	while (dir && (de = readdir(dir)))
		if (de->d_name[0] != '.' && strcmp(de->d_name, "names") &&
		    strcmp(de->d_name, "missed"))
			tables_left = true;
	if (dir)
		closedir(dir);
	if (dir && !tables_left && !emf__share_id_used(used, n, sh->missed_id) && !sh->keep_pins) {
		emf__share_unpin(rt, "slots", "names");
		emf__share_unpin(rt, "slots", "missed");
		emf__share_rmdir(rt, "slots");
	}
	close(sh->names_fd);
	close(sh->missed_fd);
	sh->names_fd = sh->missed_fd = -1;
}

/* Drop the slots no plugin of the run uses any more; sites refer to slots by index. */
static void compact_slots(struct emf_share *sh)
{
	size_t i, j, k;

	for (i = 0; i < sh->n_slots;) {
		struct emf_slot *s = &sh->slots[i];
		bool called = false;

		for (j = 0; j < sh->n_sites && !called; j++)
			if (sh->sites[j].slot == i) {
				called = true;
				s->caller = sh->sites[j].plugin;
			}
		if (!called)
			s->caller = NULL;
		if (s->filler || called) {
			i++;
			continue;
		}
		for (k = 0; k < sh->n_sites; k++)
			if (sh->sites[k].slot > i)
				sh->sites[k].slot--;
		memmove(s, s + 1, (sh->n_slots - i - 1) * sizeof(*s));
		sh->n_slots--;
	}
}

void emf__slots_forget(struct emf_runtime *rt, struct emf_plugin *only)
{
	struct emf_share *sh = &rt->share;
	bool was_locked = sh->locked;
	uint32_t *used = NULL;
	size_t i, j, n = 0;

	if (!sh->active)
		return;
	/* A plugin destroyed without its release (a failed attach) still fills its slots. */
	for (i = 0; i < sh->n_slots; i++) {
		struct emf_slot *s = &sh->slots[i];

		if (only && s->filler != only)
			continue;
		if (s->prog_id) {
			emf__share_lock(rt, false);
			emf__slots_unfill(rt, s, !rt->running);
		}
		s->filler = NULL;
		s->prog = NULL;
	}
	for (i = j = 0; i < sh->n_sites; i++)
		if (only && sh->sites[i].plugin != only)
			sh->sites[j++] = sh->sites[i];
	sh->n_sites = j;
	for (i = j = 0; i < sh->n_users; i++)
		if (only && sh->users[i].plugin != only)
			sh->users[j++] = sh->users[i];
	sh->n_users = j;
	compact_slots(sh);
	/* Unused pins go, once the kernel has freed the programs that used them. */
	if (sh->n_tables || sh->names_fd >= 0 || sh->n_maps) {
		if (!emf__share_lock(rt, false)) {
			wait_programs_freed(rt, only);
			used = emf__share_used_map_ids(rt, &n);
			if (!used)
				pr_warn("slots: keeping the pins under %s: failed to list the programs in the kernel: %s\n",
					emf__share_root(rt), emf_strerror(-errno));
		}
		if (used)
			collect_slots(rt, used, n);
		emf__shmap_forget(rt, only, used, n);
		if (used && !sh->keep_pins)
			emf__share_rmdir(rt, "maps");
		free(used);
	}
	for (i = j = 0; i < sh->n_progs; i++)
		if (only && sh->progs[i].plugin != only)
			sh->progs[j++] = sh->progs[i];
	sh->n_progs = j;
	/* The lock of a start in progress stays with the start. */
	if (!was_locked)
		emf__share_unlock(rt);
	if (only && (sh->n_slots || sh->n_maps || sh->n_tables || sh->names_fd >= 0 || was_locked))
		return;
	/* Nothing of the run is left: back to the state of a new runtime. */
	for (i = 0; i < sh->n_tables; i++)
		close(sh->tables[i].fd);
	if (sh->names_fd >= 0)
		close(sh->names_fd);
	if (sh->missed_fd >= 0)
		close(sh->missed_fd);
	emf__share_disown(rt);
	emf__share_unlock(rt);
	free(sh->slots);
	free(sh->sites);
	free(sh->users);
	free(sh->tables);
	free(sh->maps);
	free(sh->progs);
	sh->slots = NULL;
	sh->sites = NULL;
	sh->users = NULL;
	sh->tables = NULL;
	sh->maps = NULL;
	sh->progs = NULL;
	sh->n_slots = sh->n_sites = sh->n_users = sh->n_tables = sh->n_maps = sh->n_progs = 0;
	sh->names_fd = sh->missed_fd = -1;
	sh->active = false;
}
