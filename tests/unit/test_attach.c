// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Declared attach targets (attach.c, iter.c) on the fake kernel, without
 * root: attachkinds declares a program of every kind; each must be attached
 * where its options say, everything undone at stop or when a later one
 * fails, tc through netlink where the kernel has no TCX, and an iterator's
 * runs delivered as events. The real kernel's side is test_attach.sh.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <CUnit/Basic.h>

#include <emf/errno.h>
#include <emf/runtime.h>

#include "attachkinds.emf.h"
#include "attachkinds.h"
#include "fake_kernel.h"

static struct emf_plugin_desc desc;
static int hits, lines;
static struct hit last_hit;

static int on_event(void *ctx, const struct emf_event *ev)
{
	(void)ctx;
	if (!strcmp(ev->type->name, "hit")) {
		memcpy(&last_hit, ev->data, sizeof(last_hit));
		hits++;
	} else if (!strcmp(ev->type->name, "line")) {
		lines++;
	}
	return 0;
}

/* attachkinds on the fake kernel, with an interface, a binary and a function to attach to. */
static struct emf_runtime *runtime(const char *ifname, struct emf_plugin **pp)
{
	struct emf_runtime_opts opts = { .sz = sizeof(opts), .event_cb = on_event };
	struct emf_runtime *rt;
	struct emf_plugin *p;

	fk_reset();
	hits = lines = 0;
	rt = fk_runtime(&opts);
	p = emf_runtime__add(rt, fk_desc(&attachkinds__plugin, &desc));
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_EQUAL(emf_plugin__set_option(p, "ifname", ifname), 0);
	CU_ASSERT_EQUAL(emf_plugin__set_option(p, "sockif", ifname), 0);
	CU_ASSERT_EQUAL(emf_plugin__set_option(p, "binary", "/bin/true"), 0);
	CU_ASSERT_EQUAL(emf_plugin__set_option(p, "function", "main"), 0);
	CU_ASSERT_EQUAL(emf_plugin__set_option(p, "usdt_binary", "/bin/true"), 0);
	CU_ASSERT_EQUAL(emf_plugin__set_option(p, "pid", "42"), 0);
	*pp = p;
	return rt;
}

/* Is the latest attachment of @prog of kind @what live, and does it go where @where says? */
static bool attached(const char *what, const char *prog, const char *where)
{
	const struct fk_att *a = fk_att(what, prog);

	if (!a || !fk_att_live(a) || (where && strcmp(a->where, where))) {
		fprintf(stderr, "%s of %s: %s (%s)\n", what, prog,
			!a	       ? "none" :
			fk_att_live(a) ? "elsewhere" :
					 "undone",
			a ? a->where : "");
		return false;
	}
	return true;
}

