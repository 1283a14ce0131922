// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Registry: static plugins found without a list (also when they come from a
 * static archive), priority order with a deterministic tie-break, refusals.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <CUnit/Basic.h>
#include <bpf/libbpf.h>

#include <emf/errno.h>
#include <emf/log.h>
#include <emf/runtime.h>
#include <emf/slots.h>

static int noop_open(void **skel, const struct bpf_object_open_opts *opts)
{
	(void)opts;
	*skel = NULL;
	return 0;
}

static int noop_step(void *skel)
{
	(void)skel;
	return 0;
}

static void noop_void(void *skel)
{
	(void)skel;
}

static const struct emf_plugin_ops noop_ops = { noop_open, noop_step, noop_step,
						noop_void, noop_void, NULL };

#define DESC(n, prio)                                                                      \
	{                                                                                  \
		.abi_version = EMF_PLUGIN_ABI_VERSION, .desc_size = sizeof(struct emf_plugin_desc), \
		.name = n, .priority = prio, .ops = &noop_ops,                             \
	}

/* Registered the way generated plugins register themselves. */
static const struct emf_plugin_desc in_test = DESC("in_test", 70);
EMF_PLUGIN_REGISTER(in_test, in_test);

static void test_static_plugins(void)
{
	const struct emf_plugin_desc *const *d;
	bool execsnoop = false, self = false;
	size_t n, i;

	d = emf_static_plugins(&n);
	CU_ASSERT_FATAL(n >= 2);
	for (i = 0; i < n; i++) {
		/* execsnoop comes from plugins/libemfplugins.a, linked whole. */
		execsnoop |= !strcmp(d[i]->name, "execsnoop");
		self |= d[i] == &in_test;
	}
	CU_ASSERT(execsnoop);
	CU_ASSERT(self);
}

static void test_add_static(void)
{
	struct emf_runtime *rt = emf_runtime__new(NULL);
	size_t n;

	emf_static_plugins(&n);
	CU_ASSERT_EQUAL(emf_runtime__add_static(rt), (int)n);
	CU_ASSERT_PTR_NOT_NULL(emf_runtime__find(rt, "execsnoop"));
	CU_ASSERT_PTR_NOT_NULL(emf_runtime__find(rt, "in_test"));
	/* Twice is a duplicate, and adds nothing. */
	CU_ASSERT_EQUAL(emf_runtime__add_static(rt), -EMF_ERRNO__DUP);
	CU_ASSERT_EQUAL(emf_runtime__plugin_cnt(rt), n);
	emf_runtime__destroy(rt);
}

static const char *order(struct emf_runtime *rt)
{
	static char buf[128];
	size_t i;

	buf[0] = '\0';
	for (i = 0; i < emf_runtime__plugin_cnt(rt); i++)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s", i ? " " : "",
			 emf_plugin__name(emf_runtime__plugin(rt, i)));
	return buf;
}

static void test_order_and_tie_break(void)
{
	static const struct emf_plugin_desc b30 = DESC("b", 30), z10 = DESC("z", 10),
					    a30 = DESC("a", 30), c50 = DESC("c", 50),
					    m30 = DESC("m", 30);
	struct emf_runtime *rt = emf_runtime__new(NULL);
	struct emf_plugin *c;

	CU_ASSERT_PTR_NOT_NULL(emf_runtime__add(rt, &b30));
	CU_ASSERT_PTR_NOT_NULL(emf_runtime__add(rt, &z10));
	c = emf_runtime__add(rt, &c50);
	CU_ASSERT_PTR_NOT_NULL(emf_runtime__add(rt, &m30));
	CU_ASSERT_PTR_NOT_NULL(emf_runtime__add(rt, &a30));
	CU_ASSERT_STRING_EQUAL(order(rt), "z a b m c");
	/* The host overrides a priority; order follows. */
	CU_ASSERT_EQUAL(emf_plugin__set_priority(c, 0), 0);
	CU_ASSERT_STRING_EQUAL(order(rt), "c z a b m");
	CU_ASSERT_EQUAL(emf_plugin__priority(c), 0);
	CU_ASSERT_EQUAL(emf_runtime__remove(rt, emf_runtime__find(rt, "a")), 0);
	CU_ASSERT_STRING_EQUAL(order(rt), "c z b m");
	emf_runtime__destroy(rt);
}

