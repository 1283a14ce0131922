// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * All-or-nothing start against the real kernel: a plugin that fails at each
 * step (a bad object at open, a verifier rejection, a refused fentry and a
 * missing tracepoint at load, a failing user hook at attach) between working
 * plugins. The start fails naming the plugin and step, and the kernel's
 * programs, maps and links are exactly those of before. With keep_going the
 * others run and nothing of the failing one is left.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/types.h>

#include <emf/errno.h>
#include <emf/log.h>
#include <emf/runtime.h>

typedef __u32 u32;

#include "kfeature.h"
#include "ktest.h"

#include "badhook.emf.h"
#include "badverify.emf.h"
#include "fentrytest.emf.h"
#include "lc0.emf.h"
#include "lc1.emf.h"
#include "notp.emf.h"

#define MAX_IDS 4096

static int failures;

#define CHECK(cond, ...)                                                                   \
	do {                                                                               \
		if (!(cond)) {                                                             \
			printf("FAIL: " __VA_ARGS__);                                      \
			failures++;                                                        \
		}                                                                          \
	} while (0)

struct ids {
	__u32 v[MAX_IDS];
	int n;
};

static void snapshot(struct ids *s)
{
	int (*next[3])(__u32, __u32 *) = { bpf_prog_get_next_id, bpf_map_get_next_id,
					   bpf_link_get_next_id };
	int k;

	s->n = 0;
	for (k = 0; k < 3; k++) {
		__u32 id = 0;

		while (!next[k](id, &id) && s->n < MAX_IDS)
			s->v[s->n++] = (k << 28) | id;
	}
}

/* Objects of @now that @before lacks, after the kernel's deferred frees (5 s at most). */
static int leaked(const struct ids *before)
{
	struct ids now;
	int i, j, extra = 0;

	for (int tries = 0; tries < 50; tries++) {
		snapshot(&now);
		for (i = 0, extra = 0; i < now.n; i++) {
			for (j = 0; j < before->n && before->v[j] != now.v[i]; j++)
				;
			extra += j == before->n;
		}
		if (!extra)
			return 0;
		usleep(100000);
	}
	return extra;
}

static int bad_open(void **skel, const struct bpf_object_open_opts *opts)
{
	static const char garbage[] = "this is not an ELF object";
	struct bpf_object *obj = bpf_object__open_mem(garbage, sizeof(garbage), opts);

	if (!obj)
		return -errno;
	*skel = obj;
	return 0;
}

static int never(void *skel)
{
	return -EINVAL;
}

static void close_obj(void *skel)
{
	bpf_object__close(skel);
}

static const struct emf_plugin_ops bad_ops = { bad_open, never, never, NULL, close_obj, NULL };
static const struct emf_plugin_desc badobj__plugin = {
	.abi_version = EMF_PLUGIN_ABI_VERSION,
	.desc_size = sizeof(struct emf_plugin_desc),
	.name = "badobj",
	.priority = 50,
	.ops = &bad_ops,
};

static void run_case(const struct emf_plugin_desc *bad, const char *want)
{
	struct emf_runtime *rt;
	struct ids before;
	int err, n;

	for (int keep = 0; keep <= 1; keep++) {
		snapshot(&before);
		rt = emf_runtime__new(&(struct emf_runtime_opts){
			.sz = sizeof(struct emf_runtime_opts), .keep_going = keep });
		if (!rt || !emf_runtime__add(rt, &lc0__plugin) || !emf_runtime__add(rt, bad) ||
		    !emf_runtime__add(rt, &lc1__plugin)) {
			printf("FAIL: cannot set up the runtime for %s\n", bad->name);
			failures++;
			return;
		}
		emf_plugin__set_priority(emf_runtime__find(rt, "lc1"), 90);
		err = emf_runtime__start(rt);
		CHECK(strstr(emf_runtime__last_error(rt), want), "%s: message '%s' lacks '%s'\n",
		      bad->name, emf_runtime__last_error(rt), want);
		CHECK(emf_plugin__state(emf_runtime__find(rt, bad->name)) == EMF_PLUGIN_FAILED,
		      "%s: not in state failed\n", bad->name);
		if (!keep) {
			CHECK(err < 0, "%s: start succeeded\n", bad->name);
			n = leaked(&before);
			CHECK(!n, "%s: %d kernel objects left after the failed start\n", bad->name,
			      n);
			printf("ok: %s rolled back, nothing left: %s\n", bad->name,
			       emf_runtime__last_error(rt));
		} else {
			CHECK(!err, "%s: keep-going start failed: %s\n", bad->name,
			      emf_strerror(err));
			CHECK(emf_plugin__state(emf_runtime__find(rt, "lc0")) ==
					      EMF_PLUGIN_ATTACHED &&
				      emf_plugin__state(emf_runtime__find(rt, "lc1")) ==
					      EMF_PLUGIN_ATTACHED,
			      "%s: keep-going did not run the others\n", bad->name);
		}
		emf_runtime__destroy(rt);
		n = leaked(&before);
		CHECK(!n, "%s: %d kernel objects left after destroy\n", bad->name, n);
	}
}

int main(void)
{
	int ret = ktest_begin();
	char why[256];

	if (ret)
		return ret;
	emf_set_print(NULL); /* the failures are expected; the messages are checked */
	run_case(&badobj__plugin, "plugin 'badobj' failed to open");
	run_case(&badverify__plugin, "plugin 'badverify' failed to load: the kernel verifier rejected program count(): R0 invalid mem access 'map_value_or_null'");
	run_case(&badverify__plugin, "\nverifier log (tail):\n");
	/* A refused load only where the kernel refuses fentry (fentrytest's kind). */
	if (kfeature_probe("fentry", "do_nanosleep", why, sizeof(why)))
		run_case(&fentrytest__plugin, "plugin 'fentrytest' failed to load");
	else
		printf("note: this kernel loads fentry programs; the refused-load case is badverify's alone\n");
	/* Its only program's tracepoint is missing: it is left out, and nothing is left to run. */
	run_case(&notp__plugin, "plugin 'notp' failed to load: none of its programs has its hook on this kernel (handle() (section 'tp/syscalls/sys_enter_no_such_syscall'): this kernel has no tracepoint syscalls/sys_enter_no_such_syscall");
	run_case(&badhook__plugin, "plugin 'badhook' failed to attach (its attach hook)");
	if (failures)
		return 1;
	printf("PASS: every failing step rolled back with nothing left in the kernel\n");
	return 0;
}
