// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * What the end of a run does to one tail-call slot, against a fake kernel and
 * without root: a slot this run filled is emptied and its owner record
 * cleared; one another instance took over since is left alone; a failed
 * reload gives the slot back to the program it held before, or empties it
 * when that program is gone.
 */
#include <errno.h>
#include <string.h>
#include <CUnit/Basic.h>

#include <emf/runtime.h>

#include "fake_kernel.h"
#include "kernel.h"
#include "runtime_internal.h"

#define IDX 3

static struct emf_runtime *rt;
static struct fk_map *table, *names;
static struct emf_slot_table tab;
static struct emf_slot slot;

static void setup(uint32_t holds, const char *owner)
{
	struct emf_runtime_opts opts = { .sz = sizeof(opts), .jobs = 1 };
	struct emf_slot_rec rec = {};
	uint32_t idx = IDX;

	fk_reset();
	rt = fk_runtime(&opts);
	table = fk_map_new("slots_tp", BPF_MAP_TYPE_PROG_ARRAY, 4, 4);
	names = fk_map_new("emf_slot_names", BPF_MAP_TYPE_ARRAY, 4, sizeof(rec));
	CU_ASSERT_PTR_NOT_NULL_FATAL(table);
	CU_ASSERT_PTR_NOT_NULL_FATAL(names);
	if (holds)
		fk_map_put(table, &idx, &holds, 1);
	snprintf(rec.name, sizeof(rec.name), "handler");
	snprintf(rec.owner, sizeof(rec.owner), "%s", owner);
	fk_map_put(names, &idx, &rec, 1);
	tab = (struct emf_slot_table){ .kind = "tracepoint", .fd = table->fd };
	rt->share.tables = &tab;
	rt->share.n_tables = 1;
	rt->share.names_fd = names->fd;
	slot = (struct emf_slot){ .name = "handler", .index = IDX, .table = 0 };
}

static void teardown(void)
{
	rt->share.tables = NULL;
	rt->share.n_tables = 0;
	rt->share.names_fd = -1;
	emf_runtime__destroy(rt);
}

static const char *owner(void)
{
	static struct emf_slot_rec rec;

	memset(&rec, 0, sizeof(rec));
	CU_ASSERT_EQUAL(emf__slot_rec_read(rt, IDX, &rec), 0);
	return rec.owner;
}

static void test_ours_emptied(void)
{
	setup(100, "a");
	slot.prog_id = 100;
	CU_ASSERT_EQUAL(emf__slot_prog_id(rt, &slot), 100);
	emf__slots_unfill(rt, &slot, false);
	CU_ASSERT_EQUAL(emf__slot_prog_id(rt, &slot), 0);
	CU_ASSERT_EQUAL(table->deletes, 1);
	CU_ASSERT_STRING_EQUAL(owner(), "");
	CU_ASSERT_EQUAL(slot.prog_id, 0);
	teardown();
}

static void test_taken_over_left_alone(void)
{
	setup(200, "b");
	slot.prog_id = 100;
	emf__slots_unfill(rt, &slot, false);
	CU_ASSERT_EQUAL(emf__slot_prog_id(rt, &slot), 200);
	CU_ASSERT_EQUAL(table->deletes, 0);
	CU_ASSERT_STRING_EQUAL(owner(), "b");
	CU_ASSERT_EQUAL(slot.prog_id, 0);
	teardown();
}

static void test_restore_previous(void)
{
	setup(100, "a");
	fk_prog_add(50);
	slot.prog_id = 100;
	slot.prev_id = 50;
	emf__slots_unfill(rt, &slot, true);
	CU_ASSERT_EQUAL(emf__slot_prog_id(rt, &slot), 50);
	CU_ASSERT_EQUAL(table->deletes, 0);
	CU_ASSERT_EQUAL(slot.prev_id, 0);
	teardown();
}

static void test_restore_gone_empties(void)
{
	setup(100, "a");
	slot.prog_id = 100;
	slot.prev_id = 60; /* unloaded since */
	emf__slots_unfill(rt, &slot, true);
	CU_ASSERT_EQUAL(emf__slot_prog_id(rt, &slot), 0);
	CU_ASSERT_STRING_EQUAL(owner(), "");
	teardown();
}

static void test_owner_record(void)
{
	setup(0, "");
	emf__slot_set_owner(rt, IDX, "execsnoop");
	CU_ASSERT_STRING_EQUAL(owner(), "execsnoop");
	/* Longer than a record holds: cut, still terminated. */
	emf__slot_set_owner(rt, IDX, "a-plugin-name-far-longer-than-thirty-one-bytes");
	CU_ASSERT_EQUAL(strlen(owner()), EMF_SLOT_NAME_MAX - 1);
	CU_ASSERT_EQUAL(emf__slot_prog_id(rt, &slot), 0);
	teardown();
}

static const struct fk_test tests[] = {
	{ "a slot this run filled is emptied", test_ours_emptied },
	{ "a slot taken over is left alone", test_taken_over_left_alone },
	{ "a failed reload restores the previous program", test_restore_previous },
	{ "restoring a program gone empties the slot", test_restore_gone_empties },
	{ "the owner record", test_owner_record },
	{ NULL },
};

int main(void)
{
	return fk_main("slot records", tests);
}
