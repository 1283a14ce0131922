// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The pin root: the directory on bpffs under which a runtime pins the slots
 * (slots.c) and shared maps (maps.c) it shares, the lock that serialises the
 * processes changing it, and the removal of pins nothing uses any more.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include <emf/errno.h>
#include <emf/slots.h>

#include "kernel.h"
#include "log_internal.h"
#include "opts_internal.h"
#include "runtime_internal.h"

/* ROOT/owner: a symlink to the pid of the process owning the root. */
#define OWNER_LINK "owner"

int emf_runtime__set_pin_opts(struct emf_runtime *rt, const struct emf_pin_opts *opts)
{
	const char *root;

	if (!rt || !OPTS_VALID(opts, emf_pin_opts))
		return emf_err(-EINVAL);
	if (rt->running || rt->share.active)
		return emf_err(-EMF_ERRNO__STATE);
	root = OPTS_GET(opts, root, NULL);
	if (root && (root[0] != '/' || strlen(root) >= EMF_PIN_ROOT_MAX || !strcmp(root, "/"))) {
		pr_warn("slots: invalid pin root '%s': give an absolute directory on bpffs of at most %d characters\n",
			root, EMF_PIN_ROOT_MAX - 1);
		return emf_err(-EINVAL);
	}
	snprintf(rt->share.root, sizeof(rt->share.root), "%s", root ?: "");
	/* A trailing slash would make the lock's parent the root itself. */
	while (strlen(rt->share.root) > 1 && rt->share.root[strlen(rt->share.root) - 1] == '/')
		rt->share.root[strlen(rt->share.root) - 1] = '\0';
	rt->share.keep_pins = OPTS_GET(opts, keep_pins, false);
	return 0;
}

const char *emf__share_root(const struct emf_runtime *rt)
{
	return rt->share.root[0] ? rt->share.root : EMF_PIN_ROOT_DEFAULT;
}

int emf__share_error(struct emf_runtime *rt, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rt->errmsg, sizeof(rt->errmsg), fmt, ap);
	va_end(ap);
	/* Most messages name their subsystem already: never "slots: slots:". */
	pr_warn("%s%s\n", strncmp(rt->errmsg, "slots: ", 7) ? "slots: " : "", rt->errmsg);
	return err;
}

/* A refusal or failure of the pin root: the start's error with @report, else a warning. */
static __attribute__((format(printf, 4, 5))) int
pin_error(struct emf_runtime *rt, bool report, int err, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (report)
		return emf__share_error(rt, err, "%s", msg);
	pr_warn("slots: %s\n", msg);
	return err;
}

/*
 * The one message for a pin directory that cannot be created, or is root's
 * while the process is not: a run without root, mostly.
 */
static int pin_dir_failed(struct emf_runtime *rt, const char *path, int err)
{
	return emf__share_error(rt, err, "failed to create %s on bpffs: %s", path,
				emf_strerror(err));
}

/*
 * The pin root and its subdirectories must be this process's and writable by
 * it alone: whoever may write to them can remove or replace the pins of a
 * running runtime. A directory on the way to the root may be root's too, and
 * writable by others only when sticky, as bpffs mounted without options is
 * (1777).
 */
