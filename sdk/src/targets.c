// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Where each program attaches, and programs whose hook this kernel lacks.
 *
 * A tool's own C code often decides where its programs go: it sets the target
 * of a placeholder (libbpf-tools' fsslower: SEC("fentry/dummy_file_read"), set
 * to the file system's read function), picks the one of two names a function
 * has on this kernel (biosnoop: blk_account_io_start or __blk_account_io_start),
 * or turns off a program whose tracepoint this kernel or arch lacks. Loaded
 * as-is, such a plugin fails as a whole. Here, before load, every program
 * whose hook point is not on this kernel is left out with a note, as the
 * tool's own probes (fentry_can_attach(), kprobe_exists() of libbpf-tools'
 * trace_helpers.c) would have done.
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/magic.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include <emf/errno.h>
#include <emf/runtime.h>

#include "log_internal.h"
#include "runtime_internal.h"

#define TRACEFS "/sys/kernel/tracing"

/* ---- what kind of target a program has ---------------------------------- */

enum tkind {
	TK_NONE,
	TK_BTF, /* fentry, fexit, fmod_ret, tp_btf: a BTF id, set before load */
	TK_KPROBE, /* kprobe, kretprobe: a kernel function */
	TK_UPROBE, /* uprobe, uretprobe: BINARY:SYMBOL */
	TK_TP, /* tp, tracepoint: CATEGORY/NAME */
	TK_RAW_TP, /* raw_tp, raw_tracepoint: NAME */
};

/* Is @sec section kind @word: "word" alone or "word/..."? */
static bool sec_is(const char *sec, const char *word)
{
	size_t n = strlen(word);

	return !strncmp(sec, word, n) && (!sec[n] || sec[n] == '/');
}

static enum tkind kind_of(const struct bpf_program *prog, bool *ret)
{
	const char *sec = bpf_program__section_name(prog);
	enum bpf_attach_type at = bpf_program__expected_attach_type(prog);

	*ret = false;
	switch (bpf_program__type(prog)) {
	case BPF_PROG_TYPE_TRACING:
		return at == BPF_TRACE_FENTRY || at == BPF_TRACE_FEXIT || at == BPF_MODIFY_RETURN ||
				       at == BPF_TRACE_RAW_TP ?
			       TK_BTF :
			       TK_NONE;
	case BPF_PROG_TYPE_KPROBE:
		*ret = sec_is(sec, "kretprobe") || sec_is(sec, "uretprobe") ||
		       sec_is(sec, "uretprobe.s");
		if (sec_is(sec, "kprobe") || sec_is(sec, "kretprobe"))
			return TK_KPROBE;
		if (sec_is(sec, "uprobe") || sec_is(sec, "uretprobe") || sec_is(sec, "uprobe.s") ||
		    sec_is(sec, "uretprobe.s"))
			return TK_UPROBE;
		return TK_NONE;
	case BPF_PROG_TYPE_TRACEPOINT:
		return TK_TP;
	case BPF_PROG_TYPE_RAW_TRACEPOINT:
		return TK_RAW_TP;
	default:
		return TK_NONE;
	}
}

/* ---- what the running kernel has ----------------------------------------- */

enum have { HAVE_NOT, HAVE, HAVE_UNKNOWN };

struct kctx {
	struct btf *vmlinux; /* loaded on first need; NULL when the kernel has none */
	bool btf_tried;
};

static struct btf *vmlinux_btf(struct kctx *k)
{
	if (!k->btf_tried) {
		k->btf_tried = true;
		k->vmlinux = btf__load_vmlinux_btf(); /* NULL (errno set) without BTF */
	}
	return k->vmlinux;
}

/* Is there a type of @kind named @prefix@name in the kernel's BTF, or a module's? */
static enum have btf_has(struct kctx *k, const char *prefix, const char *name, int kind)
{
	struct btf *base = vmlinux_btf(k), *mod;
	char full[256], path[300];
	struct dirent *de;
	bool found = false;
	DIR *d;

	if (!base)
		return HAVE_UNKNOWN;
	snprintf(full, sizeof(full), "%s%s", prefix, name);
	if (btf__find_by_name_kind(base, full, kind) > 0)
		return HAVE;
	d = opendir("/sys/kernel/btf");
	while (d && !found && (de = readdir(d))) {
		if (de->d_name[0] == '.' || !strcmp(de->d_name, "vmlinux"))
			continue;
		snprintf(path, sizeof(path), "/sys/kernel/btf/%s", de->d_name);
		mod = btf__parse_split(path, base);
		if (!mod)
			continue;
		found = btf__find_by_name_kind(mod, full, kind) > 0;
		btf__free(mod);
	}
	if (d)
		closedir(d);
	return found ? HAVE : HAVE_NOT;
}

