// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Shared tail-call slots and shared maps on the real kernel. Test plugin
 * slota calls slot "slot_test" at raw_tp/sys_enter on each marked getpgid()
 * of this process and exports map "slot_shared"; slotb fills the slot and
 * imports the map. Every test checks the kernel's state directly (the pinned
 * prog array's entries, the pins on bpffs, the programs left in the kernel),
 * not only what the SDK reports.
 *
 * Needs root, BTF, bpffs and raw tracepoints; exits 77 (SKIP) saying which is
 * missing. Holds the kernel tests' lock (ktest.h).
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/magic.h>
#include <CUnit/Basic.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <emf/errno.h>
#include <emf/log.h>
#include <emf/runtime.h>
#include <emf/slots.h>

#include "slota.emf.h"
#include "slota.h"
#include "slotb.emf.h"
#include "slotb.h"
#include "slotb2.emf.h"
#include "slotbadmap.emf.h"
#include "slotloop.emf.h"
#include "slotloop.h"
#include "slotxdp.emf.h"
#include "ktest.h"

static char root[64];

static void hit(unsigned int seq)
{
	syscall(SYS_getpgid, ((unsigned long)SLOTA_MAGIC << 32) | seq);
}

static void hits(int n)
{
	for (int i = 0; i < n; i++)
		hit(i);
}

/* A runtime pinning under the test's root, with @descs added (NULL-terminated). */
static struct emf_runtime *runtime(bool keep, const struct emf_plugin_desc *first, ...)
{
	const struct emf_plugin_desc *d;
	struct emf_runtime *rt;
	va_list ap;

	EMF_OPTS(emf_pin_opts, pin, .root = root, .keep_pins = keep);
	EMF_OPTS(emf_runtime_opts, opts, .pin = &pin);

	rt = emf_runtime__new(&opts);
	CU_ASSERT_PTR_NOT_NULL_FATAL(rt);
	va_start(ap, first);
	for (d = first; d; d = va_arg(ap, const struct emf_plugin_desc *)) {
		struct emf_plugin *p = emf_runtime__add(rt, d);

		CU_ASSERT_PTR_NOT_NULL_FATAL(p);
		if (d == &slota__plugin) {
			char pid[16];

			snprintf(pid, sizeof(pid), "%d", getpid());
			CU_ASSERT_EQUAL_FATAL(emf_plugin__set_option(p, "target_tgid", pid), 0);
		}
	}
	va_end(ap);
	return rt;
}

static int start(struct emf_runtime *rt)
{
	int err = emf_runtime__start(rt);

	if (err)
		fprintf(stderr, "  start: %s\n", emf_runtime__last_error(rt));
	return err;
}

static int map_fd(struct emf_runtime *rt, const char *plugin, const char *map)
{
	struct emf_plugin *p = emf_runtime__find(rt, plugin);
	struct bpf_map *m;

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	m = bpf_object__find_map_by_name(emf_plugin__object(p), map);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	return bpf_map__fd(m);
}

static struct slota_counts a_counts(struct emf_runtime *rt)
{
	struct slota_counts c = {};
	__u32 zero = 0;

	CU_ASSERT_EQUAL(bpf_map_lookup_elem(map_fd(rt, "slota", "counts"), &zero, &c), 0);
	return c;
}

static unsigned long long b_calls(struct emf_runtime *rt)
{
	struct slotb_counts c = {};
	__u32 zero = 0;

	CU_ASSERT_EQUAL(bpf_map_lookup_elem(map_fd(rt, "slotb", "counts"), &zero, &c), 0);
	return c.calls;
}

static __u64 shared(struct emf_runtime *rt, __u32 idx)
{
	int fd = emf_runtime__shared_map_fd(rt, "slot_shared");
	__u64 v = 0;

	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(bpf_map_lookup_elem(fd, &idx, &v), 0);
	return v;
}

