// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* emf-agent: dynamic plugins from files and from a plugin directory, rescanned on SIGHUP. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <emf/errno.h>
#include <emf/runtime.h>

#include "agent.h"

static struct agent_file *find_file(struct agent_dyn *d, const char *path)
{
	int i;

	for (i = 0; i < d->n_files; i++)
		if (!strcmp(d->files[i].path, path))
			return &d->files[i];
	return NULL;
}

static void record(struct agent_file *f, const struct stat *st)
{
	f->dev = st->st_dev;
	f->ino = st->st_ino;
	f->mtime_ns = st->st_mtim.tv_sec * 1000000000LL + st->st_mtim.tv_nsec;
	f->size = st->st_size;
}

static bool changed(const struct agent_file *f, const struct stat *st)
{
	return f->dev != st->st_dev || f->ino != st->st_ino || f->size != st->st_size ||
	       f->mtime_ns != st->st_mtim.tv_sec * 1000000000LL + st->st_mtim.tv_nsec;
}

static struct emf_plugin *plugin_of(struct emf_runtime *rt, const char *path)
{
	size_t i;

	for (i = 0; i < emf_runtime__plugin_cnt(rt); i++) {
		struct emf_plugin *p = emf_runtime__plugin(rt, i);

		if (emf_plugin__path(p) && !strcmp(emf_plugin__path(p), path))
			return p;
	}
	return NULL;
}

/*
 * Load one file and remember it; @start when the runtime already runs. Returns
 * 0, 1 when the command line does not select the plugin (it is not kept), or
 * a negative errno after a message.
 */
static int load_one(struct agent_dyn *d, struct emf_runtime *rt, const char *path, bool start,
		    bool given)
{
	struct agent_file *f, *v;
	struct emf_plugin *p;
	struct stat st;
	int err, ret = 0;

	if (stat(path, &st)) {
		err = -errno;
		fprintf(stderr, "emf-agent: cannot load plugin %s: %s\n", path, emf_strerror(err));
		return err;
	}
	/* A file given by name runs instead of a built-in plugin of its name. */
	p = emf_runtime__add_file_opts(rt, path,
				       &(struct emf_add_file_opts){
					       .sz = sizeof(struct emf_add_file_opts),
					       .replace_builtin = given,
				       });
	if (!p) /* the SDK said which file and why */
		return -errno;
	if (start && d->selected && !d->selected(d->ctx, p)) {
		fprintf(stderr, "emf-agent: not starting plugin '%s' from %s: the command line (-p, -x) does not select it\n",
			emf_plugin__name(p), path);
		emf_runtime__remove(rt, p);
		ret = 1;
	} else if (start) {
		err = emf_runtime__start_plugin(rt, p);
		if (err) { /* the SDK said which plugin failed and why */
			emf_runtime__remove(rt, p);
			return err;
		}
	}
	f = find_file(d, path);
	if (!f) {
		v = realloc(d->files, (d->n_files + 1) * sizeof(*v));
		if (!v)
			return -ENOMEM;
		d->files = v;
		f = &d->files[d->n_files];
		f->path = strdup(path);
		if (!f->path)
			return -ENOMEM;
		d->n_files++;
	}
	record(f, &st);
	return ret;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The *.so files of the plugin directory, sorted, in *@names (the caller frees
 * it with free_list()). Returns 0, or a negative errno after a message; a
 * directory that does not exist holds no file.
 */
static int list_dir(const char *dir, char ***names, int *n)
{
	struct dirent *de;
	char **v;
	int err = 0;
	DIR *dh;

	*names = NULL;
	*n = 0;
	dh = opendir(dir);
	if (!dh) {
		if (errno == ENOENT)
			return 0;
		err = -errno;
		fprintf(stderr, "emf-agent: cannot read plugin directory %s: %s\n", dir,
			emf_strerror(err));
		return err;
	}
	while (!err && (de = readdir(dh))) {
		size_t len = strlen(de->d_name);
		char *path;

		if (len < 4 || strcmp(de->d_name + len - 3, ".so") || de->d_name[0] == '.')
			continue;
		v = realloc(*names, (*n + 1) * sizeof(*v));
		if (!v || asprintf(&path, "%s/%s", dir, de->d_name) < 0) {
			*names = v ?: *names;
			err = -ENOMEM;
			break;
		}
		*names = v;
		v[(*n)++] = path;
	}
	closedir(dh);
	if (*names)
		qsort(*names, *n, sizeof(**names), cmp_names);
	return err;
}

static void free_list(char **names, int n)
{
	while (n-- > 0)
		free(names[n]);
	free(names);
}

int agent_dyn_load(struct agent_dyn *d, struct emf_runtime *rt, const char *const *files,
		   int n_files)
{
	char **names;
	int i, n, err;

	for (i = 0; i < n_files; i++) {
		err = load_one(d, rt, files[i], false, true);
		if (err && !d->keep_going_files)
			return err;
	}
	if (!d->dir)
		return 0;
	err = list_dir(d->dir, &names, &n);
	for (i = 0; !err && i < n; i++) {
		err = load_one(d, rt, names[i], false, false);
		if (err && !d->keep_going)
			break;
		err = 0;
	}
	free_list(names, n);
	return err;
}

void agent_dyn_rescan(struct agent_dyn *d, struct emf_runtime *rt)
{
	char **names;
	int i, n;

	if (!d->dir)
		return;
	fprintf(stderr, "emf-agent: rescanning %s\n", d->dir);
	if (list_dir(d->dir, &names, &n))
		return;
	/* Gone or changed: stop and remove, then changed ones load again below. */
	for (i = 0; i < d->n_files; i++) {
		struct agent_file *f = &d->files[i];
		struct emf_plugin *p = plugin_of(rt, f->path);
		struct stat st;
		bool gone = stat(f->path, &st) != 0;
		char name[64];

		if (!p || (!gone && !changed(f, &st)))
			continue;
		snprintf(name, sizeof(name), "%s", emf_plugin__name(p));
		emf_runtime__stop_plugin(rt, p);
		emf_runtime__remove(rt, p);
		if (gone)
			fprintf(stderr, "emf-agent: unloaded plugin '%s': %s is gone\n", name, f->path);
		else if (!load_one(d, rt, f->path, true, false))
			fprintf(stderr, "emf-agent: reloaded plugin '%s' from %s\n", name, f->path);
	}
	for (i = 0; i < n; i++) {
		struct agent_file *f = find_file(d, names[i]);
		struct stat st;

		if (plugin_of(rt, names[i]))
			continue;
		/* Left out by -p/-x before, and the same file still: nothing to do. */
		if (f && !stat(names[i], &st) && !changed(f, &st))
			continue;
		if (!load_one(d, rt, names[i], true, false))
			fprintf(stderr, "emf-agent: loaded plugin '%s' from %s\n",
				emf_plugin__name(plugin_of(rt, names[i])), names[i]);
	}
	free_list(names, n);
}

void agent_dyn_free(struct agent_dyn *d)
{
	int i;

	for (i = 0; i < d->n_files; i++)
		free(d->files[i].path);
	free(d->files);
	d->files = NULL;
	d->n_files = 0;
}