static void test_every_kind(void)
{
	static const char *const cgroup_progs[] = { "cg_out",	   "on_sockops", "on_connect4",
						    "on_connect6", "on_bind4",	 "on_sendmsg4" };
	char where[64];
	struct emf_plugin *p;
	struct emf_runtime *rt = runtime("lo", &p);
	const struct fk_att *a;
	size_t i;

	CU_ASSERT_EQUAL_FATAL(emf_runtime__start(rt), 0);
	/* TCX links, ingress and egress */
	snprintf(where, sizeof(where), "ifindex %u type 46", if_nametoindex("lo"));
	CU_ASSERT(attached("tcx", "tc_in", where));
	snprintf(where, sizeof(where), "ifindex %u type 47", if_nametoindex("lo"));
	CU_ASSERT(attached("tcx", "tc_out", where));
	/* the cgroup v2 root by default, the agent's own network namespace */
	for (i = 0; i < sizeof(cgroup_progs) / sizeof(cgroup_progs[0]); i++) {
		CU_ASSERT(attached("cgroup", cgroup_progs[i], NULL));
		a = fk_att("cgroup", cgroup_progs[i]);
		CU_ASSERT(a && a->where[0] == '/');
	}
	CU_ASSERT(attached("netns", "lookup", NULL));
	a = fk_att("netns", "lookup");
	CU_ASSERT(a && !strncmp(a->where, "net:[", 5));
	/* one perf event on each of the fake's CPUs */
	CU_ASSERT(attached("perf", "sample", NULL));
	CU_ASSERT(attached("uprobe", "on_call", "/bin/true:main pid 42"));
	CU_ASSERT(attached("usdt", "on_tick", "/bin/true:emftest:tick pid -1"));
	snprintf(where, sizeof(where), "ifindex %u", if_nametoindex("lo"));
	CU_ASSERT(attached("socket", "sockf", where));
	CU_ASSERT(attached("sockmap", "on_msg", NULL));
	CU_ASSERT(!strncmp(fk_att("sockmap", "on_msg")->where, "socks type", 10));
	CU_ASSERT(attached("sockmap", "on_verdict", NULL));
	CU_ASSERT(!strncmp(fk_att("sockmap", "on_verdict")->where, "socks2 type", 11));
	CU_ASSERT(attached("iter", "tasks", NULL));
	CU_ASSERT(attached("iter", "task_lines", NULL));
	CU_ASSERT(attached("iter", "tasks_on_call", NULL));
	/* 2 TCX, 6 cgroup, netns, 4 perf, uprobe, USDT, socket, 4 sockmap, 3 iterators */
	CU_ASSERT_EQUAL(fk_atts_live(), 2 + 6 + 1 + FK_CPUS + 1 + 1 + 1 + 4 + 3);
	emf_runtime__stop(rt);
	CU_ASSERT_EQUAL(fk_atts_live(), 0);
	emf_runtime__destroy(rt);
}

/* A failure late in the list undoes what came before it, and says which program and why. */
static void test_rollback(void)
{
	struct emf_plugin *p;
	struct emf_runtime *rt = runtime("lo", &p);

	fk_attach_fail("on_verdict", -EBUSY);
	CU_ASSERT_EQUAL(emf_runtime__start(rt), -EBUSY);
	CU_ASSERT_PTR_NOT_NULL(fk_att("tcx", "tc_in"));
	CU_ASSERT_EQUAL(fk_atts_live(), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(
		emf_plugin__last_error(p),
		"program on_verdict (section sk_skb/verdict) to sockmap socks2: Device or resource busy"));
	CU_ASSERT_EQUAL(emf_plugin__state(p), EMF_PLUGIN_FAILED);
	emf_runtime__destroy(rt);

	/* a link refused: perf events on the first CPUs went back too */
	rt = runtime("lo", &p);
	fk_attach_fail("on_call", -ENOENT);
	CU_ASSERT_EQUAL(emf_runtime__start(rt), -ENOENT);
	CU_ASSERT_EQUAL(fk_atts_live(), 0);
	CU_ASSERT_PTR_NOT_NULL(
		strstr(emf_plugin__last_error(p),
		       "program on_call (section uprobe) to uprobe main of /bin/true"));
	emf_runtime__destroy(rt);
}

