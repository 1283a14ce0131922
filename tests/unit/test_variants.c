// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Program variants: which sections reach the same hook point, and which kind
 * the choice keeps for a given kernel. The kernel is a fake probe here; the
 * real probes are exercised by tests/kernel/test_variants.
 */
#include <string.h>
#include <CUnit/Basic.h>

#include <emf/log.h>
#include <emf/runtime.h>

#include "fake_kernel.h"
#include "variant.emf.h"

#include "variants_internal.h"

static void test_parse(void)
{
	struct emf_hook h;

	CU_ASSERT_EQUAL(emf__hook_parse("tp_btf/sched_process_exec", &h), 0);
	CU_ASSERT_EQUAL(h.family, EMF_HOOK_TRACEPOINT);
	CU_ASSERT_EQUAL(h.kind, EMF_HOOK_TP_BTF);
	CU_ASSERT_EQUAL(h.rank, 0);
	CU_ASSERT_STRING_EQUAL(h.target, "sched_process_exec");

	CU_ASSERT_EQUAL(emf__hook_parse("raw_tracepoint/sched_process_exec", &h), 0);
	CU_ASSERT_EQUAL(h.kind, EMF_HOOK_RAW_TP);
	CU_ASSERT_STRING_EQUAL(h.target, "sched_process_exec");

	CU_ASSERT_EQUAL(emf__hook_parse("tp/sched/sched_process_exec", &h), 0);
	CU_ASSERT_EQUAL(h.kind, EMF_HOOK_TP);
	CU_ASSERT_EQUAL(h.rank, 2);
	CU_ASSERT_STRING_EQUAL(h.category, "sched");
	CU_ASSERT_STRING_EQUAL(h.target, "sched_process_exec");
	CU_ASSERT_EQUAL(emf__hook_parse("tracepoint/syscalls/sys_enter_openat", &h), 0);
	CU_ASSERT_STRING_EQUAL(h.target, "sys_enter_openat");

	CU_ASSERT_EQUAL(emf__hook_parse("fentry/do_unlinkat", &h), 0);
	CU_ASSERT_EQUAL(h.family, EMF_HOOK_FUNC_ENTRY);
	CU_ASSERT_EQUAL(emf__hook_parse("kprobe/do_unlinkat", &h), 0);
	CU_ASSERT_EQUAL(h.family, EMF_HOOK_FUNC_ENTRY);
	CU_ASSERT_EQUAL(h.rank, 1);
	CU_ASSERT_EQUAL(emf__hook_parse("kretprobe/do_unlinkat", &h), 0);
	CU_ASSERT_EQUAL(h.family, EMF_HOOK_FUNC_EXIT);

	/* No variants: no target, other kinds, an offset, a sleepable or writable kind. */
	CU_ASSERT_EQUAL(emf__hook_parse("raw_tp", &h), -ENOENT);
	CU_ASSERT_EQUAL(emf__hook_parse("tp_btf/", &h), -ENOENT);
	CU_ASSERT_EQUAL(emf__hook_parse("tp/sched", &h), -ENOENT);
	CU_ASSERT_EQUAL(emf__hook_parse("xdp", &h), -ENOENT);
	CU_ASSERT_EQUAL(emf__hook_parse("uprobe//bin/bash:readline", &h), -ENOENT);
	CU_ASSERT_EQUAL(emf__hook_parse("kprobe/do_unlinkat+0x10", &h), -ENOENT);
	CU_ASSERT_EQUAL(emf__hook_parse("fentry.s/do_unlinkat", &h), -ENOENT);
	CU_ASSERT_EQUAL(emf__hook_parse("raw_tp.w/sys_enter", &h), -ENOENT);
	CU_ASSERT_EQUAL(emf__hook_parse(NULL, &h), -ENOENT);
}

/* A fake kernel: which kinds it supports, and which hooks were probed. */
struct fake {
	unsigned int kinds; /* 1 << enum emf_hook_kind */
	int probes;
	char probed[16][160];
};