static void test_refusals(void)
{
	static const struct emf_plugin_desc ok = DESC("ok", 1), dup = DESC("ok", 2);
	static struct emf_plugin_desc abi = DESC("abi", 1), noops = DESC("noops", 1),
				      noname = DESC(NULL, 1);
	struct emf_runtime *rt = emf_runtime__new(NULL);

	abi.abi_version = EMF_PLUGIN_ABI_VERSION + 1;
	noops.ops = NULL;
	CU_ASSERT_PTR_NOT_NULL(emf_runtime__add(rt, &ok));
	CU_ASSERT_PTR_NULL(emf_runtime__add(rt, &dup));
	CU_ASSERT_EQUAL(errno, EMF_ERRNO__DUP);
	CU_ASSERT_PTR_NULL(emf_runtime__add(rt, &abi));
	CU_ASSERT_EQUAL(errno, EMF_ERRNO__ABI);
	CU_ASSERT_PTR_NULL(emf_runtime__add(rt, &noops));
	CU_ASSERT_EQUAL(errno, EMF_ERRNO__NOTPLUGIN);
	CU_ASSERT_PTR_NULL(emf_runtime__add(rt, &noname));
	CU_ASSERT_EQUAL(errno, EMF_ERRNO__NOTPLUGIN);
	CU_ASSERT_PTR_NULL(emf_runtime__find(rt, "nope"));
	CU_ASSERT_EQUAL(errno, ENOENT);
	CU_ASSERT_PTR_NULL(emf_runtime__find(rt, NULL));
	CU_ASSERT_EQUAL(errno, EINVAL);
	CU_ASSERT_EQUAL(emf_runtime__plugin_cnt(rt), 1);
	{
		EMF_OPTS(emf_pin_opts, pin, .root = "relative/dir");
		EMF_OPTS(emf_runtime_opts, opts, .pin = &pin);

		errno = 0;
		CU_ASSERT_PTR_NULL(emf_runtime__new(&opts));
		CU_ASSERT_EQUAL(errno, EINVAL);
	}
	{
		/* A newer build's longer descriptor loads while its extra fields are unused. */
		static struct {
			struct emf_plugin_desc d;
			uint64_t next_field;
		} newer = { DESC("newer", 1) };

		newer.d.desc_size = sizeof(newer);
		newer.next_field = 1;
		CU_ASSERT_PTR_NULL(emf_runtime__add(rt, &newer.d));
		CU_ASSERT_EQUAL(errno, EMF_ERRNO__ABI);
		newer.next_field = 0;
		CU_ASSERT_PTR_NOT_NULL(emf_runtime__add(rt, &newer.d));
	}
	CU_ASSERT_STRING_EQUAL(emf_strerror(-EMF_ERRNO__ABI), "plugin built for another emf ABI version");
	CU_ASSERT_STRING_EQUAL(emf_strerror(ENOENT), "No such file or directory");
	emf_runtime__destroy(rt);
}

/* Every runtime and plugin function taking a handle refuses NULL the same way. */
static void test_null_handles(void)
{
	struct emf_output_stats os;
	struct emf_plugin_stats ps;

	emf_runtime__destroy(NULL);
	errno = 0;
	CU_ASSERT_PTR_NULL(emf_runtime__find(NULL, "a"));
	CU_ASSERT_EQUAL(errno, EINVAL);
	CU_ASSERT_STRING_EQUAL(emf_runtime__last_error(NULL), "");
	CU_ASSERT_STRING_EQUAL(emf_plugin__last_error(NULL), "");
	CU_ASSERT_EQUAL(emf_runtime__epoll_fd(NULL), -EINVAL);
	CU_ASSERT_EQUAL(emf_runtime__poll(NULL, 0), -EINVAL);
	CU_ASSERT_EQUAL(emf_plugin__set_priority(NULL, 1), -EINVAL);
	CU_ASSERT_EQUAL(emf_plugin__set_required(NULL, true), -EINVAL);
	CU_ASSERT_EQUAL(emf_plugin__output_stats(NULL, 0, &os), -EINVAL);
	CU_ASSERT_EQUAL(emf_plugin__stats(NULL, &ps), -EINVAL);
	CU_ASSERT_EQUAL(emf_plugin__set_priv(NULL, &os), -EINVAL);
	CU_ASSERT_PTR_NULL(emf_plugin__priv(NULL));
}

static char *render_x(char *p, const void *data, size_t size)
{
	(void)size;
	return p + sprintf(p, "\"x\":%d", *(const int *)data);
}

static char *render_none(char *p, const void *data, size_t size)
{
	(void)data, (void)size;
	return p;
}

