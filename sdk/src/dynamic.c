// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Dynamic plugins: shared objects built from a plugin directory, loaded with
 * dlopen(). Loading one runs its code as root, so the file and every
 * directory above it must be safe the way sudo and sshd want them: owned by
 * root or by us, and not writable by group or others (a root-owned sticky
 * directory such as /tmp is accepted: nobody else can replace what we own in
 * it). The descriptor must carry this SDK's ABI version.
 */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <emf/errno.h>
#include <emf/runtime.h>

#include "log_internal.h"
#include "runtime_internal.h"

/* @file is the plugin being checked, @path the file or directory at hand. */
static int check_owner_mode(const char *file, const char *path, const struct stat *st, bool dir)
{
	uid_t me = geteuid();

	if (st->st_uid != 0 && st->st_uid != me) {
		pr_warn("dynamic: refusing %s: %s %s is owned by uid %u, neither root nor the running user (uid %u)\n",
			file, dir ? "directory" : "file", path, st->st_uid, me);
		return -EMF_ERRNO__UNSAFE;
	}
	if (st->st_mode & (S_IWGRP | S_IWOTH)) {
		if (dir && (st->st_mode & S_ISVTX) && st->st_uid == 0)
			return 0;
		pr_warn("dynamic: refusing %s: %s %s is writable by %s; run chmod go-w on it\n",
			file, dir ? "directory" : "file", path,
			st->st_mode & S_IWOTH ? "others" : "its group");
		return -EMF_ERRNO__UNSAFE;
	}
	return 0;
}

/* The file and every directory from / down to it: owner and write permissions. */
static int check_path(const char *path)
{
	char real[PATH_MAX], *slash;
	struct stat st;
	int err;

	if (!realpath(path, real)) {
		err = -errno;
		pr_warn("dynamic: cannot load plugin %s: %s\n", path, emf_strerror(err));
		return err;
	}
	if (stat(real, &st)) {
		err = -errno;
		pr_warn("dynamic: cannot load plugin %s: %s\n", path, emf_strerror(err));
		return err;
	}
	if (!S_ISREG(st.st_mode)) {
		pr_warn("dynamic: refusing %s: not a regular file\n", path);
		return -EMF_ERRNO__NOTPLUGIN;
	}
	err = check_owner_mode(path, real, &st, false);
	while (!err && (slash = strrchr(real, '/'))) {
		if (slash == real)
			slash[1] = '\0';
		else
			*slash = '\0';
		if (stat(real, &st))
			return -errno;
		err = check_owner_mode(path, real, &st, true);
		if (!strcmp(real, "/"))
			break;
	}
	return err;
}

const char *emf_plugin__path(const struct emf_plugin *plugin)
{
	return plugin->dl_path;
}

struct emf_plugin *emf_runtime__load_file(struct emf_runtime *rt, const char *path)
{
	const struct emf_plugin_desc *const *entry;
	struct emf_plugin *p;
	void *handle;
	int err;

	if (!rt || !path)
		return emf_err_ptr(-EINVAL);
	err = check_path(path);
	if (err)
		return emf_err_ptr(err);
	handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!handle) {
		pr_warn("dynamic: refusing %s: not a loadable shared object: %s\n", path, dlerror());
		return emf_err_ptr(-EMF_ERRNO__NOTPLUGIN);
	}
	entry = dlsym(handle, "emf_plugin_entry");
	if (!entry || !*entry) {
		pr_warn("dynamic: refusing %s: it has no emf_plugin_entry symbol; build it from a plugin directory with emf-codegen\n",
			path);
		err = -EMF_ERRNO__NOTPLUGIN;
		goto err_close;
	}
	err = emf_plugin_desc__check(*entry, path);
	if (err)
		goto err_close;
	p = emf_runtime__add(rt, *entry);
	if (!p) {
		err = -errno;
		goto err_close;
	}
	p->dl_handle = handle;
	p->dl_path = strdup(path);
	emf_runtime_sort(rt);
	pr_info("dynamic: loaded plugin '%s' from %s\n", (*entry)->name, path);
	return p;

err_close:
	dlclose(handle);
	return emf_err_ptr(err);
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int emf_runtime__load_dir(struct emf_runtime *rt, const char *dir)
{
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, i;
	int err = 0, loaded = 0;
	DIR *d;

	d = opendir(dir);
	if (!d) {
		err = -errno;
		pr_warn("dynamic: cannot read plugin directory %s: %s\n", dir, emf_strerror(err));
		return emf_err(err);
	}
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);
		char **v;

		if (len < 4 || strcmp(de->d_name + len - 3, ".so") || de->d_name[0] == '.')
			continue;
		v = realloc(names, (n + 1) * sizeof(*v));
		if (!v || !(v[n] = strdup(de->d_name))) {
			names = v ?: names;
			err = -ENOMEM;
			break;
		}
		names = v;
		n++;
	}
	closedir(d);
	/* Deterministic: the same directory loads in the same order. */
	if (names)
		qsort(names, n, sizeof(*names), cmp_names);
	for (i = 0; i < n && !err; i++) {
		char path[PATH_MAX];

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (emf_runtime__load_file(rt, path))
			loaded++;
		else
			err = -errno;
	}
	/* All or nothing: take back what this directory added. */
	while (err && i-- > 0) {
		char path[PATH_MAX];
		size_t k;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		for (k = 0; k < rt->cnt; k++) {
			if (rt->plugins[k]->dl_path && !strcmp(rt->plugins[k]->dl_path, path)) {
				emf_runtime__remove(rt, rt->plugins[k]);
				break;
			}
		}
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return err ? emf_err(err) : loaded;
}
