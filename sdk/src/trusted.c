// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Trusted files. Loading a dynamic plugin runs its code as the agent's user
 * (root), so whoever can change the file, or any directory or symlink that
 * leads to it, can run code as root. realpath() then open() checks one walk
 * and uses another: between the two, the owner of a directory on the way
 * can rename() a symlink. Here the path is walked once, a component at a
 * time, with openat(O_PATH | O_NOFOLLOW) from the directory fd reached so
 * far; every object is checked with fstat() on its fd before anything is
 * looked up in it, symlinks are read with readlinkat() on the link's own
 * fd and followed by the walk itself, and the file returned is the one that
 * was checked. The same walk works on every kernel emf runs on (openat2's
 * RESOLVE_NO_SYMLINKS would refuse /lib -> usr/lib style links instead of
 * checking them).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <emf/errno.h>

#include "log_internal.h"
#include "trusted_internal.h"

/* Since Linux 6.3; older kernels refuse it with EINVAL and map memfds executable anyway. */
#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif

#define NOEXEC_HINT " (sysctl vm.memfd_noexec=2 forbids executable memfds)"

/* As the kernel's MAXSYMLINKS. */
#define MAX_LINKS 40

struct walk {
	const char *file; /* the path asked for, as messages name it */
	char at[PATH_MAX]; /* the directory reached, as a path from / */
	int dirfd; /* and its O_PATH fd */
	uid_t euid;
};

static const char *kind_of(const struct stat *st)
{
	if (S_ISDIR(st->st_mode))
		return "directory";
	if (S_ISLNK(st->st_mode))
		return "symlink";
	return "file";
}

/*
 * Owned by root or us, and (but for a symlink, whose mode means nothing) not
 * writable by group or others unless it is a root-owned sticky directory.
 */
static int check(const struct walk *w, const char *shown, const struct stat *st)
{
	const char *kind = kind_of(st);
	bool dir = S_ISDIR(st->st_mode);

	if (st->st_uid != 0 && st->st_uid != w->euid) {
		if (S_ISLNK(st->st_mode))
			pr_warn("dynamic: refusing %s: symlink %s is owned by uid %u, neither root nor the running user (uid %u), who can point it elsewhere; give the path it leads to, or run chown -h root %s\n",
				w->file, shown, st->st_uid, w->euid, shown);
		else if (dir)
			pr_warn("dynamic: refusing %s: directory %s is owned by uid %u, neither root nor the running user (uid %u), who can swap what it holds; keep plugins where only root or uid %u can write\n",
				w->file, shown, st->st_uid, w->euid, w->euid);
		else
			pr_warn("dynamic: refusing %s: file %s is owned by uid %u, neither root nor the running user (uid %u), who can change it; run chown root %s if you trust it\n",
				w->file, shown, st->st_uid, w->euid, shown);
		return -EMF_ERRNO__UNSAFE;
	}
	if (S_ISLNK(st->st_mode) || !(st->st_mode & (S_IWGRP | S_IWOTH)))
		return 0;
	if (dir && (st->st_mode & S_ISVTX) && st->st_uid == 0)
		return 0;
	if (st->st_mode & S_IWOTH)
		pr_warn("dynamic: refusing %s: %s %s is writable by others (mode %04o), who can %s; run chmod go-w %s\n",
			w->file, kind, shown, st->st_mode & 07777,
			dir ? "swap what it holds" : "change it", shown);
	else
		pr_warn("dynamic: refusing %s: %s %s is writable by its group (gid %u, mode %04o), whose members can %s; run chmod g-w %s\n",
			w->file, kind, shown, st->st_gid, st->st_mode & 07777,
			dir ? "swap what it holds" : "change it", shown);
	return -EMF_ERRNO__UNSAFE;
}

/* @at joined with @name into @buf (messages only: cut short when too long). */
static const char *join(char *buf, size_t sz, const char *at, const char *name)
{
	if (snprintf(buf, sz, "%s%s%s", at, strcmp(at, "/") ? "/" : "", name) >= (int)sz)
		buf[sz - 1] = '\0';
	return buf;
}

static int fail_errno(const struct walk *w, const char *what, const char *shown, int err)
{
	pr_warn("dynamic: cannot load plugin %s: failed to %s %s: %s\n", w->file, what, shown,
		emf_strerror(err));
	return err;
}

/* openat() and fstat() what it opened: the fd, or a negative errno. */
static int open_stat(int dirfd, const char *name, int flags, struct stat *st)
{
	int fd, err;

	fd = openat(dirfd, name, flags | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, st)) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

