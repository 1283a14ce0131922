// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Lifecycle order and rollback, driven through fake skeleton operations that
 * record every call and fail at a chosen step of a chosen plugin.
 */
#include <stdio.h>
#include <string.h>
#include <CUnit/Basic.h>

#include <emf/errno.h>
#include <emf/log.h>
#include <emf/runtime.h>

static char trace[1024];
static char fail_at[32]; /* "load:b": fail that step of that plugin */

struct fake {
	const char *name;
};

static void record(const char *step, const struct fake *f, bool *failed)
{
	char here[32];

	snprintf(here, sizeof(here), "%s:%s", step, f->name);
	*failed = !strcmp(here, fail_at);
	snprintf(trace + strlen(trace), sizeof(trace) - strlen(trace), "%s%s%s", trace[0] ? " " : "",
		 here, *failed ? "!" : "");
}

static struct fake fakes[] = { { "a" }, { "b" }, { "c" } };

#define FAKE_OPS(idx)                                                                      \
	static int open_##idx(void **skel, const struct bpf_object_open_opts *opts)        \
	{                                                                                  \
		bool failed;                                                               \
		(void)opts;                                                                \
		record("open", &fakes[idx], &failed);                                      \
		if (failed)                                                                \
			return -ENOENT;                                                    \
		*skel = &fakes[idx];                                                       \
		return 0;                                                                  \
	}

FAKE_OPS(0)
FAKE_OPS(1)
FAKE_OPS(2)

static int fake_load(void *skel)
{
	bool failed;

	record("load", skel, &failed);
	return failed ? -EACCES : 0;
}

static int fake_attach(void *skel)
{
	bool failed;

	record("attach", skel, &failed);
	return failed ? -ENOENT : 0;
}

static void fake_detach(void *skel)
{
	bool failed;

	record("detach", skel, &failed);
}

static void fake_destroy(void *skel)
{
	bool failed;

	if (skel)
		record("destroy", skel, &failed);
}


static const struct emf_plugin_ops ops[3] = {
	{ open_0, fake_load, fake_attach, fake_detach, fake_destroy, NULL },
	{ open_1, fake_load, fake_attach, fake_detach, fake_destroy, NULL },
	{ open_2, fake_load, fake_attach, fake_detach, fake_destroy, NULL },
};

static struct emf_plugin_desc descs[3];

static struct emf_runtime *make_runtime_opts(bool keep_going)
{
	/* One job: loads and detaches in order, so that traces are exact. */
	struct emf_runtime *rt = emf_runtime__new(&(struct emf_runtime_opts){
		.sz = sizeof(struct emf_runtime_opts), .keep_going = keep_going, .jobs = 1 });
	int i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(rt);
	/* Added out of order on purpose: the runtime orders by priority. */
	for (i = 2; i >= 0; i--)
		CU_ASSERT_PTR_NOT_NULL(emf_runtime__add(rt, &descs[i]));
	trace[0] = '\0';
	return rt;
}

static struct emf_runtime *make_runtime(void)
{
	return make_runtime_opts(false);
}

static void check_states(struct emf_runtime *rt, const char *want)
{
	char got[64] = "";
	size_t i;

	for (i = 0; i < emf_runtime__plugin_cnt(rt); i++)
		snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s", i ? " " : "",
			 emf_plugin_state_str(emf_plugin__state(emf_runtime__plugin(rt, i))));
	CU_ASSERT_STRING_EQUAL(got, want);
}