static uint64_t missed(struct emf_runtime *rt, const char *slot)
{
	struct emf_slot_info si;

	CU_ASSERT_EQUAL_FATAL(emf_runtime__slot_by_name(rt, slot, &si), 0);
	return si.missed;
}

static uint32_t prog_id(struct emf_runtime *rt, const char *plugin, const char *prog)
{
	struct emf_plugin *p = emf_runtime__find(rt, plugin);
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	struct bpf_program *pr;

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	pr = bpf_object__find_program_by_name(emf_plugin__object(p), prog);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pr);
	CU_ASSERT_EQUAL_FATAL(bpf_obj_get_info_by_fd(bpf_program__fd(pr), &info, &len), 0);
	return info.id;
}

/* What the pinned prog array of @kind holds at @idx, read from bpffs: 0 for empty. */
static uint32_t pinned_slot(const char *kind, uint32_t idx)
{
	char path[256];
	uint32_t id = 0;
	int fd;

	snprintf(path, sizeof(path), "%s/slots/%s", root, kind);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return 0;
	if (bpf_map_lookup_elem(fd, &idx, &id))
		id = 0;
	close(fd);
	return id;
}

static bool exists(const char *sub)
{
	char path[256];

	snprintf(path, sizeof(path), "%s%s%s", root, sub ? "/" : "", sub ?: "");
	return !access(path, F_OK);
}

/* No program of the test plugins (all named slot*) is left in the kernel. */
static void check_no_programs_left(void)
{
	if (ktest_progs_named("slot", true, true))
		CU_FAIL("a test program is left in the kernel");
}

/* Everything gone: runtimes destroyed, pins and programs with them. */
static void check_clean(void)
{
	if (exists(NULL))
		fprintf(stderr, "  %s left behind\n", root);
	CU_ASSERT_FALSE(exists(NULL));
	check_no_programs_left();
}

