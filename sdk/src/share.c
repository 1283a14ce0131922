// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The pin root: the directory on bpffs under which a runtime pins the slots
 * (slots.c) and shared maps (maps.c) it shares, the lock that serialises the
 * processes changing it, and the removal of pins nothing uses any more.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/magic.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <emf/errno.h>
#include <emf/slots.h>

#include "log_internal.h"
#include "opts_internal.h"
#include "runtime_internal.h"

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

const char *emf_share__root(const struct emf_runtime *rt)
{
	return rt->share.root[0] ? rt->share.root : EMF_PIN_ROOT_DEFAULT;
}

int emf_share__error(struct emf_runtime *rt, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rt->errmsg, sizeof(rt->errmsg), fmt, ap);
	va_end(ap);
	pr_warn("slots: %s\n", rt->errmsg);
	return err;
}

/*
 * The lock is on the root's parent: the root itself goes away with its last
 * pin. With @report, a failure is the start's error; otherwise only a warning.
 */
int emf_share__lock(struct emf_runtime *rt, bool report)
{
	char parent[EMF_PIN_ROOT_MAX], msg[512];
	struct statfs st;
	char *slash;
	int fd, err;

	if (rt->share.locked)
		return 0;
	snprintf(parent, sizeof(parent), "%s", emf_share__root(rt));
	slash = strrchr(parent, '/');
	if (slash == parent)
		slash[1] = '\0';
	else
		*slash = '\0';
	if (statfs(parent, &st)) {
		err = -errno;
		snprintf(msg, sizeof(msg), "slots: cannot pin shared slots and maps under %s: %s: %s",
			 emf_share__root(rt), parent, emf_strerror(err));
		goto err;
	}
	if (st.f_type != BPF_FS_MAGIC) {
		err = -ENODEV;
		snprintf(msg, sizeof(msg),
			 "slots: cannot pin shared slots and maps under %s: %s is not on bpffs (mount it: mount -t bpf bpf %s)",
			 emf_share__root(rt), parent, parent);
		goto err;
	}
	fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		snprintf(msg, sizeof(msg), "slots: failed to open %s to lock it: %s", parent,
			 emf_strerror(err));
		goto err;
	}
	while (flock(fd, LOCK_EX)) {
		if (errno == EINTR)
			continue;
		err = -errno;
		close(fd);
		snprintf(msg, sizeof(msg), "slots: failed to lock %s: %s", parent,
			 emf_strerror(err));
		goto err;
	}
	rt->share.lock_fd = fd;
	rt->share.locked = true;
	return 0;
err:
	if (report)
		return emf_share__error(rt, err, "%s", msg);
	pr_warn("%s\n", msg);
	return err;
}

void emf_share__unlock(struct emf_runtime *rt)
{
	if (!rt->share.locked)
		return;
	close(rt->share.lock_fd); /* drops the flock */
	rt->share.lock_fd = -1;
	rt->share.locked = false;
}

int emf_share__mkdir(struct emf_runtime *rt, const char *sub)
{
	char path[PATH_MAX];

	if (mkdir(emf_share__root(rt), 0700) && errno != EEXIST)
		goto err;
	if (!sub)
		return 0;
	snprintf(path, sizeof(path), "%s/%s", emf_share__root(rt), sub);
	if (mkdir(path, 0700) && errno != EEXIST)
		goto err;
	return 0;
err:
	return emf_share__error(rt, -errno, "slots: failed to create %s%s%s on bpffs: %s",
				emf_share__root(rt), sub ? "/" : "", sub ?: "", emf_strerror(-errno));
}

uint32_t emf_share__map_id(int fd)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	return fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &len) ? info.id : 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Every map id some program in the kernel uses, sorted: what keeps a pin in use. */
uint32_t *emf_share__used_map_ids(size_t *n)
{
	uint32_t *ids = NULL, *v, prog = 0;
	size_t cap = 0;

	*n = 0;
	while (!bpf_prog_get_next_id(prog, &prog)) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info), cnt;
		int fd = bpf_prog_get_fd_by_id(prog);

		if (fd < 0)
			continue; /* gone meanwhile */
		if (bpf_obj_get_info_by_fd(fd, &info, &len) || !info.nr_map_ids) {
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
		if (!bpf_obj_get_info_by_fd(fd, &info, &len))
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

bool emf_share__id_used(const uint32_t *used, size_t n, uint32_t id)
{
	return id && bsearch(&id, used, n, sizeof(*used), cmp_u32);
}

void emf_share__unpin(const char *path)
{
	if (unlink(path) && errno != ENOENT)
		pr_warn("slots: failed to remove pin %s: %s\n", path, emf_strerror(-errno));
	else
		pr_debug("slots: removed %s\n", path);
}