static void test_start_stop_order(void)
{
	struct emf_runtime *rt = make_runtime();

	fail_at[0] = '\0';
	CU_ASSERT_EQUAL(emf_runtime__start(rt), 0);
	CU_ASSERT_STRING_EQUAL(trace, "open:a open:b open:c load:a load:b load:c "
				      "attach:a attach:b attach:c");
	check_states(rt, "attached attached attached");
	trace[0] = '\0';
	emf_runtime__stop(rt);
	CU_ASSERT_STRING_EQUAL(trace, "detach:c detach:b detach:a destroy:c destroy:b destroy:a");
	check_states(rt, "new new new");
	/* A stopped runtime starts again. */
	trace[0] = '\0';
	CU_ASSERT_EQUAL(emf_runtime__start(rt), 0);
	CU_ASSERT_STRING_EQUAL(trace, "open:a open:b open:c load:a load:b load:c "
				      "attach:a attach:b attach:c");
	trace[0] = '\0';
	emf_runtime__destroy(rt);
	CU_ASSERT_STRING_EQUAL(trace, "detach:c detach:b detach:a destroy:c destroy:b destroy:a");
}

static void check_rollback(const char *step, int want_err, const char *want_trace,
			   const char *want_states, const char *want_msg)
{
	struct emf_runtime *rt = make_runtime();
	int err;

	snprintf(fail_at, sizeof(fail_at), "%s", step);
	err = emf_runtime__start(rt);
	CU_ASSERT_EQUAL(err, want_err);
	CU_ASSERT_STRING_EQUAL(trace, want_trace);
	check_states(rt, want_states);
	CU_ASSERT_PTR_NOT_NULL(strstr(emf_runtime__last_error(rt), want_msg));
	/* The runtime is usable again once the cause is gone. */
	fail_at[0] = '\0';
	CU_ASSERT_EQUAL(emf_runtime__start(rt), 0);
	check_states(rt, "attached attached attached");
	emf_runtime__destroy(rt);
}

static void test_rollback_open(void)
{
	check_rollback("open:b", -ENOENT, "open:a open:b! destroy:a", "new failed new",
		       "plugin 'b' failed to open");
}

static void test_rollback_load(void)
{
	check_rollback("load:b", -EACCES,
		       "open:a open:b open:c load:a load:b! load:c destroy:b destroy:c destroy:a",
		       "new failed new", "plugin 'b' failed to load");
}

static void test_rollback_attach_last(void)
{
	check_rollback("attach:c", -ENOENT,
		       "open:a open:b open:c load:a load:b load:c attach:a attach:b attach:c! "
		       "destroy:c detach:b detach:a destroy:b destroy:a",
		       "new new failed", "plugin 'c' failed to attach");
}

static void test_rollback_attach_first(void)
{
	check_rollback("attach:a", -ENOENT,
		       "open:a open:b open:c load:a load:b load:c attach:a! destroy:a destroy:c "
		       "destroy:b",
		       "failed new new", "plugin 'a' failed to attach");
}

static void test_keep_going(void)
{
	struct emf_runtime *rt = make_runtime_opts(true);

	snprintf(fail_at, sizeof(fail_at), "load:b");
	CU_ASSERT_EQUAL(emf_runtime__start(rt), 0);
	CU_ASSERT_STRING_EQUAL(trace, "open:a open:b open:c load:a load:b! load:c destroy:b "
				      "attach:a attach:c");
	check_states(rt, "attached failed attached");
	CU_ASSERT_PTR_NOT_NULL(strstr(emf_runtime__last_error(rt), "plugin 'b' failed to load"));
	trace[0] = '\0';
	emf_runtime__stop(rt);
	CU_ASSERT_STRING_EQUAL(trace, "detach:c detach:a destroy:c destroy:a");
	/* Nothing can start: the start fails with the first error. */
	snprintf(fail_at, sizeof(fail_at), "attach:a");
	emf_runtime__remove(rt, emf_runtime__find(rt, "b"));
	emf_runtime__remove(rt, emf_runtime__find(rt, "c"));
	CU_ASSERT_EQUAL(emf_runtime__start(rt), -ENOENT);
	check_states(rt, "failed");
	fail_at[0] = '\0';
	emf_runtime__destroy(rt);
}

static char hook_trace[256];

static int hook_rec(struct emf_plugin *p, const char *what, bool fail)
{
	snprintf(hook_trace + strlen(hook_trace), sizeof(hook_trace) - strlen(hook_trace),
		 "%s%s:%s", hook_trace[0] ? " " : "", what, emf_plugin__name(p));
	return fail ? -EIO : 0;
}