static int check_dir(struct emf_runtime *rt, int fd, const char *path, bool own)
{
	uid_t euid = geteuid();
	struct stat st;

	if (fstat(fd, &st))
		return emf__share_error(rt, -errno, "failed to read %s: %s", path,
					emf_strerror(-errno));
	/* Root's directory and a process without root: what it lacks is privilege. */
	if (own && st.st_uid == 0 && euid != 0)
		return pin_dir_failed(rt, path, -EACCES);
	if (own && st.st_uid != euid)
		return emf__share_error(
			rt, -EPERM,
			"refusing pin directory %s: it is owned by uid %u, not by uid %u running this process, so its owner could remove or replace the pins of a running runtime; remove it (rm -r %s) and start again: emf creates it mode 0700",
			path, (unsigned int)st.st_uid, (unsigned int)euid, path);
	if (own && (st.st_mode & (S_IWGRP | S_IWOTH)))
		return emf__share_error(
			rt, -EPERM,
			"refusing pin directory %s: it is writable by group or others (mode %04o), who could remove or replace the pins of a running runtime; remove it (rm -r %s) and start again: emf creates it mode 0700",
			path, (unsigned int)(st.st_mode & 07777), path);
	if (!own && st.st_uid && st.st_uid != euid)
		return emf__share_error(
			rt, -EPERM,
			"refusing pin root %s: directory %s on the way to it is owned by uid %u, neither root nor uid %u running this process; choose a root under directories root owns",
			emf__share_root(rt), path, (unsigned int)st.st_uid, (unsigned int)euid);
	if (!own && (st.st_mode & (S_IWGRP | S_IWOTH)) && !(st.st_mode & S_ISVTX))
		return emf__share_error(
			rt, -EPERM,
			"refusing pin root %s: directory %s on the way to it is writable by group or others and not sticky (mode %04o), so anyone could replace what is under it; choose another root",
			emf__share_root(rt), path, (unsigned int)(st.st_mode & 07777));
	return 0;
}

/* Why openat(O_DIRECTORY | O_NOFOLLOW) of @path failed, as the start's error. */
static int open_failed(struct emf_runtime *rt, int dirfd, const char *name, const char *path,
		       int err)
{
	struct stat st;

	if ((err == -ELOOP || err == -ENOTDIR) && !fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW))
		return emf__share_error(
			rt, -EPERM,
			"refusing pin directory %s: it is %s, not a directory; remove it (rm %s) and start again",
			path, S_ISLNK(st.st_mode) ? "a symlink" : "a file", path);
	return emf__share_error(rt, err, "failed to open %s: %s", path, emf_strerror(err));
}

/*
 * Open directory @name of @dirfd (@path, for messages) without following a
 * symlink, creating it mode 0700 with @create, and check it is ours alone.
 * Returns the fd, -ENOENT when it does not exist and !@create, or a negative
 * errno with the start's error set.
 */
static int open_own_dir(struct emf_runtime *rt, int dirfd, const char *name, const char *path,
			bool create)
{
	int fd, err;

	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && create) {
		if (mkdirat(dirfd, name, 0700) && errno != EEXIST)
			return pin_dir_failed(rt, path, -errno);
		fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	}
	if (fd < 0 && (errno == EACCES || errno == EPERM))
		return pin_dir_failed(rt, path, -errno);
	if (fd < 0)
		return errno == ENOENT && !create ? -ENOENT :
						    open_failed(rt, dirfd, name, path, -errno);
	err = check_dir(rt, fd, path, true);
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

/*
 * Open the pin root's parent one component at a time from "/", following no
 * symlink, and check every directory on the way: what is checked is what the
 * pins go under. Returns the fd, or a negative errno (@report: the start's
 * error).
 */
static int open_parent(struct emf_runtime *rt, bool report)
{
	const char *root = emf__share_root(rt), *c = root, *end;
	char path[EMF_PIN_ROOT_MAX + NAME_MAX + 2] = "";
	int fd, next, err;

	fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return pin_error(rt, report, -errno, "failed to open /: %s", emf_strerror(-errno));
	for (;;) {
		char name[NAME_MAX + 1];

		while (*c == '/')
			c++;
		end = strchr(c, '/');
		if (!end)
			break; /* c is the root's own name */
		snprintf(name, sizeof(name), "%.*s", (int)(end - c), c);
		snprintf(path + strlen(path), sizeof(path) - strlen(path), "/%s", name);
		if (!strcmp(name, ".") || !strcmp(name, "..")) {
			err = pin_error(rt, report, -EINVAL,
					"invalid pin root %s: give it without '.' or '..'", root);
			goto err;
		}
		next = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0) {
			err = pin_error(rt, report, -errno,
					"cannot pin shared slots and maps under %s: %s: %s%s", root,
					path, emf_strerror(-errno),
					errno == ELOOP ? " (a symlink: give the real path)" : "");
			goto err;
		}
		close(fd);
		fd = next;
		err = check_dir(rt, fd, path, false);
		if (err)
			goto err;
		c = end;
	}
	if (!path[0])
		snprintf(path, sizeof(path), "/");
	if (rt->kernel->bpffs_check(fd)) {
		err = pin_error(rt, report, -ENODEV,
				"cannot pin shared slots and maps under %s: %s is not on bpffs (mount it: mount -t bpf bpf %s)",
				root, path, path);
		goto err;
	}
	return fd;