static bool tracefs_mounted(void)
{
	struct statfs st;

	return !statfs(TRACEFS, &st) && st.f_type == TRACEFS_MAGIC;
}

/* "CATEGORY/NAME" (or "CATEGORY:NAME") in tracefs. */
static enum have tracepoint_has(const char *catname)
{
	size_t cat = strcspn(catname, ":/");
	char path[512];

	if (!tracefs_mounted())
		return HAVE_UNKNOWN;
	if (!catname[cat])
		return HAVE_NOT;
	snprintf(path, sizeof(path), TRACEFS "/events/%.*s/%s", (int)cat, catname,
		 catname + cat + 1);
	return access(path, F_OK) ? HAVE_NOT : HAVE;
}

/* Is @name word @word (0-based) of a line of @file? -1 when @file cannot be read. */
static int file_lists(const char *file, int word, const char *name)
{
	size_t len = strlen(name);
	char line[512], *s;
	int i, found = 0;
	FILE *f = fopen(file, "re");

	if (!f)
		return -1;
	while (!found && fgets(line, sizeof(line), f)) {
		for (s = line, i = 0; i < word && s; i++) {
			s = strchr(s, ' ');
			s = s ? s + 1 : NULL;
		}
		found = s && !strncmp(s, name, len) && strchr(" \t\n", s[len]) && s[len];
	}
	fclose(f);
	return found;
}

static bool kprobes_supported(void)
{
	return !access("/sys/bus/event_source/devices/kprobe/type", F_OK) ||
	       !access(TRACEFS "/kprobe_events", F_OK);
}

/* A kernel function a kprobe can name: traceable ones first, then any symbol. */
static enum have kfunc_has(const char *name)
{
	int traceable = file_lists(TRACEFS "/available_filter_functions", 0, name), sym;

	if (traceable > 0)
		return HAVE;
	sym = file_lists("/proc/kallsyms", 2, name);
	if (sym > 0)
		return HAVE;
	return traceable < 0 && sym < 0 ? HAVE_UNKNOWN : HAVE_NOT;
}

/*
 * Does the hook point @target of a program of @kind exist? @what says what is
 * missing; HAVE_UNKNOWN when this kernel cannot tell (no BTF, no tracefs, no
 * kprobes at all: the load or attach says why).
 */
static enum have hook_has(struct kctx *k, const struct bpf_program *prog, enum tkind kind,
			  const char *target, char *what, size_t n)
{
	enum bpf_attach_type at = bpf_program__expected_attach_type(prog);
	enum have h;

	switch (kind) {
	case TK_BTF:
		if (at == BPF_TRACE_RAW_TP) {
			h = btf_has(k, "btf_trace_", target, BTF_KIND_TYPEDEF);
			snprintf(what, n,
				 "this kernel has no tracepoint %s (no btf_trace_%s in its BTF)",
				 target, target);
		} else {
			h = btf_has(k, "", target, BTF_KIND_FUNC);
			snprintf(what, n, "this kernel has no function %s in its BTF", target);
		}
		return h;
	case TK_RAW_TP:
		snprintf(what, n, "this kernel has no tracepoint %s (no btf_trace_%s in its BTF)",
			 target, target);
		return btf_has(k, "btf_trace_", target, BTF_KIND_TYPEDEF);
	case TK_TP:
		snprintf(what, n, "this kernel has no tracepoint %s (no events/%s in tracefs)",
			 target, target);
		return tracepoint_has(target);
	case TK_KPROBE:
		if (!kprobes_supported())
			return HAVE_UNKNOWN;
		snprintf(
			what, n,
			"this kernel has no function %s (not in available_filter_functions nor /proc/kallsyms)",
			target);
		return kfunc_has(target);
	case TK_UPROBE: {
		char path[4096];

		if (target[0] != '/' || !strchr(target, ':'))
			return HAVE_UNKNOWN;
		snprintf(path, sizeof(path), "%.*s", (int)strcspn(target, ":"), target);
		snprintf(what, n, "there is no file %.*s on this machine",
			 (int)strcspn(target, ":"), target);
		return access(path, F_OK) ? HAVE_NOT : HAVE;
	}
	case TK_NONE:
		break;
	}
	return HAVE_UNKNOWN;
}