static bool fail_create, fail_attach_hook;

static int h_create(struct emf_plugin *p)
{
	return hook_rec(p, "create", fail_create);
}

static int h_attach(struct emf_plugin *p)
{
	return hook_rec(p, "attach", fail_attach_hook);
}

static void h_detach(struct emf_plugin *p)
{
	hook_rec(p, "detach", false);
}

static void h_destroy(struct emf_plugin *p)
{
	hook_rec(p, "destroy", false);
}

static const struct emf_plugin_hooks hooks = { h_create, h_attach, h_detach, h_destroy };

static void test_hooks(void)
{
	struct emf_runtime *rt;

	descs[1].hooks = &hooks;
	fail_at[0] = '\0';
	rt = make_runtime();
	hook_trace[0] = '\0';
	CU_ASSERT_EQUAL(emf_runtime__start(rt), 0);
	emf_runtime__stop(rt);
	CU_ASSERT_STRING_EQUAL(hook_trace, "create:b attach:b detach:b destroy:b");
	/* The steps and the hooks interleave: hook after open and attach, before detach and destroy. */
	CU_ASSERT_STRING_EQUAL(trace, "open:a open:b open:c load:a load:b load:c attach:a attach:b "
				      "attach:c detach:c detach:b detach:a destroy:c destroy:b "
				      "destroy:a");
	/* A failing attach hook fails the start: everything is rolled back, hooks included. */
	hook_trace[0] = '\0';
	fail_attach_hook = true;
	CU_ASSERT_EQUAL(emf_runtime__start(rt), -EIO);
	CU_ASSERT_STRING_EQUAL(hook_trace, "create:b attach:b detach:b destroy:b");
	CU_ASSERT_PTR_NOT_NULL(strstr(emf_runtime__last_error(rt), "(its attach hook)"));
	check_states(rt, "new failed new");
	fail_attach_hook = false;
	/* A failing create hook: the plugin's object is closed, its destroy hook not called. */
	hook_trace[0] = '\0';
	fail_create = true;
	CU_ASSERT_EQUAL(emf_runtime__start(rt), -EIO);
	CU_ASSERT_STRING_EQUAL(hook_trace, "create:b");
	fail_create = false;
	emf_runtime__destroy(rt);
	descs[1].hooks = NULL;
}

static void test_poll_needs_start(void)
{
	struct emf_runtime *rt = make_runtime();

	CU_ASSERT_EQUAL(emf_runtime__poll(rt, 0), -EMF_ERRNO__STATE);
	CU_ASSERT(emf_runtime__epoll_fd(rt) >= 0);
	emf_runtime__destroy(rt);
}

int main(void)
{
	static const char *const names[] = { "a", "b", "c" };
	CU_pSuite s;
	int i, failed;

	emf_set_print(NULL); /* the failures below are expected */
	for (i = 0; i < 3; i++) {
		descs[i].abi_version = EMF_PLUGIN_ABI_VERSION;
		descs[i].desc_size = sizeof(struct emf_plugin_desc);
		descs[i].name = names[i];
		descs[i].priority = 10 * (i + 1);
		descs[i].ops = &ops[i];
	}
	if (CU_initialize_registry() != CUE_SUCCESS)
		return CU_get_error();
	s = CU_add_suite("lifecycle", NULL, NULL);
	CU_add_test(s, "start and stop in priority order", test_start_stop_order);
	CU_add_test(s, "open failure rolls back", test_rollback_open);
	CU_add_test(s, "load failure rolls back", test_rollback_load);
	CU_add_test(s, "attach failure of the last plugin rolls back", test_rollback_attach_last);
	CU_add_test(s, "attach failure of the first plugin rolls back", test_rollback_attach_first);
	CU_add_test(s, "keep going past a failing plugin", test_keep_going);
	CU_add_test(s, "user hooks around the steps", test_hooks);
	CU_add_test(s, "poll before start is refused", test_poll_needs_start);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_tests_failed() + CU_get_number_of_failures();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