/* Make @fd, checked as the directory @at, the directory reached. */
static void move_to(struct walk *w, int fd, const char *at)
{
	if (w->dirfd >= 0)
		close(w->dirfd);
	w->dirfd = fd;
	snprintf(w->at, sizeof(w->at), "%s", at);
}

/*
 * Move the walk to directory @name of the directory reached ("/" for the
 * root, ".." for the parent, as the kernel resolves it), known as @at.
 */
static int enter_dir(struct walk *w, const char *name, const char *at)
{
	struct stat st;
	int fd, err;

	fd = open_stat(w->dirfd, name, O_PATH | O_DIRECTORY, &st);
	if (fd < 0)
		return fail_errno(w, "open", at, fd);
	err = check(w, at, &st);
	if (err) {
		close(fd);
		return err;
	}
	move_to(w, fd, at);
	return 0;
}

/* "..": the parent of the directory reached. */
static int enter_parent(struct walk *w)
{
	char parent[PATH_MAX], *slash;

	snprintf(parent, sizeof(parent), "%s", w->at);
	slash = strrchr(parent, '/');
	if (slash)
		slash[slash == parent] = '\0';
	return enter_dir(w, "..", parent);
}

/*
 * Splice symlink @fd (read on its own fd, so what was checked is what is
 * read) in front of what is left to walk, @todo + @rest.
 */
static int follow(struct walk *w, int fd, const char *shown, char *todo, size_t sz,
		  const char *rest)
{
	char target[PATH_MAX], next[PATH_MAX];
	ssize_t len;

	len = readlinkat(fd, "", target, sizeof(target));
	if (len < 0)
		return fail_errno(w, "read symlink", shown, -errno);
	if ((size_t)len >= sizeof(target))
		return fail_errno(w, "read symlink", shown, -ENAMETOOLONG);
	target[len] = '\0';
	if (snprintf(next, sizeof(next), "%s%s%s", target, *rest ? "/" : "", rest) >=
	    (int)sizeof(next))
		return fail_errno(w, "follow symlink", shown, -ENAMETOOLONG);
	snprintf(todo, sz, "%s", next);
	return target[0] == '/' ? enter_dir(w, "/", "/") : 0;
}

