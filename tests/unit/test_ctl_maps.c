// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * emf.maps (what "emf-ctl map PLUGIN.MAP get/set/dump" calls) against a fake
 * kernel, without root: keys and values typed from the plugin's BTF both
 * ways (integers, enums by name, char arrays as strings, arrays, bitfields),
 * a set that keeps the fields it does not give, per-CPU values one per CPU,
 * and each refusal with the text the user reads, leaving the map as it was.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <CUnit/Basic.h>
#include <jansson.h>

#include <emf/bus.h>
#include <emf/runtime.h>

#include "ctl_internal.h"
#include "fake_kernel.h"
#include "kernel.h"
#include "mapctl.emf.h"
#include "mapctl.h"

static struct emf_plugin_desc desc_buf;
static struct emf_runtime *rt;
static struct emf_bus *bus;
static struct emf_ctl_err fails;
static struct maps_ctx *svc;
static struct emf_plugin *plugin;
static struct fk_map *rules;

static void setup(void)
{
	struct emf_runtime_opts opts = { .sz = sizeof(opts), .jobs = 1 };

	fk_reset();
	rt = fk_runtime(&opts);
	plugin = emf_runtime__add(rt, fk_desc(&mapctl__plugin, &desc_buf));
	CU_ASSERT_PTR_NOT_NULL_FATAL(plugin);
	CU_ASSERT_FATAL(emf_runtime__start(rt) == 0);
	rules = fk_map_of(plugin, "rules");
	CU_ASSERT_PTR_NOT_NULL_FATAL(rules);
	bus = emf_bus__new(NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(bus);
	svc = emf__ctl_maps_new(&fails, rt, bus);
	CU_ASSERT_PTR_NOT_NULL_FATAL(svc);
	/* This thread is the host loop: emf.maps runs on it, as in emf-agent. */
	CU_ASSERT(emf_bus__dispatch(bus, 0) >= 0);
}

static void teardown(void)
{
	emf__ctl_maps_free(svc);
	emf__ctl_err_free(&fails);
	emf_bus__destroy(bus);
	emf_runtime__destroy(rt);
}

/*
 * Call emf.maps.@method with @args (JSON text). Returns its error; the reply,
 * compact with sorted keys, in @out (the caller frees it), or the message the
 * user reads of a refusal.
 */
static int call(const char *method, const char *args, char **out)
{
	char name[32];
	json_t *a = json_loads(args, 0, NULL), *reply = NULL;
	int err;

	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	snprintf(name, sizeof(name), "emf.maps.%s", method);
	err = emf_bus__call(bus, name, a, &reply, 1000);
	json_decref(a);
	*out = err ? emf__ctl_err_take(&fails, name) :
		     json_dumps(reply, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	json_decref(reply);
	if (!*out)
		*out = strdup("");
	return err;
}

/* @method with @args replies @want. */
static void expect(const char *method, const char *args, const char *want)
{
	char *got;

	CU_ASSERT_EQUAL(call(method, args, &got), 0);
	CU_ASSERT_STRING_EQUAL(got, want);
	free(got);
}

/* @method with @args fails with @err and says @want, and changes no map. */
static void refused(const char *method, const char *args, int err, const char *want)
{
	unsigned int updates = rules->updates;
	char *got;

	CU_ASSERT_EQUAL(call(method, args, &got), err);
	CU_ASSERT_STRING_EQUAL(got, want);
	CU_ASSERT_EQUAL(rules->updates, updates);
	free(got);
}

static const struct mapctl__mapctl_rule rule42 = {
	.hits = 7,
	.comm = "bash",
	.mode = MAPCTL_DROP,
	.port = 80,
	.level = 5,
	.on = 1,
	.delta = -3,
	.ports = { 1, 2 },
};

#define RULE42                                                                                      \
	"{\"comm\":\"bash\",\"delta\":-3,\"hits\":7,\"level\":5,\"mode\":\"MAPCTL_DROP\",\"on\":1," \
	"\"port\":80,\"ports\":[1,2]}"

static void test_get_typed(void)
{
	uint32_t key = 42;

	setup();
	fk_map_put(rules, &key, &rule42, 1);
	expect("get", "{\"map\":\"mapctl.rules\",\"key\":42}", RULE42);
	/* No key: key 0, which an array always has. */
	expect("get", "{\"map\":\"mapctl.limits\"}", "0");
	teardown();
}

static void test_set_keeps_other_fields(void)
{
	struct mapctl__mapctl_rule got;
	uint32_t key = 42, other = 9;

	setup();
	fk_map_put(rules, &key, &rule42, 1);
	expect("set",
	       "{\"map\":\"mapctl.rules\",\"key\":42,\"value\":{\"mode\":\"MAPCTL_LOG\",\"port\":443,"
	       "\"ports\":[7]}}",
	       "{\"comm\":\"bash\",\"delta\":-3,\"hits\":7,\"level\":5,\"mode\":\"MAPCTL_LOG\","
	       "\"on\":1,\"port\":443,\"ports\":[7,2]}");
	CU_ASSERT_EQUAL(rules->updates, 1);
	CU_ASSERT_EQUAL_FATAL(fk_ops.map_lookup(rules->fd, &key, &got), 0);
	CU_ASSERT_EQUAL(got.mode, MAPCTL_LOG);
	CU_ASSERT_EQUAL(got.port, 443);
	CU_ASSERT_EQUAL(got.ports[0], 7);
	CU_ASSERT_EQUAL(got.hits, 7);
	CU_ASSERT_EQUAL(got.level, 5);
	/* A shorter string replaces the whole of the old one. */
	expect("set", "{\"map\":\"mapctl.rules\",\"key\":42,\"value\":{\"comm\":\"sh\"}}",
	       "{\"comm\":\"sh\",\"delta\":-3,\"hits\":7,\"level\":5,\"mode\":\"MAPCTL_LOG\","
	       "\"on\":1,\"port\":443,\"ports\":[7,2]}");
	/* A new entry starts from zero; an enum given as its value. */
	expect("set", "{\"map\":\"mapctl.rules\",\"key\":9,\"value\":{\"mode\":2,\"delta\":-1}}",
	       "{\"comm\":\"\",\"delta\":-1,\"hits\":0,\"level\":0,\"mode\":\"MAPCTL_DROP\",\"on\":0,"
	       "\"port\":0,\"ports\":[0,0]}");
	CU_ASSERT_EQUAL_FATAL(fk_ops.map_lookup(rules->fd, &other, &got), 0);
	CU_ASSERT_EQUAL(got.delta, -1);
	CU_ASSERT_EQUAL(rules->n, 2);
	teardown();
}

static void test_dump(void)
{
	struct mapctl__mapctl_rule r = { .comm = "sh", .mode = MAPCTL_OFF };
	uint64_t vals[FK_CPUS] = { 1, 2, 3, 4 };
	uint32_t a = 42, b = 5, one = 1;

	setup();
	fk_map_put(rules, &a, &rule42, 1);
	fk_map_put(rules, &b, &r, 1);
	expect("dump", "{\"map\":\"mapctl.rules\"}",
	       "[{\"key\":42,\"value\":" RULE42 "},{\"key\":5,\"value\":{\"comm\":\"sh\","
	       "\"delta\":0,\"hits\":0,\"level\":0,\"mode\":\"MAPCTL_OFF\",\"on\":0,\"port\":0,"
	       "\"ports\":[0,0]}}]");
	/* Per-CPU: one value per possible CPU; an array dumps every index. */
	fk_map_put(fk_map_of(plugin, "calls"), &one, vals, FK_CPUS);
	expect("dump", "{\"map\":\"mapctl.calls\"}",
	       "[{\"key\":0,\"value\":[0,0,0,0]},{\"key\":1,\"value\":[1,2,3,4]}]");
	expect("get", "{\"map\":\"mapctl.calls\",\"key\":1}", "[1,2,3,4]");
	teardown();
}

static void test_refused_keys_and_values(void)
{
	uint32_t key = 42;

	setup();
	fk_map_put(rules, &key, &rule42, 1);
	refused("get", "{\"map\":\"mapctl.rules\",\"key\":7}", -ENOENT,
		"mapctl.rules: no such key");
	refused("get", "{\"map\":\"mapctl.rules\",\"key\":\"x\"}", -EINVAL,
		"key of mapctl.rules: expected an integer");
	refused("set", "{\"map\":\"mapctl.rules\",\"key\":4294967296,\"value\":{}}", -ERANGE,
		"key of mapctl.rules: integer out of range of its field");
	refused("set", "{\"map\":\"mapctl.rules\",\"key\":42,\"value\":{\"port\":65536}}", -ERANGE,
		"value of mapctl.rules: integer out of range of its field");
	refused("set", "{\"map\":\"mapctl.rules\",\"key\":42,\"value\":{\"mode\":\"MAPCTL_NO\"}}",
		-EINVAL, "value of mapctl.rules: not a name of the enum");
	refused("set", "{\"map\":\"mapctl.rules\",\"key\":42,\"value\":{\"nosuch\":1}}", -EINVAL,
		"value of mapctl.rules: no such field");
	refused("set", "{\"map\":\"mapctl.rules\",\"key\":42,\"value\":{\"level\":1}}", -EOPNOTSUPP,
		"value of mapctl.rules: bitfields cannot be set");
	refused("set",
		"{\"map\":\"mapctl.rules\",\"key\":42,\"value\":{\"comm\":\"sixteen-chars-xx\"}}",
		-ERANGE, "value of mapctl.rules: string longer than its char array");
	refused("set", "{\"map\":\"mapctl.rules\",\"key\":42,\"value\":{\"ports\":[1,2,3]}}",
		-EINVAL, "value of mapctl.rules: expected an array no longer than the field's");
	refused("set", "{\"map\":\"mapctl.rules\",\"key\":42,\"value\":3}", -EINVAL,
		"value of mapctl.rules: expected an object of the struct's fields");
	refused("set", "{\"map\":\"mapctl.rules\",\"key\":42}", -EINVAL,
		"give {\"map\":\"PLUGIN.MAP\",\"key\":K,\"value\":V}");
	refused("set", "{\"map\":\"mapctl.calls\",\"key\":0,\"value\":1}", -EOPNOTSUPP,
		"mapctl.calls: per-CPU values cannot be set");
	/* The refused sets changed nothing. */
	expect("get", "{\"map\":\"mapctl.rules\",\"key\":42}", RULE42);
	teardown();
}

static void test_refused_maps(void)
{
	setup();
	refused("get", "{\"map\":\"mapctl.nosuch\"}", -ENOENT,
		"plugin 'mapctl' has no map named 'nosuch'");
	refused("dump", "{\"map\":\"nosuch.rules\"}", -ENOENT,
		"no running plugin named 'nosuch'; 'emf-ctl list' shows them");
	refused("dump", "{\"map\":\"rules\"}", -EINVAL, "give {\"map\":\"PLUGIN.MAP\"}");
	refused("dump", "{\"map\":\"mapctl.\"}", -EINVAL, "give {\"map\":\"PLUGIN.MAP\"}");
	refused("dump", "{\"map\":\"mapctl.events\"}", -EOPNOTSUPP,
		"map 'mapctl.events' has no BTF types, or no key (a ring buffer?)");
	teardown();
}

/* The kernel's refusal, as the kernel says it: a full hash takes no new key. */
static void test_kernel_refusal(void)
{
	uint32_t k;
	char args[96];

	setup();
	for (k = 1; k <= 4; k++) {
		char *got;

		snprintf(args, sizeof(args), "{\"map\":\"mapctl.rules\",\"key\":%u,\"value\":{}}",
			 k);
		CU_ASSERT_EQUAL(call("set", args, &got), 0);
		free(got);
	}
	refused("set", "{\"map\":\"mapctl.rules\",\"key\":5,\"value\":{\"hits\":1}}", -E2BIG,
		"mapctl.rules: failed to update: Argument list too long");
	CU_ASSERT_EQUAL(rules->n, 4);
	teardown();
}

static const struct fk_test tests[] = {
	{ "get: a struct typed from BTF", test_get_typed },
	{ "set: fields not given keep their value", test_set_keeps_other_fields },
	{ "dump: every entry, per-CPU values per CPU", test_dump },
	{ "refused keys and values, in the user's words", test_refused_keys_and_values },
	{ "refused maps: missing, misnamed, keyless", test_refused_maps },
	{ "the kernel's refusal of an update", test_kernel_refusal },
	{ NULL },
};

int main(void)
{
	return fk_main("emf.maps", tests);
}