err:
	close(fd);
	return err;
}

/*
 * Pins are made and opened through /proc/self/fd/N/NAME, N the directory
 * checked at claim, so a path is never resolved again. Without /proc (a bare
 * initramfs), the path itself: every directory on it was checked and only the
 * owner or root can rename what is under it.
 */
static bool proc_fd_paths(void)
{
	return !access("/proc/self/fd", X_OK);
}

/* The last component of the root: its name in the parent. */
static const char *root_name(const struct emf_runtime *rt)
{
	return strrchr(emf__share_root(rt), '/') + 1;
}

/* The pid ROOT/owner names, 0 when there is none or it is not one. */
static pid_t read_owner(int root_fd)
{
	char buf[32], *end;
	ssize_t n;
	long pid;

	n = readlinkat(root_fd, OWNER_LINK, buf, sizeof(buf) - 1);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	pid = strtol(buf, &end, 10);
	return *end || pid <= 0 || pid > INT32_MAX ? 0 : (pid_t)pid;
}

/* "emf-agent (pid 1234)", for messages; "another process" when the pid is unknown. */
static void owner_name(pid_t pid, char *buf, size_t n)
{
	char path[64], comm[20] = "";
	FILE *f;

	if (!pid) {
		snprintf(buf, n, "another process");
		return;
	}
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	f = fopen(path, "re");
	if (f && fgets(comm, sizeof(comm), f))
		comm[strcspn(comm, "\n")] = '\0';
	if (f)
		fclose(f);
	snprintf(buf, n, "%s%spid %d%s", comm, comm[0] ? " (" : "", (int)pid, comm[0] ? ")" : "");
}

/*
 * Empty the prog arrays and remove every pin under the root @root_fd, its
 * subdirectories and the owner link; *@emptied counts the filled slots.
 * Returns the pins removed or a negative errno (the start's error set).
 */
static int clean_root(struct emf_runtime *rt, int root_fd, unsigned int *emptied)
{
	static const char *const subs[] = { "slots", "maps" };
	const struct emf__kernel_ops *kern = rt->kernel;
	int removed = 0, err = 0;
	size_t k;

	*emptied = 0;
	for (k = 0; k < 2 && !err; k++) {
		char path[PATH_MAX];
		struct dirent *de;
		DIR *dir;
		int fd;

		snprintf(path, sizeof(path), "%s/%s", emf__share_root(rt), subs[k]);
		fd = open_own_dir(rt, root_fd, subs[k], path, false);
		if (fd == -ENOENT)
			continue;
		if (fd < 0)
			return fd;
		dir = fdopendir(fd);
		if (!dir) {
			err = emf__share_error(rt, -errno, "failed to read %s: %s", path,
					       emf_strerror(-errno));
			close(fd);
			break;
		}
		while ((de = readdir(dir))) {
			struct bpf_map_info info = {};
			__u32 len = sizeof(info), i, id;
			int map;

			if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
				continue;
			/* A prog array keeps its programs, and their maps, alive: empty it. */
			if (proc_fd_paths())
				snprintf(path, sizeof(path), "/proc/self/fd/%d/%s", dirfd(dir),
					 de->d_name);
			else
				snprintf(path, sizeof(path), "%s/%s/%s", emf__share_root(rt),
					 subs[k], de->d_name);
			map = de->d_type == DT_REG ? kern->obj_get(path) : -1;
			if (map >= 0 && !kern->obj_info(map, &info, &len) &&
			    info.type == BPF_MAP_TYPE_PROG_ARRAY)
				for (i = 0; i < info.max_entries; i++)
					if (!kern->map_lookup(map, &i, &id) &&
					    !kern->map_delete(map, &i))
						(*emptied)++;
			if (map >= 0)
				close(map);
			if (unlinkat(dirfd(dir), de->d_name, de->d_type == DT_DIR ? AT_REMOVEDIR : 0))
				pr_warn("slots: failed to remove %s/%s/%s: %s\n",
					emf__share_root(rt), subs[k], de->d_name,
					emf_strerror(-errno));
			else
				removed++;
		}
		closedir(dir);
		unlinkat(root_fd, subs[k], AT_REMOVEDIR);
	}
	unlinkat(root_fd, OWNER_LINK, 0);
	return err ?: removed;
}

