// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Shared tail-call slots and maps against a fake kernel, without root, under
 * a pin root in a temporary directory: a start creates and pins the registry,
 * the missed counters, the prog array of the slot's kind and the exported
 * map, fills the slot with the filler's program and points the caller's and
 * the importer's maps at the pinned ones; a stop removes all of it. Pins
 * kept from an earlier run are reused, not made again; a pin of another
 * shape, a prog array that refuses the program and a root off bpffs are
 * refused with what the user reads.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <CUnit/Basic.h>

#include <emf/errno.h>
#include <emf/runtime.h>
#include <emf/slots.h>

#include "fake_kernel.h"
#include "kernel.h"
#include "runtime_internal.h"
#include "slota.emf.h"
#include "slota.h"
#include "slotb.emf.h"

#define KIND "raw_tracepoint" /* of slotb_handle(), SEC("raw_tp") */

static char tmp[64], root[96];
static struct emf_plugin_desc desc_a, desc_b;
static struct emf_plugin *pa, *pb;

/* ROOT/@rel, in a static buffer of one of two. */
static const char *at(const char *rel)
{
	static char bufs[2][PATH_MAX];
	static int i;

	i = !i;
	snprintf(bufs[i], sizeof(bufs[i]), "%s/%s", root, rel);
	return bufs[i];
}

static void setup(void)
{
	fk_reset();
	snprintf(tmp, sizeof(tmp), "/tmp/emf-share-XXXXXX");
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(tmp));
	snprintf(root, sizeof(root), "%s/pins", tmp);
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp); /* a name mkdtemp() made */
	CU_ASSERT_EQUAL(system(cmd), 0);
}

/* A runtime of slota (caller, exporter) and slotb (filler, importer) under the root. */
static struct emf_runtime *runtime(bool keep_pins)
{
	struct emf_runtime_opts opts = { .sz = sizeof(opts), .jobs = 1 };
	struct emf_pin_opts pin = { .sz = sizeof(pin), .root = root, .keep_pins = keep_pins };
	struct emf_runtime *rt = fk_runtime(&opts);

	CU_ASSERT_EQUAL_FATAL(emf_runtime__set_pin_opts(rt, &pin), 0);
	pa = emf_runtime__add(rt, fk_desc(&slota__plugin, &desc_a));
	pb = emf_runtime__add(rt, fk_desc(&slotb__plugin, &desc_b));
	CU_ASSERT_PTR_NOT_NULL_FATAL(pa);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pb);
	return rt;
}

/* Make ROOT and ROOT/@sub as emf would, for a pin planted before the start. */
static void plant_dirs(const char *sub)
{
	CU_ASSERT_EQUAL_FATAL(mkdir(root, 0700), 0);
	CU_ASSERT_EQUAL_FATAL(mkdir(at(sub), 0700), 0);
}

static bool exists(const char *path)
{
	struct stat st;

	return !lstat(path, &st);
}

static struct emf_slot_rec record(uint32_t idx)
{
	struct emf_slot_rec rec = {};

	CU_ASSERT_EQUAL(fk_ops.map_lookup(fk_pinned(at("slots/names"))->fd, &idx, &rec), 0);
	return rec;
}