/* The regular file @name of the walk's directory, checked on an fd opened for reading. */
static int open_file(struct walk *w, const char *name, const char *shown, const struct stat *seen)
{
	struct stat st;
	int fd, err;

	if (!S_ISREG(seen->st_mode)) {
		pr_warn("dynamic: refusing %s: %s is not a regular file\n", w->file, shown);
		return -EMF_ERRNO__NOTPLUGIN;
	}
	/* O_NONBLOCK: should it have become a FIFO, do not wait for a writer. */
	fd = open_stat(w->dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY, &st);
	if (fd < 0)
		return fail_errno(w, "open", shown, fd);
	/* The directory is safe, so only its owner can have replaced the file meanwhile. */
	if (st.st_dev != seen->st_dev || st.st_ino != seen->st_ino) {
		close(fd);
		pr_warn("dynamic: cannot load plugin %s: %s was replaced while being opened; load it again\n",
			w->file, shown);
		return -EAGAIN;
	}
	err = check(w, shown, &st);
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

int emf__trusted_open(const char *path)
{
	char todo[PATH_MAX], shown[PATH_MAX], cwd[PATH_MAX];
	struct walk w = { .file = path, .dirfd = -1, .euid = geteuid() };
	int links = 0, n, err, fd;
	char *s;

	if (!path || !*path)
		return emf_err(-EINVAL);
	if (path[0] == '/')
		n = snprintf(todo, sizeof(todo), "%s", path);
	else if (getcwd(cwd, sizeof(cwd)))
		n = snprintf(todo, sizeof(todo), "%s/%s", cwd, path);
	else
		n = -errno;
	err = n < 0 ? n : n >= (int)sizeof(todo) ? -ENAMETOOLONG : 0;
	if (err) {
		pr_warn("dynamic: cannot load plugin %s: %s\n", path, emf_strerror(err));
		return emf_err(err);
	}
	err = enter_dir(&w, "/", "/");
	for (s = todo; !err;) {
		char name[NAME_MAX + 1], *end;
		struct stat st;
		bool last, slash;
		size_t len;

		while (*s == '/')
			s++;
		if (!*s) {
			/* Ended on a directory: "/", "dir/" or "dir/..". */
			pr_warn("dynamic: refusing %s: %s is a directory, not a plugin file\n",
				path, w.at);
			err = -EMF_ERRNO__NOTPLUGIN;
			break;
		}
		end = strchrnul(s, '/');
		len = end - s;
		if (len > NAME_MAX) {
			err = fail_errno(&w, "look up a name in", w.at, -ENAMETOOLONG);
			break;
		}
		memcpy(name, s, len);
		name[len] = '\0';
		slash = *end == '/';
		s = end;
		while (*s == '/')
			s++;
		last = !*s;
		if (!strcmp(name, "."))
			continue;
		if (!strcmp(name, "..")) {
			err = enter_parent(&w);
			continue;
		}
		join(shown, sizeof(shown), w.at, name);
		fd = open_stat(w.dirfd, name, O_PATH | O_NOFOLLOW, &st);
		if (fd < 0) {
			err = fail_errno(&w, "open", shown, fd);
			break;
		}
		err = check(&w, shown, &st);
		if (err) {
			close(fd);
			break;
		}
		if (S_ISLNK(st.st_mode)) {
			if (++links > MAX_LINKS)
				err = fail_errno(&w, "follow symlink", shown, -ELOOP);
			else
				err = follow(&w, fd, shown, todo, sizeof(todo), s);
			close(fd);
			s = todo;
			continue;
		}
		if (last && !slash) {
			close(fd);
			fd = open_file(&w, name, shown, &st);
			close(w.dirfd);
			return fd < 0 ? emf_err(fd) : fd;
		}
		if (!S_ISDIR(st.st_mode)) {
			close(fd);
			err = fail_errno(&w, "look up a name in", shown, -ENOTDIR);
			break;
		}
		move_to(&w, fd, shown);
	}
	if (w.dirfd >= 0)
		close(w.dirfd);
	return emf_err(err);
}

int emf__trusted_copy(int fd, const char *path)
{
	struct stat before, after;
	const char *base = strrchr(path, '/');
	char name[64], buf[65536];
	off_t off = 0;
	int mfd, err;

	/* The memfd's name shows in /proc/PID/maps: the plugin's file name. */
	snprintf(name, sizeof(name), "emf:%s", base ? base + 1 : path);
	mfd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
	if (mfd < 0 && errno == EINVAL)
		mfd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (mfd < 0) {
		err = -errno;
		pr_warn("dynamic: cannot load plugin %s: failed to create a memfd for its copy: %s%s\n",
			path, emf_strerror(err), err == -EACCES ? NOEXEC_HINT : "");
		return emf_err(err);
	}
	if (fstat(fd, &before)) {
		err = -errno;
		goto err_read;
	}
	for (;;) {
		ssize_t n = pread(fd, buf, sizeof(buf), off), done = 0;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			goto err_read;
		}
		if (!n)
			break;
		while (done < n) {
			ssize_t m = write(mfd, buf + done, n - done);

			if (m < 0 && errno == EINTR)
				continue;
			if (m < 0) {
				err = -errno;
				pr_warn("dynamic: cannot load plugin %s: failed to copy it into memory: %s\n",
					path, emf_strerror(err));
				goto err_close;
			}
			done += m;
		}
		off += n;
	}
	if (fstat(fd, &after)) {
		err = -errno;
		goto err_read;
	}
	/* Its owner rewrote it as we read (a cp in progress): the copy may be torn. */
	if (off != before.st_size || after.st_size != before.st_size ||
	    after.st_mtim.tv_sec != before.st_mtim.tv_sec ||
	    after.st_mtim.tv_nsec != before.st_mtim.tv_nsec ||
	    after.st_ctim.tv_sec != before.st_ctim.tv_sec ||
	    after.st_ctim.tv_nsec != before.st_ctim.tv_nsec) {
		pr_warn("dynamic: cannot load plugin %s: it changed while being read; load it again once it is written\n",
			path);
		err = -EAGAIN;
		goto err_close;
	}
	if (fcntl(mfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL)) {
		err = -errno;
		pr_warn("dynamic: cannot load plugin %s: failed to seal its copy: %s\n", path,
			emf_strerror(err));
		goto err_close;
	}
	return mfd;

err_read:
	pr_warn("dynamic: cannot load plugin %s: failed to read it: %s\n", path, emf_strerror(err));
err_close:
	close(mfd);
	return emf_err(err);
}