/*
 * Take the root for this process: create it or check it, then hold a shared
 * flock on it for as long as the runtime uses it. No flock held means no live
 * runtime uses the root; the owner link then names a process that died
 * without removing its pins, and they are removed. A root some other live
 * process owns is refused.
 */
static int claim(struct emf_runtime *rt)
{
	struct emf_share *sh = &rt->share;
	unsigned int emptied;
	char pid[16];
	pid_t owner;
	int fd, n;

	fd = open_own_dir(rt, sh->lock_fd, root_name(rt), emf__share_root(rt), true);
	if (fd < 0)
		return fd;
	if (!flock(fd, LOCK_EX | LOCK_NB)) {
		owner = read_owner(fd);
		if (owner && owner != getpid()) {
			n = clean_root(rt, fd, &emptied);
			if (n < 0)
				goto err;
			pr_warn("slots: %s: process %d died without removing its pins; removed them: %u slot%s emptied, %d pin%s removed\n",
				emf__share_root(rt), (int)owner, emptied, emptied == 1 ? "" : "s",
				n, n == 1 ? "" : "s");
		}
		unlinkat(fd, OWNER_LINK, 0);
		snprintf(pid, sizeof(pid), "%d", (int)getpid());
		if (symlinkat(pid, fd, OWNER_LINK)) {
			n = emf__share_error(rt, -errno, "failed to record the owner of %s: %s",
					     emf__share_root(rt), emf_strerror(-errno));
			goto err;
		}
	} else if (errno != EWOULDBLOCK) {
		n = emf__share_error(rt, -errno, "failed to lock %s: %s", emf__share_root(rt),
				     emf_strerror(-errno));
		goto err;
	} else if ((owner = read_owner(fd)) != getpid()) {
		char who[64];

		owner_name(owner, who, sizeof(who));
		n = emf__share_error(
			rt, -EBUSY,
			"the pins under %s belong to %s, which is running: a pin root has one owner process; stop it, or give this process a root of its own (emf_pin_opts.root, emf-agent --pin-root DIR)",
			emf__share_root(rt), who);
		goto err;
	}
	/* Converting the exclusive lock is not atomic, but the parent's lock is held. */
	if (flock(fd, LOCK_SH)) {
		n = emf__share_error(rt, -errno, "failed to lock %s: %s", emf__share_root(rt),
				     emf_strerror(-errno));
		goto err;
	}
	sh->root_fd = fd;
	sh->claimed = true;
	return 0;
err:
	close(fd);
	return n;
}

/*
 * The lock is on the root's parent: the root itself goes away with its last
 * pin. With @report (a start), the root is claimed too and a failure is the
 * start's error; otherwise only a warning.
 */
int emf__share_lock(struct emf_runtime *rt, bool report)
{
	struct emf_share *sh = &rt->share;
	int fd, err;

	if (!sh->locked) {
		fd = open_parent(rt, report);
		if (fd < 0)
			return fd;
		while (flock(fd, LOCK_EX)) {
			if (errno == EINTR)
				continue;
			err = pin_error(rt, report, -errno, "failed to lock the parent of %s: %s",
					emf__share_root(rt), emf_strerror(-errno));
			close(fd);
			return err;
		}
		sh->lock_fd = fd;
		sh->locked = true;
	}
	return report && !sh->claimed ? claim(rt) : 0;
}

void emf__share_unlock(struct emf_runtime *rt)
{
	if (!rt->share.locked)
		return;
	close(rt->share.lock_fd); /* drops the flock */
	rt->share.lock_fd = -1;
	rt->share.locked = false;
}