static void test_start_pins_and_fills(void)
{
	struct fk_map *names, *missed, *table, *shared;
	struct bpf_program *handler;
	struct emf_slot_info info;
	struct emf_runtime *rt;
	struct emf_slot_rec rec;
	uint32_t id = 0;

	setup();
	rt = runtime(false);
	CU_ASSERT_EQUAL_FATAL(emf_runtime__start(rt), 0);
	names = fk_pinned(at("slots/names"));
	missed = fk_pinned(at("slots/missed"));
	table = fk_pinned(at("slots/" KIND));
	shared = fk_pinned(at("maps/slot_shared"));
	CU_ASSERT_PTR_NOT_NULL_FATAL(names);
	CU_ASSERT_PTR_NOT_NULL_FATAL(missed);
	CU_ASSERT_PTR_NOT_NULL_FATAL(table);
	CU_ASSERT_PTR_NOT_NULL_FATAL(shared);
	CU_ASSERT_EQUAL(fk_map_creates(), 4);
	/* Each made as the SDK and the exporter declare it. */
	CU_ASSERT_EQUAL(names->type, BPF_MAP_TYPE_ARRAY);
	CU_ASSERT_EQUAL(names->value_size, sizeof(struct emf_slot_rec));
	CU_ASSERT_EQUAL(names->max_entries, EMF_SLOTS_MAX);
	CU_ASSERT_EQUAL(missed->type, BPF_MAP_TYPE_PERCPU_ARRAY);
	CU_ASSERT_EQUAL(table->type, BPF_MAP_TYPE_PROG_ARRAY);
	CU_ASSERT_STRING_EQUAL(table->name, "emf_slots");
	CU_ASSERT_EQUAL(shared->type, BPF_MAP_TYPE_ARRAY);
	CU_ASSERT_EQUAL(shared->value_size, 8);
	CU_ASSERT_EQUAL(shared->max_entries, SHARED_MAX);
	CU_ASSERT_NOT_EQUAL(shared->btf_value_type_id, 0);
	/* The slot: registered, filled with slotb's program, owned by slotb. */
	CU_ASSERT_EQUAL_FATAL(emf_runtime__slot_by_name(rt, "slot_test", &info), 0);
	CU_ASSERT_STRING_EQUAL(info.kind, KIND);
	CU_ASSERT_PTR_EQUAL(info.filler, pb);
	CU_ASSERT_PTR_EQUAL(info.caller, pa);
	handler = bpf_object__find_program_by_name(emf_plugin__object(pb), "slotb_handle");
	CU_ASSERT_PTR_NOT_NULL_FATAL(handler);
	CU_ASSERT_EQUAL(info.prog_id, fk_prog_id(handler));
	CU_ASSERT_EQUAL(fk_ops.map_lookup(table->fd, &info.index, &id), 0);
	CU_ASSERT_EQUAL(id, fk_prog_id(handler));
	rec = record(info.index);
	CU_ASSERT_STRING_EQUAL(rec.name, "slot_test");
	CU_ASSERT_STRING_EQUAL(rec.kind, KIND);
	CU_ASSERT_STRING_EQUAL(rec.owner, "slotb");
	/* The caller's maps and both plugins' shared map are the pinned ones. */
	CU_ASSERT_PTR_EQUAL(fk_map_of(pa, "emf_slots"), table);
	CU_ASSERT_PTR_EQUAL(fk_map_of(pa, "emf_slot_missed"), missed);
	CU_ASSERT_PTR_EQUAL(fk_map_of(pa, "shared"), shared);
	CU_ASSERT_PTR_EQUAL(fk_map_of(pb, "shared"), shared);
	CU_ASSERT_EQUAL(emf_runtime__shared_map_fd(rt, "slot_shared") >= 0, true);
	/* The stop empties the slot and leaves the root as a new runtime finds it. */
	emf_runtime__destroy(rt);
	CU_ASSERT_NOT_EQUAL(fk_ops.map_lookup(table->fd, &info.index, &id), 0);
	CU_ASSERT_FALSE(exists(at("slots/names")));
	CU_ASSERT_FALSE(exists(at("maps/slot_shared")));
	CU_ASSERT_FALSE(exists(root));
	teardown();
}

