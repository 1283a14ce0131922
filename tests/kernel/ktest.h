/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Shared by the kernel tests written in C, as tests/kernel/lib.sh is by the
 * shell ones: the root and BTF checks that make a test SKIP (exit 77), and the
 * lock that runs kernel tests one at a time, since some look at kernel-wide
 * state.
 */
#ifndef __EMF_KTEST_H
#define __EMF_KTEST_H

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/magic.h>
#include <bpf/bpf.h>

#include <emf/log.h>

#define KTEST_LOCK_FILE "/tmp/emf-kernel-tests.lock"

/* Fail the test at once, with what was wrong. */
#define KTEST_CHECK(cond, ...)                                                             \
	do {                                                                               \
		if (!(cond)) {                                                             \
			printf("FAIL: " __VA_ARGS__);                                      \
			exit(1);                                                           \
		}                                                                          \
	} while (0)

/*
 * The SDK's warnings, kept for tests that check what a refusal says:
 * emf_set_print(ktest_capture_print), then look in ktest_warnings (empty it
 * between checks).
 */
static char ktest_warnings[16384];

static inline __attribute__((format(printf, 2, 0))) int
ktest_capture_print(enum emf_print_level level, const char *fmt, va_list args)
{
	size_t len = strlen(ktest_warnings);

	if (level == EMF_WARN && len < sizeof(ktest_warnings) - 1)
		vsnprintf(ktest_warnings + len, sizeof(ktest_warnings) - len, fmt, args);
	return 0;
}

/*
 * How many programs the kernel holds now, whoever loaded them, named @name
 * (or, with @prefix, whose name starts with it); with @report, each is named
 * on stderr as left in the kernel.
 */
static inline int ktest_progs_named(const char *name, bool prefix, bool report)
{
	__u32 id = 0;
	int n = 0;

	while (!bpf_prog_get_next_id(id, &id)) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		int fd = bpf_prog_get_fd_by_id(id);

		if (fd < 0)
			continue;
		if (!bpf_obj_get_info_by_fd(fd, &info, &len) &&
		    (prefix ? !strncmp(info.name, name, strlen(name)) : !strcmp(info.name, name))) {
			if (report)
				fprintf(stderr, "  program %s (id %u) left in the kernel\n",
					info.name, id);
			n++;
		}
		close(fd);
	}
	return n;
}

/*
 * tp/ programs attach through tracefs, which a fresh machine does not mount:
 * mount it as emf-agent does (and never unmount it: others may use it), so
 * no test depends on an agent test having run first. Returns 0 or 1.
 */
static inline int ktest_mount_tracefs(void)
{
	struct statfs st;

	if (!statfs("/sys/kernel/tracing", &st) && st.f_type == TRACEFS_MAGIC)
		return 0;
	if (mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, NULL) && errno != EBUSY) {
		printf("FAIL: cannot mount tracefs on /sys/kernel/tracing: %s\n", strerror(errno));
		return 1;
	}
	return 0;
}

/*
 * Returns 0 with the kernel-tests lock held (until exit), or the exit status
 * for the test: 77 when this machine cannot run it (said on stdout), 1 when
 * the lock cannot be taken.
 */
static inline int ktest_begin(void)
{
	int lock;

	if (geteuid()) {
		printf("SKIP: needs root to load BPF programs\n");
		return 77;
	}
	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		printf("SKIP: kernel has no BTF (/sys/kernel/btf/vmlinux)\n");
		return 77;
	}
	lock = open(KTEST_LOCK_FILE, O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
	if (lock < 0 || flock(lock, LOCK_EX)) {
		printf("FAIL: cannot take %s: %s\n", KTEST_LOCK_FILE, strerror(errno));
		return 1;
	}
	return ktest_mount_tracefs();
}

#endif /* __EMF_KTEST_H */