static void test_call_through_slot(void)
{
	struct emf_runtime *ra = runtime(false, &slota__plugin, NULL);
	struct emf_runtime *rb = runtime(false, &slotb__plugin, NULL);
	struct emf_slot_info si;
	struct slota_counts c;
	uint64_t m0;
	uint32_t bid;

	CU_ASSERT_EQUAL_FATAL(start(ra), 0);
	/* The pins exist on bpffs, the slot is known and empty. */
	CU_ASSERT_TRUE(exists("slots/names"));
	CU_ASSERT_TRUE(exists("slots/missed"));
	CU_ASSERT_TRUE(exists("slots/raw_tracepoint"));
	CU_ASSERT_TRUE(exists("maps/slot_shared"));
	CU_ASSERT_EQUAL(emf_runtime__slot_cnt(ra), 1);
	CU_ASSERT_EQUAL_FATAL(emf_runtime__slot(ra, 0, &si), 0);
	CU_ASSERT_STRING_EQUAL(si.name, "slot_test");
	CU_ASSERT_STRING_EQUAL(si.kind, "raw_tracepoint");
	CU_ASSERT_PTR_NULL(si.filler);
	CU_ASSERT_PTR_EQUAL(si.caller, emf_runtime__find(ra, "slota"));
	CU_ASSERT_EQUAL(si.prog_id, 0);
	CU_ASSERT_EQUAL(pinned_slot("raw_tracepoint", si.index), 0);

	/* No filler: every call falls through and is counted as missed. */
	m0 = missed(ra, "slot_test");
	hits(100);
	c = a_counts(ra);
	CU_ASSERT_EQUAL(c.hits, 100);
	CU_ASSERT_EQUAL(c.fell, 100);
	CU_ASSERT_EQUAL(missed(ra, "slot_test") - m0, 100);

	/* B attaches: its program is in the slot, B's counter rises with A's hits. */
	CU_ASSERT_EQUAL_FATAL(start(rb), 0);
	bid = prog_id(rb, "slotb", "slotb_handle");
	CU_ASSERT_EQUAL(pinned_slot("raw_tracepoint", si.index), bid);
	CU_ASSERT_EQUAL_FATAL(emf_runtime__slot_by_name(ra, "slot_test", &si), 0);
	CU_ASSERT_EQUAL(si.prog_id, bid);
	hits(250);
	c = a_counts(ra);
	CU_ASSERT_EQUAL(c.hits, 350);
	CU_ASSERT_EQUAL(c.fell, 100);
	CU_ASSERT_EQUAL(b_calls(rb), 250);
	CU_ASSERT_EQUAL(missed(ra, "slot_test") - m0, 100);
	/* The shared map: A writes the sequence number, B reads it. */
	CU_ASSERT_EQUAL(shared(ra, SHARED_CALLS), 250);
	CU_ASSERT_EQUAL(shared(rb, SHARED_CALLS), 250);
	CU_ASSERT_EQUAL(shared(rb, SHARED_SEEN), 249);
	CU_ASSERT_EQUAL(emf_runtime__shared_map_fd(rb, "nope"), -ENOENT);

	/* B detaches: the slot is empty again, A's calls fall through and are counted. */
	emf_runtime__stop(rb);
	CU_ASSERT_EQUAL(pinned_slot("raw_tracepoint", si.index), 0);
	hits(40);
	c = a_counts(ra);
	CU_ASSERT_EQUAL(c.fell, 140);
	CU_ASSERT_EQUAL(missed(ra, "slot_test") - m0, 140);

	/* B comes back: calls reach it again. */
	CU_ASSERT_EQUAL_FATAL(start(rb), 0);
	CU_ASSERT_EQUAL(pinned_slot("raw_tracepoint", si.index),
			prog_id(rb, "slotb", "slotb_handle"));
	hits(60);
	CU_ASSERT_EQUAL(b_calls(rb), 60);
	CU_ASSERT_EQUAL(a_counts(ra).fell, 140);
	CU_ASSERT_EQUAL(missed(ra, "slot_test") - m0, 140);
	CU_ASSERT_EQUAL(shared(ra, SHARED_CALLS), 310);

	/* Pins stay while A's program uses them, and go with the last user. */
	emf_runtime__destroy(rb);
	CU_ASSERT_TRUE(exists("slots/raw_tracepoint"));
	CU_ASSERT_TRUE(exists("maps/slot_shared"));
	emf_runtime__destroy(ra);
	check_clean();
}

static void test_one_runtime(void)
{
	struct emf_runtime *rt = runtime(false, &slota__plugin, &slotb__plugin, NULL);
	struct emf_slot_info si;

	CU_ASSERT_EQUAL_FATAL(start(rt), 0);
	CU_ASSERT_EQUAL_FATAL(emf_runtime__slot_by_name(rt, "slot_test", &si), 0);
	CU_ASSERT_PTR_EQUAL(si.filler, emf_runtime__find(rt, "slotb"));
	CU_ASSERT_PTR_EQUAL(si.caller, emf_runtime__find(rt, "slota"));
	CU_ASSERT_EQUAL(si.prog_id, prog_id(rt, "slotb", "slotb_handle"));
	hits(77);
	CU_ASSERT_EQUAL(b_calls(rt), 77);
	CU_ASSERT_EQUAL(a_counts(rt).fell, 0);
	CU_ASSERT_EQUAL(shared(rt, SHARED_SEEN), 76);
	/* Stop and start again: everything is set up anew, and works. */
	emf_runtime__stop(rt);
	check_clean();
	CU_ASSERT_EQUAL_FATAL(start(rt), 0);
	hits(5);
	CU_ASSERT_EQUAL(b_calls(rt), 5);
	emf_runtime__destroy(rt);
	check_clean();
}

struct gen {
	int stop; /* atomic: set by the test, read by the generator */
	long n;
};