static void test_kept_pins_reused(void)
{
	struct fk_map *table, *shared;
	struct emf_slot_info info;
	struct emf_runtime *rt;
	uint32_t index, id;
	uint64_t seq = 77;

	setup();
	rt = runtime(true);
	CU_ASSERT_EQUAL_FATAL(emf_runtime__start(rt), 0);
	CU_ASSERT_EQUAL_FATAL(emf_runtime__slot_by_name(rt, "slot_test", &info), 0);
	index = info.index;
	table = fk_pinned(at("slots/" KIND));
	shared = fk_pinned(at("maps/slot_shared"));
	CU_ASSERT_PTR_NOT_NULL_FATAL(shared);
	id = SHARED_SEQ;
	CU_ASSERT_EQUAL(fk_ops.map_update(shared->fd, &id, &seq, BPF_ANY), 0);
	emf_runtime__destroy(rt);
	/* Kept: the pins, the registry; the slot is empty and has no owner. */
	CU_ASSERT_TRUE(exists(at("slots/names")));
	CU_ASSERT_PTR_EQUAL(fk_pinned(at("slots/" KIND)), table);
	CU_ASSERT_NOT_EQUAL(fk_ops.map_lookup(table->fd, &index, &id), 0);
	CU_ASSERT_STRING_EQUAL(record(index).owner, "");
	CU_ASSERT_STRING_EQUAL(record(index).name, "slot_test");

	/* A second run opens them: nothing is made again, the index and the contents stay. */
	rt = runtime(false);
	CU_ASSERT_EQUAL_FATAL(emf_runtime__start(rt), 0);
	CU_ASSERT_EQUAL(fk_map_creates(), 4);
	CU_ASSERT_EQUAL_FATAL(emf_runtime__slot_by_name(rt, "slot_test", &info), 0);
	CU_ASSERT_EQUAL(info.index, index);
	CU_ASSERT_NOT_EQUAL(info.prog_id, 0);
	CU_ASSERT_PTR_EQUAL(fk_map_of(pa, "emf_slots"), table);
	CU_ASSERT_PTR_EQUAL(fk_map_of(pb, "shared"), shared);
	id = SHARED_SEQ;
	seq = 0;
	CU_ASSERT_EQUAL(fk_ops.map_lookup(shared->fd, &id, &seq), 0);
	CU_ASSERT_EQUAL(seq, 77);
	CU_ASSERT_STRING_EQUAL(record(index).owner, "slotb");
	emf_runtime__destroy(rt);
	CU_ASSERT_FALSE(exists(root));
	teardown();
}

/*
 * A hash map @name pinned at ROOT/@sub/@file by someone else, and a start of
 * the runtime, refused as incompatible with it; the map in *@other.
 */
static struct emf_runtime *start_over_foreign(const char *sub, const char *file, const char *name,
					      struct fk_map **other)
{
	char rel[64];
	struct emf_runtime *rt;

	plant_dirs(sub);
	*other = fk_map_new(name, BPF_MAP_TYPE_HASH, 4, 4);
	CU_ASSERT_PTR_NOT_NULL_FATAL(*other);
	snprintf(rel, sizeof(rel), "%s/%s", sub, file);
	CU_ASSERT_EQUAL_FATAL(fk_pin(*other, at(rel)), 0);
	rt = runtime(false);
	CU_ASSERT_EQUAL(emf_runtime__start(rt), -EMF_ERRNO__INCOMPAT);
	return rt;
}

static void test_registry_of_another_shape(void)
{
	struct fk_map *other;
	struct emf_runtime *rt;
	char want[640];

	setup();
	rt = start_over_foreign("slots", "names", "emf_slot_names", &other);
	snprintf(
		want, sizeof(want),
		"slots: %s is not what this SDK expects there (array map, key 4 B, value %zu B, 256 entries; found hash, key 4 B, value 4 B, 256 entries): another version of emf made it; stop its users and remove it",
		at("slots/names"), sizeof(struct emf_slot_rec));
	CU_ASSERT_STRING_EQUAL(emf_runtime__last_error(rt), want);
	/* Refused before anything was made; the pin is not emf's to remove. */
	CU_ASSERT_EQUAL(fk_map_creates(), 0);
	CU_ASSERT_PTR_EQUAL(fk_pinned(at("slots/names")), other);
	emf_runtime__destroy(rt);
	CU_ASSERT_PTR_EQUAL(fk_pinned(at("slots/names")), other);
	teardown();
}

