// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Trusted files: the walk that opens a dynamic plugin checks every directory,
 * symlink and file it crosses on what it opened, follows symlinks itself, and
 * returns the file it checked; the copy is sealed. Runs as any user; the
 * ownership checks that need another owner run only as root.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <CUnit/Basic.h>

#include <emf/errno.h>
#include <emf/log.h>

#include "trusted_internal.h"

static char top[32]; /* the test's own directory, under /tmp */
static char msg[8192]; /* messages since the last reset */

static __attribute__((format(printf, 2, 0))) int
capture(enum emf_print_level level, const char *fmt, va_list args)
{
	size_t len = strlen(msg);

	(void)level;
	vsnprintf(msg + len, sizeof(msg) - len, fmt, args);
	return 0;
}

static const char *at(const char *rel)
{
	static char bufs[4][PATH_MAX];
	static int next;
	char *b = bufs[next++ % 4];

	snprintf(b, PATH_MAX, "%s/%s", top, rel);
	return b;
}

static void mkfile(const char *rel, mode_t mode)
{
	int fd = open(at(rel), O_WRONLY | O_CREAT | O_TRUNC, 0600);

	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT(write(fd, rel, strlen(rel)) == (ssize_t)strlen(rel));
	close(fd);
	CU_ASSERT_FATAL(!chmod(at(rel), mode));
}

static void mkdir_mode(const char *rel, mode_t mode)
{
	CU_ASSERT_FATAL(!mkdir(at(rel), 0700));
	CU_ASSERT_FATAL(!chmod(at(rel), mode));
}

/* Open @path; on success, it must be the file @want (relative to top). */
static int open_as(const char *path, const char *want)
{
	struct stat a, b;
	int fd;

	msg[0] = '\0';
	fd = emf__trusted_open(path);
	if (fd < 0) {
		CU_ASSERT(errno == -fd);
		return fd;
	}
	CU_ASSERT(want != NULL);
	if (want) {
		CU_ASSERT(!fstat(fd, &a) && !stat(at(want), &b));
		CU_ASSERT(a.st_dev == b.st_dev && a.st_ino == b.st_ino);
	}
	CU_ASSERT(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	CU_ASSERT((fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDONLY);
	close(fd);
	return 0;
}

static void setup_tree(void)
{
	mkdir_mode("safe", 0755);
	mkfile("safe/p.so", 0644);
	mkdir_mode("safe/sub", 0755);
	mkfile("safe/sub/q.so", 0755);
	mkdir_mode("gw", 0775);
	mkfile("gw/p.so", 0644);
	mkdir_mode("ww", 0777);
	mkdir_mode("sticky", 01777);
	mkfile("sticky/p.so", 0644);
	mkfile("safe/gw.so", 0664);
	mkfile("safe/ow.so", 0646);
}

static void test_plain_file(void)
{
	CU_ASSERT_EQUAL(open_as(at("safe/p.so"), "safe/p.so"), 0);
	CU_ASSERT_EQUAL(open_as(at("safe//sub/./q.so"), "safe/sub/q.so"), 0);
	CU_ASSERT_EQUAL(open_as(at("safe/sub/../p.so"), "safe/p.so"), 0);
	CU_ASSERT_STRING_EQUAL(msg, "");
}

static void test_relative(void)
{
	char cwd[PATH_MAX];

	CU_ASSERT_FATAL(getcwd(cwd, sizeof(cwd)) != NULL);
	CU_ASSERT_FATAL(!chdir(at("safe")));
	CU_ASSERT_EQUAL(open_as("p.so", "safe/p.so"), 0);
	CU_ASSERT_EQUAL(open_as("sub/../sub/q.so", "safe/sub/q.so"), 0);
	CU_ASSERT_EQUAL(open_as("../gw/p.so", NULL), -EMF_ERRNO__UNSAFE);
	CU_ASSERT_FATAL(!chdir(cwd));
}

static void test_writable(void)
{
	char want[PATH_MAX + 128];

	CU_ASSERT_EQUAL(open_as(at("gw/p.so"), NULL), -EMF_ERRNO__UNSAFE);
	snprintf(want, sizeof(want), "directory %s is writable by its group", at("gw"));
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, want));
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "mode 0775"));
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "chmod g-w"));
	CU_ASSERT_EQUAL(open_as(at("safe/gw.so"), NULL), -EMF_ERRNO__UNSAFE);
	snprintf(want, sizeof(want), "file %s is writable by its group", at("safe/gw.so"));
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, want));
	CU_ASSERT_EQUAL(open_as(at("safe/ow.so"), NULL), -EMF_ERRNO__UNSAFE);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "is writable by others (mode 0646)"));
	/* One message per refusal, naming the file asked for first. */
	CU_ASSERT(strchr(msg, '\n') == msg + strlen(msg) - 1);
	snprintf(want, sizeof(want), "dynamic: refusing %s: ", at("safe/ow.so"));
	CU_ASSERT(strstr(msg, want) != NULL);
}