static void *generate(void *arg)
{
	struct gen *g = arg;

	while (!__atomic_load_n(&g->stop, __ATOMIC_RELAXED))
		hit(g->n++);
	return NULL;
}

/* A reload replaces the slot's program in one update: not one call misses. */
static void test_reload_without_window(void)
{
	struct emf_runtime *ra = runtime(false, &slota__plugin, NULL);
	struct emf_runtime *rb1 = runtime(false, &slotb__plugin, NULL);
	struct emf_runtime *rb2 = runtime(false, &slotb__plugin, NULL);
	struct gen g = {};
	struct emf_slot_info si;
	pthread_t th;
	uint64_t m0;

	CU_ASSERT_EQUAL_FATAL(start(ra), 0);
	CU_ASSERT_EQUAL_FATAL(start(rb1), 0);
	m0 = missed(ra, "slot_test");
	CU_ASSERT_EQUAL_FATAL(pthread_create(&th, NULL, generate, &g), 0);
	usleep(20000);
	/* The same plugin in another runtime takes the slot over, then the old one goes. */
	CU_ASSERT_EQUAL_FATAL(start(rb2), 0);
	CU_ASSERT_EQUAL_FATAL(emf_runtime__slot_by_name(ra, "slot_test", &si), 0);
	CU_ASSERT_EQUAL(si.prog_id, prog_id(rb2, "slotb", "slotb_handle"));
	usleep(20000);
	emf_runtime__destroy(rb1);
	/* The old instance leaves the new one in the slot. */
	CU_ASSERT_EQUAL(pinned_slot("raw_tracepoint", si.index),
			prog_id(rb2, "slotb", "slotb_handle"));
	usleep(20000);
	__atomic_store_n(&g.stop, 1, __ATOMIC_RELAXED);
	pthread_join(th, NULL);
	fprintf(stderr, "  %ld calls during the reload, %llu reached the new instance\n", g.n,
		b_calls(rb2));
	CU_ASSERT(g.n > 100);
	CU_ASSERT(b_calls(rb2) > 0);
	CU_ASSERT_EQUAL(missed(ra, "slot_test") - m0, 0);
	CU_ASSERT_EQUAL(a_counts(ra).fell, 0);
	CU_ASSERT_EQUAL(a_counts(ra).hits, (unsigned long long)g.n);
	CU_ASSERT_EQUAL(shared(ra, SHARED_CALLS), (__u64)g.n);
	emf_runtime__destroy(rb2);
	CU_ASSERT_EQUAL(pinned_slot("raw_tracepoint", si.index), 0);
	emf_runtime__destroy(ra);
	check_clean();
}

/* A refused start names the plugin and the slot or map, says what differs, leaves nothing. */
static void check_refused(struct emf_runtime *rt, int err, const char *const *words)
{
	const char *msg;

	ktest_warnings[0] = '\0';
	CU_ASSERT_EQUAL(emf_runtime__start(rt), err);
	msg = emf_runtime__last_error(rt);
	fprintf(stderr, "  refused: %s\n", msg);
	for (; *words; words++) {
		if (!strstr(msg, *words))
			fprintf(stderr, "  the message lacks '%s'\n", *words);
		CU_ASSERT_PTR_NOT_NULL(strstr(msg, *words));
	}
	CU_ASSERT_EQUAL(emf_runtime__slot_cnt(rt), 0);
	emf_runtime__destroy(rt);
}

static void test_incompatible_program(void)
{
	static const char *const here[] = { "slotxdp", "slot_test", "slota", "xdp",
					    "raw_tracepoint", NULL };
	static const char *const pinned[] = { "slotxdp", "slot_test", "xdp", "raw_tracepoint",
					      "other plugins still use it", NULL };
	struct emf_runtime *ra;

	/* In one runtime: an XDP program cannot be called from a raw tracepoint. */
	check_refused(runtime(false, &slota__plugin, &slotxdp__plugin, NULL),
		      -EMF_ERRNO__INCOMPAT, here);
	check_clean();
	/* Against the pinned state of another runtime. */
	ra = runtime(false, &slota__plugin, NULL);
	CU_ASSERT_EQUAL_FATAL(start(ra), 0);
	check_refused(runtime(false, &slotxdp__plugin, NULL), -EMF_ERRNO__INCOMPAT, pinned);
	hits(3);
	CU_ASSERT_EQUAL(a_counts(ra).fell, 3);
	emf_runtime__destroy(ra);
	check_clean();
}

