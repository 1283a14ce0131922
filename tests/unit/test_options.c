// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Options reach the BPF code, without root: values set before the start are
 * in the plugin's .rodata when it is opened (the fake kernel loads nothing,
 * so what would be loaded is what the test reads), options left alone keep
 * their defaults, a loaded plugin refuses changes, and EMF_HOST_FILTER's
 * global holds the host's process id only when the host asks to be left out.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <CUnit/Basic.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include <emf/errno.h>
#include <emf/runtime.h>

#include "alltypes.emf.h"
#include "execsnoop.emf.h"
#include "fake_kernel.h"
#include "kernel.h"

static struct emf_plugin_desc desc_buf;

static struct emf_runtime *runtime(bool exclude_host)
{
	struct emf_runtime_opts opts = { .sz = sizeof(opts),
					 .jobs = 1,
					 .exclude_host = exclude_host };
	struct emf_runtime *rt;

	fk_reset();
	rt = fk_runtime(&opts);
	return rt;
}

/* The bytes of @p's option @name in the .rodata image it would load. */
static const void *rodata_of(struct emf_plugin *p, const char *name)
{
	struct bpf_map *map = bpf_object__find_map_by_name(emf_plugin__object(p), ".rodata");
	const struct emf_option *o = emf_plugin__option(p, name);
	const char *data;
	size_t size;

	CU_ASSERT_PTR_NOT_NULL_FATAL(map);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	data = bpf_map__initial_value(map, &size);
	CU_ASSERT_FATAL(data && o->offset + o->size <= size);
	return data + o->offset;
}

static void test_values_in_rodata(void)
{
	struct emf_runtime *rt = runtime(false);
	struct emf_plugin *p = emf_runtime__add(rt, fk_desc(&alltypes__plugin, &desc_buf));
	unsigned long long limit;
	bool verbose;
	int level;

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_EQUAL(emf_plugin__set_option(p, "level", "-7"), 0);
	CU_ASSERT_EQUAL(emf_plugin__set_option(p, "verbose", "no"), 0);
	CU_ASSERT_EQUAL(emf_plugin__set_option(p, "label", "xyz"), 0);
	CU_ASSERT_EQUAL(emf_plugin__set_option(p, "shade", "GREEN"), 0);
	/* The last value set wins. */
	CU_ASSERT_EQUAL(emf_plugin__set_option(p, "level", "12"), 0);
	CU_ASSERT_FATAL(emf_runtime__start(rt) == 0);
	memcpy(&level, rodata_of(p, "level"), sizeof(level));
	CU_ASSERT_EQUAL(level, 12);
	memcpy(&verbose, rodata_of(p, "verbose"), sizeof(verbose));
	CU_ASSERT_FALSE(verbose);
	CU_ASSERT_NSTRING_EQUAL(rodata_of(p, "label"), "xyz\0\0\0\0\0", 8);
	CU_ASSERT_EQUAL(*(const int *)rodata_of(p, "shade"), 1); /* GREEN */
	/* Not set: the default of the .bpf.c. */
	memcpy(&limit, rodata_of(p, "limit"), sizeof(limit));
	CU_ASSERT_EQUAL(limit, 1000);
	/* Loaded, .rodata is frozen: a change is refused, not silently lost. */
	CU_ASSERT_EQUAL(emf_plugin__set_option(p, "level", "1"), -EMF_ERRNO__STATE);
	memcpy(&level, rodata_of(p, "level"), sizeof(level));
	CU_ASSERT_EQUAL(level, 12);
	emf_runtime__destroy(rt);
}

static void test_raw_value(void)
{
	struct emf_runtime *rt = runtime(false);
	struct emf_plugin *p = emf_runtime__add(rt, fk_desc(&alltypes__plugin, &desc_buf));
	unsigned long long limit = 1ULL << 40, got;

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_EQUAL(emf_plugin__set_option_raw(p, "limit", &limit, sizeof(limit)), 0);
	CU_ASSERT_EQUAL(emf_plugin__set_option_raw(p, "limit", &limit, 4), -EINVAL);
	CU_ASSERT_EQUAL(emf_plugin__set_option_raw(p, "label", "abcdefg", 8), -EINVAL);
	CU_ASSERT_FATAL(emf_runtime__start(rt) == 0);
	memcpy(&got, rodata_of(p, "limit"), sizeof(got));
	CU_ASSERT_EQUAL(got, 1ULL << 40);
	emf_runtime__destroy(rt);
}

/* EMF_HOST_FILTER's tgid, found by name in the BTF of .rodata. */
static uint32_t host_tgid(struct emf_plugin *p)
{
	struct bpf_object *obj = emf_plugin__object(p);
	struct bpf_map *map = bpf_object__find_map_by_name(obj, ".rodata");
	const struct btf *btf = bpf_object__btf(obj);
	const struct btf_var_secinfo *vs;
	const struct btf_type *t;
	const char *data;
	uint32_t tgid = 0;
	size_t size;
	int id, i;

	id = btf__find_by_name_kind(btf, ".rodata", BTF_KIND_DATASEC);
	CU_ASSERT_FATAL(id > 0 && map);
	data = bpf_map__initial_value(map, &size);
	t = btf__type_by_id(btf, id);
	vs = btf_var_secinfos(t);
	for (i = 0; i < btf_vlen(t); i++, vs++) {
		const struct btf_type *var = btf__type_by_id(btf, vs->type);

		if (!strcmp(btf__name_by_offset(btf, var->name_off), "__emf_host_tgid"))
			memcpy(&tgid, data + vs->offset, 4);
	}
	return tgid;
}

static void test_host_filter(void)
{
	struct emf_runtime *rt = runtime(true);
	struct emf_plugin *p = emf_runtime__add(rt, fk_desc(&execsnoop__plugin, &desc_buf));

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_FATAL(emf_runtime__start(rt) == 0);
	CU_ASSERT_EQUAL(host_tgid(p), (uint32_t)getpid());
	emf_runtime__destroy(rt);

	rt = runtime(false);
	p = emf_runtime__add(rt, fk_desc(&execsnoop__plugin, &desc_buf));
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_FATAL(emf_runtime__start(rt) == 0);
	CU_ASSERT_EQUAL(host_tgid(p), 0);
	emf_runtime__destroy(rt);
}

static const struct fk_test tests[] = {
	{ "set values land in .rodata", test_values_in_rodata },
	{ "binary values", test_raw_value },
	{ "the host filter's process id", test_host_filter },
	{ NULL },
};

int main(void)
{
	return fk_main("options", tests);
}
