// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Program variants against the real kernel: a plugin carries the sys_enter
 * tracepoint as tp_btf/, raw_tp/ and tp/ programs. The runtime loads exactly
 * one of them, the best this kernel supports (tp_btf, on every kernel with
 * BTF), and every getpgid() of this process arrives exactly once, from that
 * variant. With tp_btf turned off by the host, raw_tp is chosen over tp.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <emf/errno.h>
#include <emf/runtime.h>

#include "ktest.h"
#include "variant.h"
#include "variant.emf.h"

#define CHECK KTEST_CHECK
#define N_CALLS 500
#define ARG_BASE 200000000ULL

static unsigned int seen[N_CALLS], events, wrong_kind;
static enum variant_kind want_kind;

static int on_event(void *ctx, const struct emf_event *ev)
{
	const struct variant__event *e = variant__event__from(ev->data, ev->size);

	(void)ctx;
	if (!e || e->arg < ARG_BASE || e->arg >= ARG_BASE + N_CALLS)
		return 0;
	seen[e->arg - ARG_BASE]++;
	events++;
	wrong_kind += e->kind != want_kind;
	return 0;
}

static int kernel_progs_named(const char *name)
{
	return ktest_progs_named(name, false, false);
}

static void run(const char *off, const char *want_prog, enum variant_kind kind)
{
	static const char *const progs[] = { "on_btf", "on_raw", "on_tp" };
	struct emf_runtime *rt;
	struct emf_plugin *p;
	struct bpf_object *obj;
	time_t end;
	int i, loaded = 0;

	memset(seen, 0, sizeof(seen));
	events = wrong_kind = 0;
	want_kind = kind;
	rt = emf_runtime__new(&(struct emf_runtime_opts){ .sz = sizeof(struct emf_runtime_opts),
							   .event_cb = on_event });
	p = rt ? emf_runtime__add(rt, &variant__plugin) : NULL;
	CHECK(p, "cannot add the plugin: %s\n", emf_strerror(errno));
	CHECK(!variant__set_target_tgid(p, getpid()), "cannot set target_tgid\n");
	CHECK(!emf_runtime__open(rt), "open: %s\n", emf_runtime__last_error(rt));
	obj = emf_plugin__object(p);
	if (off)
		bpf_program__set_autoload(bpf_object__find_program_by_name(obj, off), false);
	CHECK(!emf_runtime__start(rt), "start: %s\n", emf_runtime__last_error(rt));

	/* Exactly one variant in the kernel: the chosen one. */
	for (i = 0; i < 3; i++) {
		struct bpf_program *prog = bpf_object__find_program_by_name(obj, progs[i]);
		bool is_want = !strcmp(progs[i], want_prog);

		CHECK((bpf_program__fd(prog) >= 0) == is_want, "%s is %sloaded, want %s\n",
		      progs[i], bpf_program__fd(prog) >= 0 ? "" : "not ", want_prog);
		CHECK(kernel_progs_named(progs[i]) == is_want,
		      "the kernel holds %d programs named %s, want %d\n",
		      kernel_progs_named(progs[i]), progs[i], is_want);
		loaded += bpf_program__fd(prog) >= 0;
	}
	CHECK(loaded == 1, "%d variants loaded, want 1\n", loaded);

	for (i = 0; i < N_CALLS; i++)
		syscall(SYS_getpgid, (pid_t)(ARG_BASE + i));
	for (end = time(NULL) + 5; time(NULL) < end && events < N_CALLS;)
		emf_runtime__poll(rt, 50);
	emf_runtime__drain(rt);
	emf_runtime__destroy(rt);

	CHECK(events == N_CALLS, "%u events for %d calls (%s)\n", events, N_CALLS, want_prog);
	for (i = 0; i < N_CALLS; i++)
		CHECK(seen[i] == 1, "call %d arrived %u times, want once\n", i, seen[i]);
	CHECK(!wrong_kind, "%u events from another variant than %s\n", wrong_kind, want_prog);
	/* The kernel frees programs from deferred work after the last fd: allow it 5 s. */
	for (i = 0; i < 50 && kernel_progs_named(want_prog); i++)
		usleep(100000);
	CHECK(kernel_progs_named(want_prog) == 0, "%s left in the kernel after destroy\n",
	      want_prog);
	printf("ok: %s chosen%s%s%s, %u events for %d calls, each once\n", want_prog,
	       off ? " with " : "", off ? off : "", off ? " off" : "", events, N_CALLS);
}

int main(void)
{
	int ret = ktest_begin();

	if (ret)
		return ret;
	run(NULL, "on_btf", VARIANT_TP_BTF);
	run("on_btf", "on_raw", VARIANT_RAW_TP);
	run("on_raw", "on_btf", VARIANT_TP_BTF);
	printf("PASS: one variant of the hook loaded, every event delivered exactly once\n");
	return 0;
}