static void test_slot_claimed_twice(void)
{
	static const char *const here[] = { "slot_test", "slotb", "slotb2", "fills it too",
					    NULL };
	static const char *const other[] = { "slotb2", "slot_test", "plugin 'slotb'",
					     "another runtime or process", NULL };
	struct emf_runtime *ra, *rb;

	check_refused(runtime(false, &slota__plugin, &slotb__plugin, &slotb2__plugin, NULL),
		      -EBUSY, here);
	check_clean();
	ra = runtime(false, &slota__plugin, NULL);
	rb = runtime(false, &slotb__plugin, NULL);
	CU_ASSERT_EQUAL_FATAL(start(ra), 0);
	CU_ASSERT_EQUAL_FATAL(start(rb), 0);
	check_refused(runtime(false, &slotb2__plugin, NULL), -EBUSY, other);
	/* slotb keeps its slot. */
	hits(9);
	CU_ASSERT_EQUAL(b_calls(rb), 9);
	emf_runtime__destroy(rb);
	emf_runtime__destroy(ra);
	check_clean();
}

static void test_shared_map_checks(void)
{
	static const char *const here[] = { "slotbadmap", "slot_shared", "slota",
					    "max entries 8 vs 3", NULL };
	static const char *const pinned[] = { "slotbadmap", "slot_shared", "pinned at",
					      "max entries 8 vs 3", NULL };
	static const char *const none[] = { "slotb", "slot_shared", "no plugin exports it",
					    NULL };
	struct emf_runtime *ra;

	check_refused(runtime(false, &slota__plugin, &slotbadmap__plugin, NULL),
		      -EMF_ERRNO__INCOMPAT, here);
	check_refused(runtime(false, &slotb__plugin, NULL), -ENOENT, none);
	check_clean();
	ra = runtime(false, &slota__plugin, NULL);
	CU_ASSERT_EQUAL_FATAL(start(ra), 0);
	check_refused(runtime(false, &slotbadmap__plugin, NULL), -EMF_ERRNO__INCOMPAT, pinned);
	emf_runtime__destroy(ra);
	check_clean();
}

/* 33 chained calls, then a miss, counted for the slot that missed. */
static void test_tail_call_limit(void)
{
	struct emf_runtime *rt = runtime(false, &slotloop__plugin, NULL);
	struct slotloop_counts c = {};
	struct bpf_program *entry;
	char pkt[64] = {};
	__u32 zero = 0;
	uint64_t m0;
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = pkt, .data_size_in = sizeof(pkt),
		    .repeat = 1);

	CU_ASSERT_EQUAL_FATAL(start(rt), 0);
	CU_ASSERT_TRUE(exists("slots/xdp"));
	entry = bpf_object__find_program_by_name(
		emf_plugin__object(emf_runtime__find(rt, "slotloop")), "slotloop_entry");
	CU_ASSERT_PTR_NOT_NULL_FATAL(entry);
	m0 = missed(rt, "slot_loop");
	for (int i = 0; i < 10; i++) {
		CU_ASSERT_EQUAL(bpf_prog_test_run_opts(bpf_program__fd(entry), &opts), 0);
		CU_ASSERT_EQUAL(opts.retval, XDP_PASS);
	}
	CU_ASSERT_EQUAL(bpf_map_lookup_elem(map_fd(rt, "slotloop", "counts"), &zero, &c), 0);
	CU_ASSERT_EQUAL(c.entries, 10);
	CU_ASSERT_EQUAL(c.runs, 10 * 33);
	CU_ASSERT_EQUAL(missed(rt, "slot_loop") - m0, 10);
	emf_runtime__destroy(rt);
	check_clean();
}