static int *sub_fd(struct emf_runtime *rt, const char *sub)
{
	return !strcmp(sub, "slots") ? &rt->share.slots_fd : &rt->share.maps_fd;
}

int emf__share_mkdir(struct emf_runtime *rt, const char *sub)
{
	char path[PATH_MAX];
	int *dfd = sub_fd(rt, sub), fd;

	snprintf(path, sizeof(path), "%s/%s", emf__share_root(rt), sub);
	fd = open_own_dir(rt, rt->share.root_fd, sub, path, true);
	if (fd < 0)
		return fd;
	if (*dfd >= 0)
		close(*dfd);
	*dfd = fd;
	return 0;
}

const char *emf__share_path(struct emf_runtime *rt, const char *sub, const char *name, char *buf,
			    size_t n)
{
	int fd = *sub_fd(rt, sub);

	if (fd >= 0 && proc_fd_paths())
		snprintf(buf, n, "/proc/self/fd/%d%s%s", fd, name ? "/" : "", name ?: "");
	else
		snprintf(buf, n, "%s/%s%s%s", emf__share_root(rt), sub, name ? "/" : "",
			 name ?: "");
	return buf;
}

void emf__share_rmdir(struct emf_runtime *rt, const char *sub)
{
	int *fd = sub_fd(rt, sub);

	/* Only a directory checked as ours; fails while something is left in it. */
	if (!rt->share.claimed || *fd < 0 || unlinkat(rt->share.root_fd, sub, AT_REMOVEDIR))
		return;
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Remove directory @name of @dirfd when it is empty and as emf makes it, not someone else's. */
static void rmdir_own(int dirfd, const char *name)
{
	struct stat st;

	if (!fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) && S_ISDIR(st.st_mode) &&
	    st.st_uid == geteuid() && !(st.st_mode & (S_IWGRP | S_IWOTH)))
		unlinkat(dirfd, name, AT_REMOVEDIR);
}

void emf__share_disown(struct emf_runtime *rt)
{
	struct emf_share *sh = &rt->share;
	int fd;

	if (!sh->claimed)
		return;
	if (sh->slots_fd >= 0)
		close(sh->slots_fd);
	if (sh->maps_fd >= 0)
		close(sh->maps_fd);
	close(sh->root_fd); /* drops this runtime's flock */
	sh->slots_fd = sh->maps_fd = sh->root_fd = -1;
	sh->claimed = false;
	if (emf__share_lock(rt, false))
		return;
	/* The last live user (of any runtime of this process) leaves the root to nobody. */
	fd = openat(sh->lock_fd, root_name(rt), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0 && !flock(fd, LOCK_EX | LOCK_NB)) {
		if (read_owner(fd) == getpid())
			unlinkat(fd, OWNER_LINK, 0);
		/* Ours, left empty by a start that failed before pinning; fails while pins are left. */
		rmdir_own(fd, "slots");
		rmdir_own(fd, "maps");
		if (!sh->keep_pins)
			unlinkat(sh->lock_fd, root_name(rt), AT_REMOVEDIR);
	}
	if (fd >= 0)
		close(fd);
}

int emf_runtime__clean_pins(struct emf_runtime *rt)
{
	struct emf_share *sh;
	unsigned int emptied = 0;
	pid_t owner;
	int fd, n;

	if (!rt)
		return emf_err(-EINVAL);
	sh = &rt->share;
	if (rt->running || sh->active)
		return emf_err(-EMF_ERRNO__STATE);
	rt->errmsg[0] = '\0';
	sh->lock_fd = -1;
	n = emf__share_lock(rt, false);
	if (n)
		return emf_err(n);
	fd = open_own_dir(rt, sh->lock_fd, root_name(rt), emf__share_root(rt), false);
	if (fd == -ENOENT) {
		n = 0;
		goto out;
	}
	if (fd < 0) {
		n = fd;
		goto out;
	}
	owner = read_owner(fd);
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		char who[64];

		owner_name(owner, who, sizeof(who));
		n = emf__share_error(
			rt, -EBUSY,
			"not removing the pins under %s: %s is running and uses them; stop it first",
			emf__share_root(rt), who);
	} else {
		n = clean_root(rt, fd, &emptied);
	}
	close(fd);
	if (n >= 0 && unlinkat(sh->lock_fd, root_name(rt), AT_REMOVEDIR) && errno != ENOENT)
		pr_warn("slots: failed to remove %s: %s\n", emf__share_root(rt),
			emf_strerror(-errno));
	if (n >= 0)
		pr_info("slots: %s: %u slot%s emptied, %d pin%s removed%s\n", emf__share_root(rt),
			emptied, emptied == 1 ? "" : "s", n, n == 1 ? "" : "s",
			owner ? "" : " (no owner recorded)");