static bool fake_probe(void *ctx, const struct emf_hook *h)
{
	struct fake *f = ctx;

	if (f->probes < 16)
		snprintf(f->probed[f->probes], sizeof(f->probed[0]), "%s/%s",
			 emf__hook_kind_str(h->kind), h->target);
	f->probes++;
	return f->kinds & (1U << h->kind);
}

static size_t pick(struct emf_variant *v, size_t n, struct fake *f)
{
	size_t i;

	for (i = 0; i < n; i++)
		v[i].parsed = !emf__hook_parse(v[i].sec, &v[i].hook);
	return emf__variants_pick(v, n, fake_probe, f);
}

#define K(kind) (1U << EMF_HOOK_##kind)

static void test_best_supported(void)
{
	struct emf_variant v[] = {
		{ .name = "on_tp", .sec = "tp/sched/sched_process_exec" },
		{ .name = "on_btf", .sec = "tp_btf/sched_process_exec" },
		{ .name = "on_raw", .sec = "raw_tp/sched_process_exec" },
		{ .name = "other", .sec = "tp_btf/sched_process_exit" },
	};
	struct fake all = { .kinds = K(TP_BTF) | K(RAW_TP) | K(TP) };
	struct fake no_btf = { .kinds = K(RAW_TP) | K(TP) };
	struct fake tp_only = { .kinds = K(TP) };

	/* tp_btf > raw_tp > tp, whatever the order in the object. */
	CU_ASSERT_EQUAL(pick(v, 4, &all), 2);
	CU_ASSERT(!v[0].keep && v[1].keep && !v[2].keep && v[3].keep);
	/* The best is probed first and the search stops there; a lone hook is not probed. */
	CU_ASSERT_EQUAL(all.probes, 1);
	CU_ASSERT_STRING_EQUAL(all.probed[0], "tp_btf/sched_process_exec");

	CU_ASSERT_EQUAL(pick(v, 4, &no_btf), 2);
	CU_ASSERT(!v[0].keep && !v[1].keep && v[2].keep && v[3].keep);
	CU_ASSERT_EQUAL(no_btf.probes, 2);

	CU_ASSERT_EQUAL(pick(v, 4, &tp_only), 2);
	CU_ASSERT(v[0].keep && !v[1].keep && !v[2].keep && v[3].keep);
}

static void test_functions(void)
{
	struct emf_variant v[] = {
		{ .name = "k_entry", .sec = "kprobe/do_unlinkat" },
		{ .name = "f_entry", .sec = "fentry/do_unlinkat" },
		{ .name = "k_exit", .sec = "kretprobe/do_unlinkat" },
		{ .name = "f_exit", .sec = "fexit/do_unlinkat" },
	};
	struct fake fentry_ok = { .kinds = K(FENTRY) | K(FEXIT) | K(KPROBE) | K(KRETPROBE) };
	struct fake kprobe_only = { .kinds = K(KPROBE) | K(KRETPROBE) };

	/* Entry and exit are different hooks: one of each kind stays. */
	CU_ASSERT_EQUAL(pick(v, 4, &fentry_ok), 2);
	CU_ASSERT(!v[0].keep && v[1].keep && !v[2].keep && v[3].keep);
	CU_ASSERT_EQUAL(pick(v, 4, &kprobe_only), 2);
	CU_ASSERT(v[0].keep && !v[1].keep && v[2].keep && !v[3].keep);
}

static void test_none_supported(void)
{
	struct emf_variant v[] = {
		{ .name = "on_raw", .sec = "raw_tp/no_such_tracepoint" },
		{ .name = "on_btf", .sec = "tp_btf/no_such_tracepoint" },
	};
	struct fake none = { .kinds = 0 };

	/* The best kind stays, so that its failure is what gets reported. */
	CU_ASSERT_EQUAL(pick(v, 2, &none), 1);
	CU_ASSERT(!v[0].keep && v[1].keep);
	CU_ASSERT_EQUAL(none.probes, 2);
}