/* The target in @prog's section: "CAT/NAME" of tp/CAT/NAME, "FUNC" of kprobe/FUNC+0x10. */
static bool sec_target(const struct bpf_program *prog, enum tkind kind, char *buf, size_t n)
{
	const char *sec = bpf_program__section_name(prog), *slash = strchr(sec, '/');

	if (!slash || !slash[1])
		return false;
	snprintf(buf, n, "%.*s",
		 (int)(kind == TK_KPROBE ? strcspn(slash + 1, "+") : strlen(slash + 1)), slash + 1);
	return buf[0];
}

/* ---- before load ---------------------------------------------------------- */

static int fail(struct emf_runtime *rt, struct emf_plugin *p, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(struct emf_runtime *rt, struct emf_plugin *p, int err, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(rt->errmsg, sizeof(rt->errmsg), "plugin '%s' failed to %s: ", p->desc->name,
		     p->state == EMF_PLUGIN_LOADED ? "attach" : "load");
	va_start(ap, fmt);
	vsnprintf(rt->errmsg + n, sizeof(rt->errmsg) - n, fmt, ap);
	va_end(ap);
	pr_warn("runtime: %s\n", rt->errmsg);
	p->step_err = err;
	free(p->last_error);
	p->last_error = strdup(rt->errmsg);
	return err;
}

/* A program whose hook this kernel lacks: what is missing. */
struct gone {
	struct bpf_program *prog;
	enum tkind kind;
	char what[512];
};

/*
 * Leave out every program whose hook is not on this kernel, with a note; a
 * plugin left with no program, or a host that wants no program left out,
 * fails with one message instead.
 */
static int check_hooks(struct emf_runtime *rt, struct emf_plugin *p, struct kctx *k)
{
	struct bpf_object *obj = emf_plugin__object(p);
	unsigned int left = 0, out = 0, n = 0, i;
	struct bpf_program *prog;
	struct gone *g;
	char target[256];
	int err = 0;

	bpf_object__for_each_program(prog, obj)
		n++;
	g = calloc(n ?: 1, sizeof(*g));
	if (!g)
		return fail(rt, p, -ENOMEM, "%s", emf_strerror(-ENOMEM));
	bpf_object__for_each_program(prog, obj) {
		bool ret;
		enum tkind kind = kind_of(prog, &ret);

		if (!bpf_program__autoload(prog))
			continue;
		/* A target the host set was checked when it was applied. */
		if (kind == TK_NONE || kind == TK_UPROBE ||
		    !sec_target(prog, kind, target, sizeof(target)) ||
		    hook_has(k, prog, kind, target, g[out].what, sizeof(g[out].what)) != HAVE_NOT) {
			left++;
			continue;
		}
		g[out].prog = prog;
		g[out++].kind = kind;
	}
	if (out && (!left || rt->idle_fails)) {
		prog = g[0].prog;
		if (left)
			err = fail(
				rt, p, -EMF_ERRNO__NOFEAT,
				"program %s() (section '%s') has no hook on this kernel: %s; no program is left out when every one must run (idle_fails, emf-agent --strict)",
				bpf_program__name(prog), bpf_program__section_name(prog), g[0].what);
		else
			err = fail(rt, p, -EMF_ERRNO__NOFEAT,
				   "none of its programs has its hook on this kernel (%s%s() (section '%s'): %s)",
				   out > 1 ? "the first: " : "", bpf_program__name(prog),
				   bpf_program__section_name(prog), g[0].what);
		goto out;
	}
	for (i = 0; i < out; i++) {
		prog = g[i].prog;
		bpf_program__set_autoload(prog, false);
		bpf_program__set_autoattach(prog, false);
		pr_warn("runtime: note: plugin '%s': program %s() (section '%s') is left out: %s\n",
			p->desc->name, bpf_program__name(prog), bpf_program__section_name(prog),
			g[i].what);
	}
out:
	free(g);
	return err;
}

int emf__targets_prepare(struct emf_runtime *rt, struct emf_plugin *p)
{
	struct kctx k = {};
	int err;

	if (!emf_plugin__object(p))
		return 0;
	err = emf__variants_choose(rt, p);
	if (!err)
		err = check_hooks(rt, p, &k);
	btf__free(k.vmlinux);
	return err;
}
