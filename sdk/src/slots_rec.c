// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The kernel side of one slot: which program its table holds, the record that
 * names its owner, and emptying it (or giving it back to what it held before).
 * Both the start (slots.c) and the end of a run (slots_end.c) use these.
 */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include <emf/errno.h>
#include <emf/slots.h>

#include "kernel.h"
#include "log_internal.h"
#include "runtime_internal.h"

uint32_t emf__slot_prog_id(const struct emf_runtime *rt, const struct emf_slot *s)
{
	uint32_t id = 0;

	if (s->table < 0 || rt->kernel->map_lookup(rt->share.tables[s->table].fd, &s->index, &id))
		return 0;
	return id;
}

int emf__slot_rec_read(struct emf_runtime *rt, uint32_t idx, struct emf_slot_rec *rec)
{
	if (rt->kernel->map_lookup(rt->share.names_fd, &idx, rec))
		return -errno;
	rec->owner[EMF_SLOT_NAME_MAX - 1] = '\0';
	return 0;
}

void emf__slot_set_owner(struct emf_runtime *rt, uint32_t idx, const char *owner)
{
	struct emf_slot_rec rec;

	if (emf__slot_rec_read(rt, idx, &rec))
		return;
	snprintf(rec.owner, sizeof(rec.owner), "%s", owner);
	if (rt->kernel->map_update(rt->share.names_fd, &idx, &rec, BPF_ANY))
		pr_warn("slots: failed to record the owner of slot '%s': %s\n", rec.name,
			emf_strerror(-errno));
}

void emf__slots_unfill(struct emf_runtime *rt, struct emf_slot *s, bool restore)
{
	int fd = s->table >= 0 ? rt->share.tables[s->table].fd : -1;
	int prev = restore && s->prev_id ? rt->kernel->prog_fd_by_id(s->prev_id) : -1;

	if (fd < 0 || emf__slot_prog_id(rt, s) != s->prog_id)
		goto out; /* another instance took it over since */
	if (prev >= 0 && !rt->kernel->map_update(fd, &s->index, &prev, BPF_ANY)) {
		pr_info("slots: slot '%s' holds program id %u again\n", s->name, s->prev_id);
		goto out;
	}
	if (rt->kernel->map_delete(fd, &s->index) && errno != ENOENT)
		pr_warn("slots: failed to empty slot '%s': %s\n", s->name, emf_strerror(-errno));
	emf__slot_set_owner(rt, s->index, "");
out:
	if (prev >= 0)
		close(prev);
	s->prog_id = 0;
	s->prev_id = 0;
}