out:
	emf__share_unlock(rt);
	return n < 0 ? emf_err(n) : n;
}

uint32_t emf__share_map_id(struct emf_runtime *rt, int fd)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	return fd >= 0 && !rt->kernel->obj_info(fd, &info, &len) ? info.id : 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Every map id some program in the kernel uses, sorted: what keeps a pin in use. */
uint32_t *emf__share_used_map_ids(struct emf_runtime *rt, size_t *n)
{
	const struct emf__kernel_ops *k = rt->kernel;
	uint32_t *ids = NULL, *v, prog = 0;
	size_t cap = 0;

	*n = 0;
	while (!k->prog_next_id(prog, &prog)) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info), cnt;
		int fd = k->prog_fd_by_id(prog);

		if (fd < 0)
			continue; /* gone meanwhile */
		if (k->obj_info(fd, &info, &len) || !info.nr_map_ids) {
			close(fd);
			continue;
		}
		cnt = info.nr_map_ids;
		if (*n + cnt > cap) {
			cap = (*n + cnt) * 2;
			v = realloc(ids, cap * sizeof(*ids));
			if (!v) {
				close(fd);
				free(ids);
				return emf_err_ptr(-ENOMEM);
			}
			ids = v;
		}
		memset(&info, 0, sizeof(info));
		info.nr_map_ids = cnt;
		info.map_ids = (uintptr_t)(ids + *n);
		len = sizeof(info);
		if (!k->obj_info(fd, &info, &len))
			*n += info.nr_map_ids < cnt ? info.nr_map_ids : cnt;
		close(fd);
	}
	if (errno != ENOENT) {
		free(ids);
		return emf_err_ptr(-errno);
	}
	if (!ids)
		ids = malloc(sizeof(*ids)); /* an empty set, not an error */
	if (ids)
		qsort(ids, *n, sizeof(*ids), cmp_u32);
	return ids;
}

bool emf__share_id_used(const uint32_t *used, size_t n, uint32_t id)
{
	return id && bsearch(&id, used, n, sizeof(*used), cmp_u32);
}

void emf__share_unpin(struct emf_runtime *rt, const char *sub, const char *name)
{
	int fd = *sub_fd(rt, sub);

	if (fd < 0)
		return;
	if (unlinkat(fd, name, 0) && errno != ENOENT)
		pr_warn("slots: failed to remove pin %s/%s/%s: %s\n", emf__share_root(rt), sub,
			name, emf_strerror(-errno));
	else
		pr_debug("slots: removed %s/%s/%s\n", emf__share_root(rt), sub, name);
}

const char *emf__share_tag(struct emf_plugin *p, int *cursor, const char *prefix,
			   const char **target)
{
	struct bpf_object *obj = emf_plugin__object(p);
	struct btf *btf = obj ? bpf_object__btf(obj) : NULL;
	int n = btf ? (int)btf__type_cnt(btf) : 0;

	for (; btf && *cursor < n; (*cursor)++) {
		const struct btf_type *t = btf__type_by_id(btf, *cursor);
		const char *name;

		if (!btf_is_decl_tag(t) || btf_decl_tag(t)->component_idx != -1)
			continue;
		name = btf__name_by_offset(btf, t->name_off);
		if (strncmp(name, prefix, strlen(prefix)))
			continue;
		*target = btf__name_by_offset(btf, btf__type_by_id(btf, t->type)->name_off);
		(*cursor)++;
		return name + strlen(prefix);
	}
	return NULL;
}