static void test_sticky(void)
{
	/* Accepted only when root owns it, as /tmp. */
	CU_ASSERT_EQUAL(open_as(at("sticky/p.so"), geteuid() ? NULL : "sticky/p.so"),
			geteuid() ? -EMF_ERRNO__UNSAFE : 0);
}

/* The symlink's own directory counts, not only where it leads (realpath() missed it). */
static void test_symlinks(void)
{
	char want[PATH_MAX + 128];

	CU_ASSERT_FATAL(!symlink(at("safe/p.so"), at("safe/abs.so")));
	CU_ASSERT_FATAL(!symlink("sub/q.so", at("safe/rel.so")));
	CU_ASSERT_FATAL(!symlink("sub", at("safe/subl")));
	CU_ASSERT_FATAL(!symlink("../../safe/subl/../p.so", at("safe/sub/up.so")));
	mkdir_mode("safe/sub/inner", 0755);
	CU_ASSERT_FATAL(!symlink("sub/inner", at("safe/deep")));
	CU_ASSERT_EQUAL(open_as(at("safe/abs.so"), "safe/p.so"), 0);
	CU_ASSERT_EQUAL(open_as(at("safe/rel.so"), "safe/sub/q.so"), 0);
	CU_ASSERT_EQUAL(open_as(at("safe/subl/q.so"), "safe/sub/q.so"), 0);
	CU_ASSERT_EQUAL(open_as(at("safe/sub/up.so"), "safe/p.so"), 0);
	/* ".." after a symlink is the parent of where it led, as the kernel has it. */
	CU_ASSERT_EQUAL(open_as(at("safe/deep/../q.so"), "safe/sub/q.so"), 0);

	CU_ASSERT_FATAL(!symlink(at("safe/p.so"), at("ww/link.so")));
	CU_ASSERT_EQUAL(open_as(at("ww/link.so"), NULL), -EMF_ERRNO__UNSAFE);
	snprintf(want, sizeof(want), "directory %s is writable by others (mode 0777)", at("ww"));
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, want));

	CU_ASSERT_FATAL(!symlink(at("gw"), at("safe/gwl")));
	CU_ASSERT_EQUAL(open_as(at("safe/gwl/p.so"), NULL), -EMF_ERRNO__UNSAFE);
	snprintf(want, sizeof(want), "directory %s is writable by its group", at("gw"));
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, want));

	CU_ASSERT_FATAL(!symlink("loop2", at("safe/loop1")));
	CU_ASSERT_FATAL(!symlink("loop1", at("safe/loop2")));
	CU_ASSERT_EQUAL(open_as(at("safe/loop1"), NULL), -ELOOP);
	CU_ASSERT_FATAL(!symlink("nothere.so", at("safe/dangling.so")));
	CU_ASSERT_EQUAL(open_as(at("safe/dangling.so"), NULL), -ENOENT);
	snprintf(want, sizeof(want), "failed to open %s: ", at("safe/nothere.so"));
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, want));
}

static void test_not_regular(void)
{
	CU_ASSERT_FATAL(!mkfifo(at("safe/fifo.so"), 0644));
	/* Refused without waiting for a writer. */
	CU_ASSERT_EQUAL(open_as(at("safe/fifo.so"), NULL), -EMF_ERRNO__NOTPLUGIN);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "is not a regular file"));
	CU_ASSERT_EQUAL(open_as(at("safe/sub"), NULL), -EMF_ERRNO__NOTPLUGIN);
	CU_ASSERT_EQUAL(open_as(at("safe/sub/"), NULL), -EMF_ERRNO__NOTPLUGIN);
	CU_ASSERT_EQUAL(open_as(at("safe/p.so/"), NULL), -ENOTDIR);
	CU_ASSERT_EQUAL(open_as(at("safe/p.so/x"), NULL), -ENOTDIR);
	CU_ASSERT_EQUAL(open_as("/", NULL), -EMF_ERRNO__NOTPLUGIN);
	CU_ASSERT_EQUAL(open_as("", NULL), -EINVAL);
}