/* The JSON line every host writes: names, the time in RFC 3339 UTC, the fields. */
static void test_json_line(void)
{
	static const struct emf_plugin_desc d = DESC("jl", 1);
	struct emf_event_type with = { .name = "ev", .json_max = 16, .render_json = render_x },
			      without = { .name = "bare", .json_max = 0, .render_json = render_none };
	struct emf_runtime *rt = emf_runtime__new(NULL);
	int x = -7;
	struct emf_event ev = { .plugin = emf_runtime__add(rt, &d), .type = &with, .data = &x,
				.size = sizeof(x), .time_ns = 1764695999123456789ULL };
	char buf[256], *end;

	end = emf_event__json_line(buf, &ev);
	CU_ASSERT((size_t)(end - buf) <= emf_event__json_max(&ev));
	*end = '\0';
	CU_ASSERT_STRING_EQUAL(buf, "{\"plugin\":\"jl\",\"event\":\"ev\","
				    "\"time\":\"2025-12-02T17:19:59.123456789Z\",\"x\":-7}");
	ev.type = &without;
	ev.time_ns = 5;
	end = emf_event__json_line(buf, &ev);
	*end = '\0';
	CU_ASSERT_STRING_EQUAL(buf, "{\"plugin\":\"jl\",\"event\":\"bare\","
				    "\"time\":\"1970-01-01T00:00:00.000000005Z\"}");
	emf_runtime__destroy(rt);
}

/* The old names of add_file/add_dir still work, for one release. */
static void test_old_names(void)
{
	struct emf_runtime *rt = emf_runtime__new(NULL);

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
	errno = 0;
	CU_ASSERT_PTR_NULL(emf_runtime__load_file(rt, "/nonexistent/emf-test.so"));
	CU_ASSERT_EQUAL(errno, ENOENT);
	CU_ASSERT_EQUAL(emf_runtime__load_dir(rt, "/nonexistent/emf-test.d"), -ENOENT);
#pragma GCC diagnostic pop
	CU_ASSERT_PTR_NULL(emf_runtime__add_file(rt, "/nonexistent/emf-test.so"));
	CU_ASSERT_EQUAL(errno, ENOENT);
	emf_runtime__destroy(rt);
}

/* Each instance of one descriptor keeps its own private data. */
static void test_priv_per_instance(void)
{
	static const struct emf_plugin_desc d = DESC("d", 1);
	struct emf_runtime *r1 = emf_runtime__new(NULL), *r2 = emf_runtime__new(NULL);
	struct emf_plugin *p1 = emf_runtime__add(r1, &d), *p2 = emf_runtime__add(r2, &d);
	int a, b;

	CU_ASSERT_PTR_NULL(emf_plugin__priv(p1));
	CU_ASSERT_EQUAL(emf_plugin__set_priv(p1, &a), 0);
	CU_ASSERT_EQUAL(emf_plugin__set_priv(p2, &b), 0);
	CU_ASSERT_PTR_EQUAL(emf_plugin__priv(p1), &a);
	CU_ASSERT_PTR_EQUAL(emf_plugin__priv(p2), &b);
	CU_ASSERT_EQUAL(emf_plugin__set_priv(p1, NULL), 0);
	CU_ASSERT_PTR_NULL(emf_plugin__priv(p1));
	emf_runtime__destroy(r1);
	emf_runtime__destroy(r2);
}

static int libbpf_msgs, libbpf_msgs_before_emf;
static bool libbpf_print_was_emf;

static int count_libbpf(enum libbpf_print_level level, const char *fmt, va_list args)
{
	(void)level, (void)fmt, (void)args;
	libbpf_msgs++;
	return 0;
}

/* Linking the library leaves libbpf's printing to the host until it uses emf. */
static void test_libbpf_print_untouched(void)
{
	CU_ASSERT(libbpf_msgs_before_emf > 0);
	CU_ASSERT_FALSE(libbpf_print_was_emf);
}

int main(void)
{
	CU_pSuite s;
	int failed;

	Dl_info lib, self;
	libbpf_print_fn_t prev;

	/* At start, libbpf's callback is libbpf's own, not one of this program. */
	prev = libbpf_set_print(count_libbpf);
	libbpf_print_was_emf = prev && dladdr((void *)prev, &lib) && dladdr((void *)main, &self) &&
			       lib.dli_fbase == self.dli_fbase;
	/* A file libbpf cannot open: it warns. */
	if (!bpf_object__open_file("/nonexistent/emf-test.bpf.o", NULL))
		libbpf_msgs_before_emf = libbpf_msgs;
	emf_set_print(NULL); /* the refusals below are expected */
	if (CU_initialize_registry() != CUE_SUCCESS)
		return CU_get_error();
	s = CU_add_suite("registry", NULL, NULL);
	CU_add_test(s, "static plugins found without a list", test_static_plugins);
	CU_add_test(s, "add_static adds all or nothing", test_add_static);
	CU_add_test(s, "priority order and tie-break by name", test_order_and_tie_break);
	CU_add_test(s, "bad descriptors are refused", test_refusals);
	CU_add_test(s, "NULL handles are refused", test_null_handles);
	CU_add_test(s, "private data per plugin instance", test_priv_per_instance);
	CU_add_test(s, "load_file and load_dir still work", test_old_names);
	CU_add_test(s, "an event as a JSON line", test_json_line);
	CU_add_test(s, "libbpf's print callback is the host's until it uses emf",
		    test_libbpf_print_untouched);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_tests_failed() + CU_get_number_of_failures();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