static void test_keep_pins(void)
{
	struct emf_runtime *rt = runtime(true, &slota__plugin, &slotb__plugin, NULL);
	struct emf_slot_info si;
	uint32_t idx;

	CU_ASSERT_EQUAL_FATAL(start(rt), 0);
	CU_ASSERT_EQUAL_FATAL(emf_runtime__slot_by_name(rt, "slot_test", &si), 0);
	idx = si.index;
	hits(4);
	emf_runtime__stop(rt);
	/* Kept: the registry, the counters, the table (empty) and the shared map's contents. */
	CU_ASSERT_TRUE(exists("slots/names"));
	CU_ASSERT_TRUE(exists("slots/missed"));
	CU_ASSERT_TRUE(exists("slots/raw_tracepoint"));
	CU_ASSERT_TRUE(exists("maps/slot_shared"));
	CU_ASSERT_EQUAL(pinned_slot("raw_tracepoint", idx), 0);
	check_no_programs_left();
	/* The next start finds them: same index, the map still holds what was written. */
	CU_ASSERT_EQUAL(emf_runtime__set_pin_opts(rt, &(struct emf_pin_opts){
						  .sz = sizeof(struct emf_pin_opts), .root = root }),
			0);
	CU_ASSERT_EQUAL_FATAL(start(rt), 0);
	CU_ASSERT_EQUAL(emf_runtime__set_pin_opts(rt, NULL), -EMF_ERRNO__STATE);
	CU_ASSERT_EQUAL_FATAL(emf_runtime__slot_by_name(rt, "slot_test", &si), 0);
	CU_ASSERT_EQUAL(si.index, idx);
	CU_ASSERT_EQUAL(shared(rt, SHARED_CALLS), 4);
	emf_runtime__destroy(rt);
	check_clean();
}

static void test_pin_opts_checks(void)
{
	struct emf_runtime *rt = emf_runtime__new(NULL);

	CU_ASSERT_EQUAL(emf_runtime__set_pin_opts(rt, &(struct emf_pin_opts){
						  .sz = sizeof(struct emf_pin_opts),
						  .root = "relative/dir" }),
			-EINVAL);
	CU_ASSERT_EQUAL(emf_runtime__set_pin_opts(rt, NULL), 0);
	CU_ASSERT_EQUAL(emf_runtime__slot_cnt(rt), 0);
	CU_ASSERT_EQUAL(emf_runtime__shared_map_fd(rt, "slot_shared"), -ENOENT);
	emf_runtime__destroy(rt);
}

/* A root made by someone else is refused, and nothing is pinned in it. */
static void test_foreign_root(void)
{
	static const char *const words[] = { "refusing pin directory", "owned by uid 65534",
					     "rm -r", NULL };
	char sub[256];

	CU_ASSERT_EQUAL_FATAL(mkdir(root, 0777), 0);
	CU_ASSERT_EQUAL(chmod(root, 0777), 0);
	CU_ASSERT_EQUAL(chown(root, 65534, 65534), 0);
	check_refused(runtime(false, &slota__plugin, NULL), -EPERM, words);
	snprintf(sub, sizeof(sub), "%s/slots", root);
	CU_ASSERT_NOT_EQUAL(access(sub, F_OK), 0);
	CU_ASSERT_EQUAL(rmdir(root), 0);
	check_clean();
}

/*
 * One owner process per root: a runtime of another process (a child) is
 * refused with the owner's pid; runtimes of the owner share; the owner record
 * goes with the last of them.
 */