/* Owners other than root and us: needs root to make such files. */
static void test_owners(void)
{
	char want[PATH_MAX + 128];

	if (geteuid() != 0) {
		fprintf(stderr, "note: not root, the checks of other owners are not run\n");
		return;
	}
	mkdir_mode("nobody", 0755);
	mkfile("nobody/p.so", 0644);
	CU_ASSERT_FATAL(!chown(at("nobody"), 65534, 65534));
	CU_ASSERT_EQUAL(open_as(at("nobody/p.so"), NULL), -EMF_ERRNO__UNSAFE);
	snprintf(want, sizeof(want), "directory %s is owned by uid 65534", at("nobody"));
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, want));

	mkfile("safe/theirs.so", 0644);
	CU_ASSERT_FATAL(!chown(at("safe/theirs.so"), 65534, 65534));
	CU_ASSERT_EQUAL(open_as(at("safe/theirs.so"), NULL), -EMF_ERRNO__UNSAFE);
	snprintf(want, sizeof(want), "file %s is owned by uid 65534", at("safe/theirs.so"));
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, want));

	/* In a sticky directory, a symlink of someone else's can be changed by them. */
	CU_ASSERT_FATAL(!symlink(at("safe/p.so"), at("sticky/theirs.so")));
	CU_ASSERT_FATAL(!lchown(at("sticky/theirs.so"), 65534, 65534));
	CU_ASSERT_EQUAL(open_as(at("sticky/theirs.so"), NULL), -EMF_ERRNO__UNSAFE);
	snprintf(want, sizeof(want), "symlink %s is owned by uid 65534", at("sticky/theirs.so"));
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, want));
}

static void test_copy(void)
{
	char buf[64];
	int fd, mfd, seals;
	ssize_t n;

	fd = emf__trusted_open(at("safe/p.so"));
	CU_ASSERT_FATAL(fd >= 0);
	mfd = emf__trusted_copy(fd, at("safe/p.so"));
	close(fd);
	CU_ASSERT_FATAL(mfd >= 0);
	CU_ASSERT(fcntl(mfd, F_GETFD) & FD_CLOEXEC);
	seals = fcntl(mfd, F_GET_SEALS);
	CU_ASSERT((seals & (F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)) ==
		  (F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL));
	CU_ASSERT(write(mfd, "x", 1) < 0 && errno == EPERM);
	CU_ASSERT(ftruncate(mfd, 0) < 0 && errno == EPERM);
	/* The copy holds what the file held, and keeps it when the file changes. */
	mkfile("safe/p.so", 0644); /* rewritten in place: "safe/p.so" again */
	CU_ASSERT_FATAL(truncate(at("safe/p.so"), 2) == 0);
	n = pread(mfd, buf, sizeof(buf) - 1, 0);
	CU_ASSERT_EQUAL(n, (ssize_t)strlen("safe/p.so"));
	buf[n > 0 ? n : 0] = '\0';
	CU_ASSERT_STRING_EQUAL(buf, "safe/p.so");
	close(mfd);
	mkfile("safe/p.so", 0644);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void rm_tree(void)
{
	if (nftw(top, rm_one, 16, FTW_DEPTH | FTW_PHYS))
		fprintf(stderr, "note: failed to remove %s: %s\n", top, strerror(errno));
}

int main(void)
{
	CU_pSuite s;
	int failed;

	snprintf(top, sizeof(top), "/tmp/emf-trusted.XXXXXX");
	if (!mkdtemp(top) || chmod(top, 0755)) {
		perror("mkdtemp");
		return 1;
	}
	emf_set_print(capture);
	if (CU_initialize_registry() != CUE_SUCCESS)
		return CU_get_error();
	s = CU_add_suite("trusted", NULL, NULL);
	CU_add_test(s, "set up the tree", setup_tree);
	CU_add_test(s, "a safe file, with . and .. and double slashes", test_plain_file);
	CU_add_test(s, "relative paths walk from the working directory", test_relative);
	CU_add_test(s, "group or other writable files and directories", test_writable);
	CU_add_test(s, "sticky directories only when root owns them", test_sticky);
	CU_add_test(s, "symlinks: followed by the walk, their directories checked", test_symlinks);
	CU_add_test(s, "fifos, directories, trailing slashes", test_not_regular);
	CU_add_test(s, "other owners (as root)", test_owners);
	CU_add_test(s, "the copy is sealed and keeps its contents", test_copy);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_tests_failed() + CU_get_number_of_failures();
	CU_cleanup_registry();
	rm_tree();
	return failed ? 1 : 0;
}