static void test_shared_map_of_another_shape(void)
{
	struct fk_map *other;
	struct emf_runtime *rt;
	char want[640];

	setup();
	rt = start_over_foreign("maps", "slot_shared", "slot_shared", &other);
	snprintf(
		want, sizeof(want),
		"plugin 'slota' failed to export map 'slot_shared': it declares shared as array, key 4 B, value 8 B, %d entries, flags 0x0, but the map pinned at %s (by another runtime or process) is hash, key 4 B, value 4 B, 256 entries, flags 0x0: type array vs hash, value size 8 vs 4, max entries %d vs 256; declare it the same way",
		SHARED_MAX, at("maps/slot_shared"), SHARED_MAX);
	CU_ASSERT_STRING_EQUAL(emf_runtime__last_error(rt), want);
	/*
	 * Refused before slotb used it; the registry and prog array it made are
	 * gone, the map found pinned stays: its contents are not emf's to drop.
	 */
	CU_ASSERT_EQUAL(fk_map_of(pb, "shared") == other, false);
	CU_ASSERT_PTR_EQUAL(fk_pinned(at("maps/slot_shared")), other);
	emf_runtime__destroy(rt);
	CU_ASSERT_FALSE(exists(at("slots/names")));
	CU_ASSERT_FALSE(exists(at("slots/" KIND)));
	CU_ASSERT_PTR_EQUAL(fk_pinned(at("maps/slot_shared")), other);
	teardown();
}

static void test_fill_refused(void)
{
	struct fk_map *table;
	struct emf_runtime *rt;

	setup();
	plant_dirs("slots");
	table = fk_map_new("emf_slots", BPF_MAP_TYPE_PROG_ARRAY, 4, 4);
	CU_ASSERT_PTR_NOT_NULL_FATAL(table);
	table->refuse = true;
	CU_ASSERT_EQUAL_FATAL(fk_pin(table, at("slots/" KIND)), 0);
	rt = runtime(false);
	CU_ASSERT_EQUAL(emf_runtime__start(rt), -EINVAL);
	CU_ASSERT_STRING_EQUAL(
		emf_runtime__last_error(rt),
		"plugin 'slotb' failed to fill slot 'slot_test' with program slotb_handle(): the kernel refused it in the " KIND
		" prog array: Invalid argument (programs in one prog array must agree on type, attach type and target, JIT, XDP frags, sleepable and cgroup storage)");
	CU_ASSERT_EQUAL(table->n, 0);
	emf_runtime__destroy(rt);
	CU_ASSERT_FALSE(exists(at("slots/names")));
	teardown();
}

static void test_root_off_bpffs(void)
{
	struct emf_runtime *rt;
	char want[320];

	setup();
	fk_set_bpffs(false);
	rt = runtime(false);
	CU_ASSERT_EQUAL(emf_runtime__start(rt), -ENODEV);
	snprintf(
		want, sizeof(want),
		"cannot pin shared slots and maps under %s: %s is not on bpffs (mount it: mount -t bpf bpf %s)",
		root, tmp, tmp);
	CU_ASSERT_STRING_EQUAL(emf_runtime__last_error(rt), want);
	CU_ASSERT_EQUAL(fk_map_creates(), 0);
	emf_runtime__destroy(rt);
	CU_ASSERT_FALSE(exists(root));
	teardown();
}

static const struct fk_test tests[] = {
	{ "a start pins, fills and shares; a stop removes it", test_start_pins_and_fills },
	{ "kept pins are reused, not made again", test_kept_pins_reused },
	{ "a registry of another shape is refused", test_registry_of_another_shape },
	{ "a shared map of another shape is refused", test_shared_map_of_another_shape },
	{ "a prog array that refuses the program", test_fill_refused },
	{ "a pin root off bpffs", test_root_off_bpffs },
	{ NULL },
};

int main(void)
{
	return fk_main("shared slots and maps", tests);
}