static void test_one_owner_process(void)
{
	struct emf_runtime *ra = runtime(false, &slota__plugin, NULL);
	struct emf_runtime *rb = runtime(false, &slotb__plugin, NULL);
	char link[256], target[32] = "", want[64];
	struct stat st;
	int status = -1;
	pid_t child;

	CU_ASSERT_EQUAL_FATAL(start(ra), 0);
	CU_ASSERT_EQUAL(stat(root, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 07777, 0700);
	snprintf(link, sizeof(link), "%s/owner", root);
	CU_ASSERT(readlink(link, target, sizeof(target) - 1) > 0);
	CU_ASSERT_EQUAL(atoi(target), getpid());
	CU_ASSERT_EQUAL(emf_runtime__clean_pins(ra), -EMF_ERRNO__STATE);
	snprintf(want, sizeof(want), "(pid %d), which is running", getpid());
	child = fork();
	CU_ASSERT_FATAL(child >= 0);
	if (!child) {
		struct emf_runtime *rc = runtime(false, &slotb__plugin, NULL);
		int err = emf_runtime__start(rc);

		/* 0: refused as it should be; 1: started; 2: refused without the owner. */
		_exit(err == -EBUSY ? !strstr(emf_runtime__last_error(rc), want) * 2 : 1);
	}
	CU_ASSERT_EQUAL(waitpid(child, &status, 0), child);
	CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* A runtime of the owner shares the root, and the slot works. */
	CU_ASSERT_EQUAL_FATAL(start(rb), 0);
	hits(7);
	CU_ASSERT_EQUAL(b_calls(rb), 7);
	emf_runtime__destroy(ra);
	CU_ASSERT_EQUAL(lstat(link, &st), 0); /* rb still owns it */
	emf_runtime__destroy(rb);
	check_clean();
}

static int ensure_bpffs(void)
{
	struct statfs st;

	if (!statfs("/sys/fs/bpf", &st) && st.f_type == BPF_FS_MAGIC)
		return 0;
	if (mount("bpf", "/sys/fs/bpf", "bpf", 0, NULL))
		return -errno;
	return 0;
}

int main(void)
{
	unsigned int failed;
	CU_pSuite s;
	int ret;

	setvbuf(stdout, NULL, _IONBF, 0);
	ret = ktest_begin();
	if (ret)
		return ret;
	if (ensure_bpffs()) {
		printf("SKIP: bpffs is not mounted on /sys/fs/bpf and cannot be: %s\n",
		       strerror(errno));
		return 77;
	}
	/* A root of its own: an agent running on this machine keeps its slots. */
	snprintf(root, sizeof(root), "/sys/fs/bpf/emf-test-slots-%d", getpid());
	emf_set_print(ktest_capture_print);

	if (CU_initialize_registry() != CUE_SUCCESS)
		return CU_get_error();
	s = CU_add_suite("slots", NULL, NULL);
	CU_add_test(s, "A calls B through a slot; B away: calls miss and are counted; B back",
		    test_call_through_slot);
	CU_add_test(s, "caller and filler in one runtime, stopped and started again",
		    test_one_runtime);
	CU_add_test(s, "a reload replaces the slot's program without a missed call",
		    test_reload_without_window);
	CU_add_test(s, "a program of another kind is refused with the reason",
		    test_incompatible_program);
	CU_add_test(s, "two plugins filling one slot are refused", test_slot_claimed_twice);
	CU_add_test(s, "shared maps: mismatch and missing exporter refused",
		    test_shared_map_checks);
	CU_add_test(s, "the 33-call limit counts a miss", test_tail_call_limit);
	CU_add_test(s, "pins kept when asked, found again at the next start", test_keep_pins);
	CU_add_test(s, "pin options are checked", test_pin_opts_checks);
	CU_add_test(s, "a pin root another user made is refused", test_foreign_root);
	CU_add_test(s, "one owner process per pin root", test_one_owner_process);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_tests_failed() + CU_get_number_of_failures();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
