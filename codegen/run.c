// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* emf-codegen: running clang and bpftool, linking the BPF object, temporary files. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include "codegen.h"

extern char **environ;

bool cg_verbose;

void cg_err(const char *fmt, ...)
{
	va_list ap;

	fputs("emf-codegen: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

void cg_info(const char *fmt, ...)
{
	va_list ap;

	if (!cg_verbose)
		return;
	fputs("emf-codegen: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

char *cg_path(const char *dir, const char *name, const char *suffix)
{
	char *s;

	if (asprintf(&s, "%s/%s%s", dir, name, suffix) < 0)
		return NULL;
	return s;
}

/* A sibling of @final that rename() can move over it: same directory, hidden, unique. */
char *cg_tmp_path(const char *final)
{
	const char *slash = strrchr(final, '/');
	char *s;
	int n;

	if (slash)
		n = asprintf(&s, "%.*s/.%s.tmp%d", (int)(slash - final), final, slash + 1,
			     (int)getpid());
	else
		n = asprintf(&s, ".%s.tmp%d", final, (int)getpid());
	return n < 0 ? NULL : s;
}

/*
 * Run argv[0] with the arguments; its stdout goes to @stdout_path when set.
 * With @quiet_stderr its stderr is kept aside and shown only when it fails.
 */
int cg_run(char *const argv[], const char *stdout_path, bool quiet_stderr)
{
	posix_spawn_file_actions_t fa;
	char errpath[] = "/tmp/emf-codegen-stderr.XXXXXX";
	int errfd = -1, status, err;
	pid_t pid;

	if (cg_verbose) {
		fputs("emf-codegen: running", stderr);
		for (int i = 0; argv[i]; i++)
			fprintf(stderr, " %s", argv[i]);
		fputc('\n', stderr);
	}
	posix_spawn_file_actions_init(&fa);
	if (stdout_path)
		posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, stdout_path,
						 O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (quiet_stderr) {
		errfd = mkstemp(errpath);
		if (errfd >= 0) {
			unlink(errpath);
			posix_spawn_file_actions_adddup2(&fa, errfd, STDERR_FILENO);
		}
	}
	err = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (err) {
		cg_err("failed to run %s: %s\n", argv[0], strerror(err));
		if (errfd >= 0)
			close(errfd);
		return -err;
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			err = -errno;
			goto out;
		}
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		err = 0;
		goto out;
	}
	if (errfd >= 0) {
		char buf[4096];
		ssize_t n;

		lseek(errfd, 0, SEEK_SET);
		while ((n = read(errfd, buf, sizeof(buf))) > 0)
			fwrite(buf, 1, n, stderr);
	}
	err = -ECHILD;
	if (WIFEXITED(status))
		cg_err("%s exited with status %d\n", argv[0], WEXITSTATUS(status));
	else
		cg_err("%s was killed by signal %d\n", argv[0], WTERMSIG(status));
out:
	if (errfd >= 0)
		close(errfd);
	return err;
}

int cg_compile(struct cg_plugin *p, const struct cg_opts *opts, const char *vmlinux_dir,
	       const char *src, const char *obj_out, const char *dep_out, const char *dep_target)
{
	const char *argv[80 + 2 * 32 + 2 * CG_SYS_INCS_MAX];
	char *incs[64];
	int n = 0, ni = 0, i, err;

	argv[n++] = opts->clang;
	argv[n++] = "-g";
	if (p->all_debug_types)
		argv[n++] = "-fno-eliminate-unused-debug-types";
	argv[n++] = "-O2";
	argv[n++] = "-Wall";
	argv[n++] = "-Wno-unused-function";
	argv[n++] = "-target";
	argv[n++] = "bpf";
	argv[n++] = "-D__TARGET_ARCH_x86";
	argv[n++] = "-D__EMF_BPF__";
	for (i = 0; i < opts->n_defs && ni < 60; i++) {
		if (asprintf(&incs[ni], "-D%s", opts->defs[i]) < 0)
			return -ENOMEM;
		argv[n++] = incs[ni++];
	}
	/* The plugin's own directory first: helper headers beside the .bpf.c win. */
	if (asprintf(&incs[ni], "-I%s", p->dir) < 0)
		return -ENOMEM;
	argv[n++] = incs[ni++];
	if (asprintf(&incs[ni], "-I%s", vmlinux_dir) < 0)
		return -ENOMEM;
	argv[n++] = incs[ni++];
	for (i = 0; i < opts->n_incs && ni < 62; i++) {
		if (asprintf(&incs[ni], "-I%s", opts->incs[i]) < 0)
			return -ENOMEM;
		argv[n++] = incs[ni++];
	}
	/*
	 * -target bpf drops the host's multiarch directory (asm/types.h lives in
	 * /usr/include/x86_64-linux-gnu): put clang's own list back, after
	 * everything else, as libbpf-bootstrap's Makefiles do.
	 */
	for (i = 0; i < opts->n_sys_incs; i++) {
		argv[n++] = "-idirafter";
		argv[n++] = opts->sys_incs[i];
	}
	/* What the plugin includes, for make: the generated files depend on all of it. */
	if (dep_out) {
		argv[n++] = "-MD";
		argv[n++] = "-MP";
		argv[n++] = "-MF";
		argv[n++] = dep_out;
		argv[n++] = "-MT";
		argv[n++] = dep_target;
	}
	argv[n++] = "-x";
	argv[n++] = "c";
	argv[n++] = "-c";
	argv[n++] = src;
	argv[n++] = "-o";
	argv[n++] = obj_out;
	argv[n] = NULL;
	err = cg_run((char *const *)argv, NULL, false);
	if (err && dep_out)
		cg_err("failed to compile %s; fix the errors above\n", p->src);
	else if (err)
		cg_err("failed to compile the SDK maps %s refers to\n", p->src);
	for (i = 0; i < ni; i++)
		free(incs[i]);
	return err;
}

/*
 * clang puts in BTF only the types that globals, functions and CO-RE
 * relocations use: an event struct only ever reserved through a local pointer
 * is missing. The compile unit is therefore NAME.bpf.c plus one pointer per
 * header struct, in a section libbpf skips, so every event struct reaches the
 * object's BTF with the layout the BPF code uses, and the .bpf.c stays as
 * written. <emf/shim.bpf.h> before and after it counts and batches the
 * program's own bpf_ringbuf_*() calls (see that header). NAME.bpf.c is
 * included by name from the plugin directory, the first -I of cg_compile(), so
 * that no path is ever spelled in C (a path may hold '"' or newlines); <>
 * rather than "" keeps the directory the compile unit is written in out of the
 * search.
 */
int cg_write_anchor(const struct cg_plugin *p, const char *path)
{
	FILE *f;
	int i;

	f = fopen(path, "w");
	if (!f) {
		cg_err("failed to create %s: %s\n", path, strerror(errno));
		return -errno;
	}
	fprintf(f, "#include <emf/shim.bpf.h>\n#include <%s.bpf.c>\n#include <emf/shim.bpf.h>\n\n",
		p->file);
	for (i = 0; i < p->n_struct_names; i++)
		fprintf(f, "%s *__emf_type_%d __attribute__((section(\".emf.types\"), used));\n",
			p->struct_names[i], i);
	if (fclose(f)) {
		cg_err("failed to write %s: %s\n", path, strerror(errno));
		return -errno;
	}
	return 0;
}

static __attribute__((format(printf, 2, 0))) int silent_print(enum libbpf_print_level level,
								const char *fmt, va_list ap)
{
	if (level != LIBBPF_WARN)
		return 0;
	fputs("emf-codegen: ", stderr);
	return vfprintf(stderr, fmt, ap);
}

/*
 * Link through libbpf's BPF linker: it drops DWARF and keeps BTF, as bpftool
 * gen object does. @extra, when set, is linked in too (cg_shim_defs()), and
 * first: libbpf 1.1's linker leaves an extern map's offset in the .maps
 * DATASEC at 0 when its definition comes after the object's own maps.
 */
int cg_link(const char *in, const char *extra, const char *out)
{
	libbpf_print_fn_t old = libbpf_set_print(silent_print);
	struct bpf_linker *l;
	int err;

	l = bpf_linker__new(out, NULL);
	if (!l) {
		err = -errno;
		goto out;
	}
	err = extra ? bpf_linker__add_file(l, extra, NULL) : 0;
	if (!err)
		err = bpf_linker__add_file(l, in, NULL);
	if (!err)
		err = bpf_linker__finalize(l);
	bpf_linker__free(l);
out:
	libbpf_set_print(old);
	if (err)
		cg_err("failed to link BPF object %s: %s\n", in, strerror(-err));
	return err;
}

int cg_skeleton(const struct cg_opts *opts, const char *obj, const char *name, const char *out)
{
	char skel_name[CG_NAME_MAX + 8];
	char *argv[] = { (char *)opts->bpftool, "gen", "skeleton", (char *)obj, "name", skel_name,
			 NULL };

	snprintf(skel_name, sizeof(skel_name), "%s_bpf", name);
	if (cg_run(argv, out, true)) {
		cg_err("bpftool failed to generate the skeleton of %s\n", obj);
		return -EINVAL;
	}
	return 0;
}

int cg_vmlinux_h(const struct cg_opts *opts, const char *out)
{
	char *argv[] = { (char *)opts->bpftool, "btf", "dump", "file", (char *)opts->btf_file,
			 "format", "c", NULL };

	if (access(opts->btf_file, R_OK)) {
		cg_err("cannot read kernel BTF %s: %s; pass --vmlinux-h FILE or --btf FILE\n",
		       opts->btf_file, strerror(errno));
		return -errno;
	}
	if (cg_run(argv, out, true)) {
		cg_err("bpftool failed to dump %s as C\n", opts->btf_file);
		return -EINVAL;
	}
	return 0;
}

/*
 * The directories clang searches for <...> when compiling for the host, from
 * what `clang -v -E` prints between "#include <...> search starts here:" and
 * "End of search list.", into opts->sys_incs. A clang that prints none leaves
 * the list empty (and the BPF compile as it was); only failing to run it is
 * an error.
 */
int cg_sys_includes(struct cg_opts *opts)
{
	char *argv[] = { (char *)opts->clang, "-v", "-E", "-x", "c", "/dev/null", NULL };
	posix_spawn_file_actions_t fa;
	char *line = NULL, **grown;
	size_t cap = 0;
	bool in = false;
	int fds[2], status, err;
	ssize_t len;
	pid_t pid;
	FILE *f;

	if (pipe2(fds, O_CLOEXEC))
		return -errno;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, fds[1], STDERR_FILENO);
	err = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	if (err) {
		close(fds[0]);
		cg_err("failed to run %s: %s\n", argv[0], strerror(err));
		return -err;
	}
	f = fdopen(fds[0], "r");
	if (!f) {
		err = -errno;
		close(fds[0]);
	}
	while (f && (len = getline(&line, &cap, f)) > 0) {
		if (line[len - 1] == '\n')
			line[--len] = '\0';
		if (!strcmp(line, "#include <...> search starts here:")) {
			in = true;
			continue;
		}
		if (!strcmp(line, "End of search list."))
			in = false;
		/* Entries are indented by one space; "(framework directory)" ones are not dirs. */
		if (!in || line[0] != ' ' || line[1] != '/' || strchr(line, '(') ||
		    opts->n_sys_incs == CG_SYS_INCS_MAX)
			continue;
		grown = realloc(opts->sys_incs, (opts->n_sys_incs + 1) * sizeof(*grown));

		if (!grown || !(grown[opts->n_sys_incs] = strdup(line + 1))) {
			if (grown)
				opts->sys_incs = grown;
			err = -ENOMEM;
			break;
		}
		opts->sys_incs = grown;
		opts->n_sys_incs++;
	}
	free(line);
	if (f)
		fclose(f);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (err)
		cg_err("failed to read the include directories of %s: %s\n", opts->clang,
		       strerror(-err));
	return err;
}

void cg_sys_includes_free(struct cg_opts *opts)
{
	for (int i = 0; i < opts->n_sys_incs; i++)
		free(opts->sys_incs[i]);
	free(opts->sys_incs);
	opts->sys_incs = NULL;
	opts->n_sys_incs = 0;
}

/*
 * Drop the compile unit emf-codegen wrote around NAME.bpf.c from clang's
 * dependency file: it is temporary, and make would rebuild for it forever.
 */
int cg_fix_deps(const char *path, const char *anchor)
{
	size_t alen = strlen(anchor), len = 0;
	char *buf = NULL, *p, *q;
	FILE *f = fopen(path, "r");
	int err = 0;

	if (!f)
		return -errno;
	if (getdelim(&buf, &len, '\0', f) < 0 && ferror(f))
		err = -EIO;
	fclose(f);
	if (err || !buf) {
		free(buf);
		return err ?: -EIO;
	}
	/* Remove " anchor" tokens and the "anchor:" phony rule line. */
	for (p = buf; (q = strstr(p, anchor));) {
		char *end = q + alen;

		if (*end == ':') {
			while (*end && *end != '\n')
				end++;
			if (*end)
				end++;
		} else if (q > buf && q[-1] == ' ') {
			q--;
		}
		memmove(q, end, strlen(end) + 1);
		p = q;
	}
	f = fopen(path, "w");
	if (!f || fputs(buf, f) < 0)
		err = -errno ?: -EIO;
	if (f && fclose(f) && !err)
		err = -errno;
	free(buf);
	return err;
}