static void test_no_variants(void)
{
	struct emf_variant v[] = {
		{ .name = "a", .sec = "tp/syscalls/sys_enter_openat" },
		{ .name = "b", .sec = "tp/syscalls/sys_enter_openat" },
		{ .name = "c", .sec = "xdp" },
		{ .name = "d", .sec = "raw_tp" },
	};
	struct fake f = { .kinds = 0 };

	/* Two programs of one kind on one hook both run: they are not variants. */
	CU_ASSERT_EQUAL(pick(v, 4, &f), 0);
	CU_ASSERT(v[0].keep && v[1].keep && v[2].keep && v[3].keep);
	CU_ASSERT_EQUAL(f.probes, 0);
}

static void test_two_of_a_kind(void)
{
	struct emf_variant v[] = {
		{ .name = "btf1", .sec = "tp_btf/signal_generate" },
		{ .name = "raw", .sec = "raw_tp/signal_generate" },
		{ .name = "btf2", .sec = "tp_btf/signal_generate" },
	};
	struct fake raw_only = { .kinds = K(RAW_TP) };

	CU_ASSERT_EQUAL(pick(v, 3, &raw_only), 2);
	CU_ASSERT(!v[0].keep && v[1].keep && !v[2].keep);
}

/* Which of the variant plugin's three programs would load on a kernel with hook kinds @kinds. */
static void start_with(unsigned int kinds, const char *want)
{
	static const char *const progs[] = { "on_btf", "on_raw", "on_tp" };
	struct emf_plugin_desc desc;
	struct emf_runtime *rt;
	struct emf_plugin *p;
	size_t i;

	fk_reset();
	fk_set_hooks(kinds);
	rt = fk_runtime(NULL);
	p = emf_runtime__add(rt, fk_desc(&variant__plugin, &desc));
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_EQUAL_FATAL(emf_runtime__start(rt), 0);
	for (i = 0; i < 3; i++) {
		struct bpf_program *prog =
			bpf_object__find_program_by_name(emf_plugin__object(p), progs[i]);

		CU_ASSERT_PTR_NOT_NULL_FATAL(prog);
		if (bpf_program__autoload(prog) != !strcmp(progs[i], want)) {
			fprintf(stderr, "kinds %#x: %s %s\n", kinds, progs[i],
				bpf_program__autoload(prog) ? "kept" : "dropped");
			CU_FAIL("the wrong variant");
		}
	}
	emf_runtime__destroy(rt);
}

/* A plugin's start keeps the variant the kernel (seam) says it can run, and only it. */
static void test_plugin_start(void)
{
	start_with(~0u, "on_btf");
	start_with(~K(TP_BTF), "on_raw");
	start_with(K(TP), "on_tp");
	/* none supported: the best one stays, to say why it fails */
	start_with(0, "on_btf");
}

int main(void)
{
	unsigned int failed;
	CU_pSuite s;

	emf_set_print(NULL); /* the fake attaches nothing, which the runtime warns of */
	if (CU_initialize_registry() != CUE_SUCCESS)
		return CU_get_error();
	s = CU_add_suite("variants", NULL, NULL);
	CU_add_test(s, "sections and the hook points they reach", test_parse);
	CU_add_test(s, "the best kind the kernel supports is kept", test_best_supported);
	CU_add_test(s, "fentry over kprobe, fexit over kretprobe", test_functions);
	CU_add_test(s, "none supported: the best kind reports", test_none_supported);
	CU_add_test(s, "programs without variants are kept, unprobed", test_no_variants);
	CU_add_test(s, "every program of the kept kind stays", test_two_of_a_kind);
	CU_add_test(s, "a plugin's start keeps the variant the kernel runs", test_plugin_start);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_tests_failed() + CU_get_number_of_failures();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
