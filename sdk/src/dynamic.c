// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Dynamic plugins: shared objects built from a plugin directory, loaded with
 * dlopen(). Loading one runs its code as root, so the file and everything
 * that leads to it must be safe the way sudo and sshd want them: owned by
 * root or by us, and not writable by group or others (a root-owned sticky
 * directory such as /tmp is accepted: nobody else can replace what we own in
 * it). trusted.c opens the file once and checks what it opened; what is
 * loaded is a sealed private copy of that file, so neither a symlink swapped
 * after the checks nor an overwrite in place (cp new.so loaded.so) reaches
 * the code mapped into the process. The descriptor must carry this SDK's ABI
 * version and a name not already present.
 */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <emf/errno.h>
#include <emf/runtime.h>

#include "log_internal.h"
#include "opts_internal.h"
#include "runtime_internal.h"
#include "trusted_internal.h"

/*
 * dlopen() the copy @*mfd through /proc/self/fd. glibc takes a name it has
 * loaded before for the same object: a copy whose plugin was unloaded but
 * which stays mapped (RTLD_NODELETE) keeps its old fd number as its name,
 * so a copy that gets that number again moves to another one first.
 */
static void *open_copy(int *mfd, const char *path)
{
	char name[32];
	void *handle;
	int tries, fd;

	for (tries = 0;; tries++) {
		snprintf(name, sizeof(name), "/proc/self/fd/%d", *mfd);
		handle = dlopen(name, RTLD_LAZY | RTLD_NOLOAD);
		if (!handle)
			break;
		dlclose(handle);
		fd = tries < 16 ? fcntl(*mfd, F_DUPFD_CLOEXEC, *mfd + 1) : -1;
		if (fd < 0) {
			pr_warn("dynamic: refusing %s: no free name to load its copy under (%s is taken)\n",
				path, name);
			return NULL;
		}
		close(*mfd);
		*mfd = fd;
	}
	handle = dlopen(name, RTLD_NOW | RTLD_LOCAL);
	if (!handle) {
		const char *why = dlerror() ?: "unknown error";
		size_t len = strlen(name);

		/* dlerror() names the copy; the file is what the user knows. */
		if (!strncmp(why, name, len) && !strncmp(why + len, ": ", 2))
			why += len + 2;
		pr_warn("dynamic: refusing %s: not a loadable shared object: %s\n", path, why);
	}
	return handle;
}

const char *emf_plugin__path(const struct emf_plugin *plugin)
{
	return plugin->dl_path;
}

/*
 * Are the descriptor @desc that @entry points to, and its ops, the shared
 * object's own? A program linked with -rdynamic that has a built-in plugin
 * of the same name exports that plugin's symbols, and without -Bsymbolic
 * the object's references bind to those: it would run the built-in code
 * under the file's name.
 */
static bool own_symbols(const void *entry, const struct emf_plugin_desc *desc)
{
	Dl_info e, d, o;

	if (!dladdr(entry, &e) || !dladdr(desc, &d))
		return false;
	if (d.dli_fbase != e.dli_fbase)
		return false;
	return !desc->ops || (dladdr(desc->ops, &o) && o.dli_fbase == e.dli_fbase);
}

struct emf_plugin *emf_runtime__add_file_opts(struct emf_runtime *rt, const char *path,
					      const struct emf_add_file_opts *opts)
{
	const struct emf_plugin_desc *const *entry;
	struct emf_plugin *p, *other;
	bool replace;
	void *handle;
	int fd, mfd, err;

	if (!rt || !path || !OPTS_VALID(opts, emf_add_file_opts))
		return emf_err_ptr(-EINVAL);
	replace = OPTS_GET(opts, replace_builtin, false);
	fd = emf__trusted_open(path);
	if (fd < 0)
		return emf_err_ptr(fd);
	mfd = emf__trusted_copy(fd, path);
	close(fd);
	if (mfd < 0)
		return emf_err_ptr(mfd);
	/* Its constructors run here, before anything below is checked. */
	handle = open_copy(&mfd, path);
	if (!handle) {
		err = -EMF_ERRNO__NOTPLUGIN;
		goto err_close_fd;
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
	if (!own_symbols(entry, *entry)) {
		pr_warn("dynamic: refusing %s: its plugin descriptor resolves to the one of plugin '%s' built into the program (the object was linked without -Wl,-Bsymbolic, and a symbol of the program stands in for its own); link it with -shared -Wl,-Bsymbolic\n",
			path, (*entry)->name);
		err = -EMF_ERRNO__NOTPLUGIN;
		goto err_close;
	}
	other = emf_runtime__find(rt, (*entry)->name);
	if (other && replace && !other->dl_path && other->state == EMF_PLUGIN_NEW) {
		pr_warn("dynamic: note: plugin '%s' of %s runs instead of the one built into the program\n",
			(*entry)->name, path);
		emf_runtime__remove(rt, other);
		other = NULL;
	}
	if (other) {
		if (other->dl_path)
			pr_warn("dynamic: refusing %s: a plugin named '%s' is already present (loaded from %s), which is kept; remove or rename one of the two\n",
				path, (*entry)->name, other->dl_path);
		else
			pr_warn("dynamic: refusing %s: a plugin named '%s' is already present (built into the program from %s), which is kept; rename the dynamic one, or give it by name (emf-agent --plugin %s) to run it instead\n",
				path, (*entry)->name, other->desc->source ?: "its sources", path);
		err = -EMF_ERRNO__DUP;
		goto err_close;
	}
	p = emf_runtime__add(rt, *entry);
	if (!p) {
		err = -errno;
		goto err_close;
	}
	p->dl_path = strdup(path);
	if (!p->dl_path) {
		emf_runtime__remove(rt, p);
		err = -ENOMEM;
		goto err_close;
	}
	p->dl_handle = handle;
	p->dl_fd = mfd;
	emf__runtime_sort(rt);
	pr_info("dynamic: loaded plugin '%s' from %s\n", (*entry)->name, path);
	return p;

err_close:
	dlclose(handle);
err_close_fd:
	close(mfd);
	return emf_err_ptr(err);
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

struct emf_plugin *emf_runtime__add_file(struct emf_runtime *rt, const char *path)
{
	return emf_runtime__add_file_opts(rt, path, NULL);
}

int emf_runtime__add_dir(struct emf_runtime *rt, const char *dir)
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
		if (emf_runtime__add_file(rt, path))
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

struct emf_plugin *emf_runtime__load_file(struct emf_runtime *rt, const char *path)
{
	return emf_runtime__add_file(rt, path);
}

int emf_runtime__load_dir(struct emf_runtime *rt, const char *dir)
{
	return emf_runtime__add_dir(rt, dir);
}