/* Before TCX (6.6): tc filters through netlink, on a clsact qdisc made for them and removed after. */
static void test_tc_netlink(void)
{
	struct emf_plugin *p;
	struct emf_runtime *rt = runtime("lo", &p);
	const struct fk_att *q;
	char where[64];

	fk_set_tcx(false);
	CU_ASSERT_EQUAL_FATAL(emf_runtime__start(rt), 0);
	CU_ASSERT_PTR_NULL(fk_att("tcx", "tc_in"));
	snprintf(where, sizeof(where), "ifindex %u", if_nametoindex("lo"));
	CU_ASSERT(attached("clsact", "", where));
	q = fk_att("clsact", "");
	CU_ASSERT(attached("tc", "tc_in", NULL));
	CU_ASSERT(strstr(fk_att("tc", "tc_in")->where, " ingress ") != NULL);
	CU_ASSERT(attached("tc", "tc_out", NULL));
	CU_ASSERT(strstr(fk_att("tc", "tc_out")->where, " egress ") != NULL);
	emf_runtime__stop(rt);
	CU_ASSERT(!fk_att_live(fk_att("tc", "tc_in")));
	CU_ASSERT(!fk_att_live(fk_att("tc", "tc_out")));
	CU_ASSERT(!fk_att_live(q));
	CU_ASSERT_EQUAL(fk_atts_live(), 0);
	emf_runtime__destroy(rt);

	/* neither TCX nor clsact: a missing feature, named with what to load */
	rt = runtime("lo", &p);
	fk_set_tcx(false);
	fk_set_qdisc_err(-ENOENT);
	CU_ASSERT_EQUAL(emf_runtime__start(rt), -EMF_ERRNO__NOFEAT);
	CU_ASSERT_PTR_NOT_NULL(strstr(emf_plugin__last_error(p),
				      "this kernel has neither TCX nor the clsact qdisc"));
	CU_ASSERT_PTR_NOT_NULL(strstr(emf_plugin__last_error(p), "modprobe sch_ingress"));
	CU_ASSERT_EQUAL(fk_atts_live(), 0);
	emf_runtime__destroy(rt);
}

/* Options that name nothing: an interface that is not there, one left empty. */
static void test_options(void)
{
	struct emf_plugin *p;
	struct emf_runtime *rt = runtime("nosuch0", &p);

	CU_ASSERT_EQUAL(emf_runtime__start(rt), -ENODEV);
	CU_ASSERT_PTR_NOT_NULL(strstr(
		emf_plugin__last_error(p),
		"program tc_in: no network interface 'nosuch0' (option attachkinds.ifname)"));
	CU_ASSERT_EQUAL(fk_atts_live(), 0);
	emf_runtime__destroy(rt);

	/* empty: the program waits for it, and the rest attach */
	rt = runtime("", &p);
	CU_ASSERT_EQUAL_FATAL(emf_runtime__start(rt), 0);
	CU_ASSERT_PTR_NULL(fk_att("tcx", "tc_in"));
	CU_ASSERT_PTR_NULL(fk_att("socket", "sockf"));
	CU_ASSERT(attached("uprobe", "on_call", NULL));
	emf_runtime__destroy(rt);
	CU_ASSERT_EQUAL(fk_atts_live(), 0);
}

/* An iterator's run: its records are events of the ring buffer it names. */
static void test_iter_runs(void)
{
	struct hit h = { .kind = HIT_ITER, .pid = 7, .len = 1, .proto = 2 };
	struct emf_plugin *p;
	struct emf_runtime *rt = runtime("lo", &p);
	int i;

	CU_ASSERT_EQUAL_FATAL(emf_runtime__start(rt), 0);
	fk_iter_output(&h, sizeof(h));
	/* tasks and task_lines run every 100 ms; tasks_on_call only when called */
	for (i = 0; i < 50 && !hits; i++)
		emf_runtime__poll(rt, 20);
	CU_ASSERT(hits >= 1);
	CU_ASSERT_EQUAL(last_hit.kind, HIT_ITER);
	CU_ASSERT_EQUAL(last_hit.pid, 7);
	emf_runtime__destroy(rt);
	CU_ASSERT_EQUAL(fk_atts_live(), 0);
}

int main(void)
{
	static const struct fk_test tests[] = {
		{ "every declared kind attached, all undone at stop", test_every_kind },
		{ "a failed attachment undoes the others", test_rollback },
		{ "tc through netlink without TCX", test_tc_netlink },
		{ "options naming no target", test_options },
		{ "iterator runs delivered as events", test_iter_runs },
		{ NULL },
	};

	return fk_main("attach on the fake kernel", tests);
}
