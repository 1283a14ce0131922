// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * emf-agent --printk: bpf_printk() output shown with the events.
 *
 * The kernel sends every bpf_trace_printk() through trace event
 * bpf_trace/bpf_trace_printk as well as the top-level trace buffer. The agent
 * makes a tracefs instance of its own, enables that event there and reads the
 * instance's trace_pipe: the lines reach it without consuming
 * /sys/kernel/tracing/trace_pipe, which another tool may be reading. The
 * instance is removed at exit (and tracefs unmounted if the agent mounted it).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/magic.h>

#include <emf/errno.h>

#include "agent.h"

#define TRACEFS "/sys/kernel/tracing"

static bool is_tracefs(const char *path)
{
	struct statfs st;

	return !statfs(path, &st) && st.f_type == TRACEFS_MAGIC;
}

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	close(fd);
	return n == (ssize_t)strlen(s) ? 0 : (n < 0 ? -errno : -EIO);
}

/* One trace line: drop the padding tracefs puts before the task name. */
static void emit(struct agent_printk *pk, const char *line, size_t n)
{
	while (n && *line == ' ') {
		line++;
		n--;
	}
	if (n)
		pk->line(pk->ctx, line, n);
}

static void on_readable(void *ctx, int fd)
{
	struct agent_printk *pk = ctx;
	ssize_t n;

	while ((n = read(fd, pk->buf + pk->len, sizeof(pk->buf) - 1 - pk->len)) > 0) {
		char *start = pk->buf, *nl;

		pk->len += n;
		while ((nl = memchr(start, '\n', pk->buf + pk->len - start))) {
			emit(pk, start, nl - start);
			start = nl + 1;
		}
		pk->len -= start - pk->buf;
		memmove(pk->buf, start, pk->len);
		/* A line longer than the buffer: show what there is. */
		if (pk->len == sizeof(pk->buf) - 1) {
			emit(pk, pk->buf, pk->len);
			pk->len = 0;
		}
	}
}

int agent_printk_open(struct agent_printk *pk, struct emf_runtime *rt)
{
	char path[sizeof(pk->dir) + 64];
	int err;

	pk->fd = -1;
	if (!is_tracefs(TRACEFS)) {
		if (mount("tracefs", TRACEFS, "tracefs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL)) {
			err = -errno;
			fprintf(stderr, "emf-agent: --printk: failed to mount tracefs on %s: %s\n",
				TRACEFS, emf_strerror(err));
			return err;
		}
		pk->mounted = true;
	}
	snprintf(pk->dir, sizeof(pk->dir), TRACEFS "/instances/emf-agent-%d", (int)getpid());
	if (mkdir(pk->dir, 0700)) {
		err = -errno;
		fprintf(stderr, "emf-agent: --printk: failed to create tracefs instance %s: %s\n",
			pk->dir, emf_strerror(err));
		goto err_umount;
	}
	pk->made = true;
	snprintf(path, sizeof(path), "%s/events/bpf_trace/bpf_trace_printk/enable", pk->dir);
	err = write_file(path, "1");
	if (err) {
		fprintf(stderr, "emf-agent: --printk: failed to enable trace event bpf_trace/bpf_trace_printk (%s): %s\n",
			path, emf_strerror(err));
		goto err_rmdir;
	}
	snprintf(path, sizeof(path), "%s/trace_pipe", pk->dir);
	pk->fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (pk->fd < 0) {
		err = -errno;
		fprintf(stderr, "emf-agent: --printk: failed to open %s: %s\n", path,
			emf_strerror(err));
		goto err_rmdir;
	}
	err = emf_runtime__add_fd(rt, pk->fd, on_readable, pk);
	if (err) {
		fprintf(stderr, "emf-agent: --printk: failed to watch %s: %s\n", path,
			emf_strerror(err));
		goto err_close;
	}
	pk->rt = rt;
	return 0;

err_close:
	close(pk->fd);
	pk->fd = -1;
err_rmdir:
	rmdir(pk->dir);
	pk->made = false;
err_umount:
	if (pk->mounted)
		umount(TRACEFS);
	pk->mounted = false;
	return err;
}

void agent_printk_close(struct agent_printk *pk)
{
	if (pk->fd >= 0) {
		/* What the last programs printed before they stopped. */
		on_readable(pk, pk->fd);
		if (pk->len)
			emit(pk, pk->buf, pk->len);
		if (pk->rt)
			emf_runtime__remove_fd(pk->rt, pk->fd);
		close(pk->fd);
	}
	pk->fd = -1;
	pk->len = 0;
	/* The kernel removes an instance only when no file of it is open. */
	if (pk->made && rmdir(pk->dir))
		fprintf(stderr, "emf-agent: --printk: failed to remove tracefs instance %s: %s\n",
			pk->dir, strerror(errno));
	pk->made = false;
	if (pk->mounted)
		umount(TRACEFS);
	pk->mounted = false;
}
