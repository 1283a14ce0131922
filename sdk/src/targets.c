// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Where each program attaches, and programs whose hook this kernel lacks.
 *
 * A tool's own C code often decides where its programs go: it sets the target
 * of a placeholder (libbpf-tools' fsslower: SEC("fentry/dummy_file_read"), set
 * to the file system's read function), picks the one of two names a function
 * has on this kernel (biosnoop: blk_account_io_start or __blk_account_io_start),
 * or turns off a program whose tracepoint this kernel or arch lacks. Loaded
 * as-is, such a plugin fails as a whole. Here the host sets targets by program
 * (emf_plugin__set_attach_target(), alternatives allowed); before load they
 * are applied (bpf_program__set_attach_target() for BTF-attached programs;
 * kprobes, uprobes and tracepoints are attached by name after the skeleton's
 * attach), and every program whose hook point is not on this kernel is left
 * out with a note, as the tool's own probes (fentry_can_attach(),
 * kprobe_exists() of libbpf-tools' trace_helpers.c) would have done.
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

#include "kernel.h"
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

/* The section's kind for messages: "fentry" of "fentry/vfs_read". */
static void sec_word(const struct bpf_program *prog, char *buf, size_t n)
{
	const char *sec = bpf_program__section_name(prog);

	snprintf(buf, n, "%.*s", (int)strcspn(sec, "/"), sec);
}

/* What a target of @kind looks like, for messages. */
static const char *target_form(enum tkind kind)
{
	switch (kind) {
	case TK_TP:
		return "CATEGORY/NAME";
	case TK_RAW_TP:
		return "TRACEPOINT";
	case TK_UPROBE:
		return "BINARY:SYMBOL";
	default:
		return "FUNCTION";
	}
}

/* ---- what the running kernel has ----------------------------------------- */

enum have { HAVE_NOT, HAVE, HAVE_UNKNOWN };

struct kctx {
	struct emf_runtime *rt;
};

static struct btf *vmlinux_btf(struct kctx *k)
{
	return emf__kernel_btf(k->rt);
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

int emf__kfunc_traceable(const char *name)
{
	return file_lists(TRACEFS "/available_filter_functions", 0, name);
}

/* A kernel function a kprobe can name: traceable ones first, then any symbol. */
static enum have kfunc_has(const char *name)
{
	int traceable = emf__kfunc_traceable(name), sym;

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
		size_t len = strcspn(target, ":");
		char path[4096];

		if (target[0] != '/' || !target[len] || len >= sizeof(path))
			return HAVE_UNKNOWN;
		memcpy(path, target, len);
		path[len] = '\0';
		snprintf(what, n, "there is no file %.*s on this machine", (int)len, target);
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

	va_start(ap, fmt);
	err = emf__plugin_failv(rt, p, err, p->state == EMF_PLUGIN_LOADED ? "attach" : "load", fmt,
				ap);
	va_end(ap);
	return err;
}

/* Choose the first alternative of @t the kernel has, and apply it to @prog. */
static int apply_target(struct emf_runtime *rt, struct emf_plugin *p, struct kctx *k,
			struct emf_attach_target *t, struct bpf_program *prog)
{
	const char *name = bpf_program__name(prog);
	char word[32], what[512], *list, *alt, *save = NULL;
	bool ret, several = strchr(t->targets, ',') != NULL;
	enum tkind kind = kind_of(prog, &ret);
	enum have h = HAVE_NOT;
	int err = 0;

	sec_word(prog, word, sizeof(word));
	if (kind == TK_NONE)
		return fail(
			rt, p, -EINVAL,
			"program %s() (section '%s') is a %s program, whose target cannot be set; targets are set for fentry, fexit, fmod_ret, tp_btf, kprobe, kretprobe, uprobe, uretprobe, tp and raw_tp programs",
			name, bpf_program__section_name(prog), word);
	if (kind == TK_KPROBE && !kprobes_supported())
		return fail(
			rt, p, -EMF_ERRNO__NOFEAT,
			"%s target '%s' of program %s(): this kernel has no kprobe support; use a tracepoint instead (tp/, raw_tp/ or tp_btf/)",
			word, t->targets, name);
	if (kind == TK_TP && !tracefs_mounted())
		return fail(
			rt, p, -ENOENT,
			"%s target '%s' of program %s(): tracefs is not mounted: mount -t tracefs tracefs " TRACEFS,
			word, t->targets, name);
	list = strdup(t->targets);
	if (!list)
		return -ENOMEM;
	for (alt = strtok_r(list, ",", &save); alt; alt = strtok_r(NULL, ",", &save)) {
		if (kind == TK_BTF) {
			/* The same lookup libbpf makes at load, in vmlinux and module BTF. */
			err = bpf_program__set_attach_target(prog, 0, alt);
			h = err ? HAVE_NOT : HAVE;
			if (err && err != -ESRCH && err != -ENOENT)
				break;
		} else if (kind == TK_UPROBE &&
			   (alt[0] != '/' || !strchr(alt, ':') || !strchr(alt, ':')[1])) {
			err = fail(
				rt, p, -EINVAL,
				"%s target '%s' of program %s() is not BINARY:SYMBOL (an absolute path, a colon, a symbol)",
				word, alt, name);
			goto out;
		} else {
			h = hook_has(k, prog, kind, alt, what, sizeof(what));
		}
		if (h != HAVE_NOT)
			break;
	}
	if (alt && kind == TK_BTF && err && h == HAVE_NOT) {
		err = fail(rt, p, err, "%s target '%s' of program %s(): %s", word, alt, name,
			   emf_strerror(err));
		goto out;
	}
	if (!alt) {
		const char *where =
			kind == TK_BTF ?
				"in this kernel's BTF" :
			kind == TK_KPROBE ?
				"a function of this kernel (not in available_filter_functions nor /proc/kallsyms)" :
			kind == TK_UPROBE ? "a binary on this machine" :
					    "a tracepoint of this kernel";

		if (several)
			err = fail(rt, p, -ENOENT,
				   "none of the %s targets '%s' of program %s() is %s", word,
				   t->targets, name, where);
		else
			err = fail(rt, p, -ENOENT, "%s target '%s' of program %s() is not %s%s",
				   word, t->targets, name, where,
				   kind == TK_TP ? " (CATEGORY/NAME as in tracefs events/)" : "");
		goto out;
	}
	free(t->chosen);
	t->chosen = strdup(alt);
	if (!t->chosen) {
		err = -ENOMEM;
		goto out;
	}
	/* libbpf attaches these by section name: the runtime attaches them by target. */
	if (kind != TK_BTF)
		bpf_program__set_autoattach(prog, false);
	pr_info("runtime: plugin '%s': program %s() (section '%s') attaches to %s '%s'\n",
		p->desc->name, name, bpf_program__section_name(prog), word, alt);
	err = 0;
out:
	free(list);
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
		    emf__attach_target_of(p, bpf_program__name(prog)) ||
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
				"program %s() (section '%s') has no hook on this kernel: %s; no program is left out when every one must run (idle_fails, emf-agent --strict): set its target with emf_plugin__set_attach_target() (emf-agent --attach-to %s.%s=%s)",
				bpf_program__name(prog), bpf_program__section_name(prog), g[0].what,
				p->desc->name, bpf_program__name(prog), target_form(g[0].kind));
		else
			err = fail(
				rt, p, -EMF_ERRNO__NOFEAT,
				"none of its programs has its hook on this kernel (%s%s() (section '%s'): %s): set %s with emf_plugin__set_attach_target() (emf-agent --attach-to %s.%s=%s)",
				out > 1 ? "the first: " : "", bpf_program__name(prog),
				bpf_program__section_name(prog), g[0].what,
				out > 1 ? "their targets" : "its target", p->desc->name,
				out > 1 ? "PROGRAM" : bpf_program__name(prog),
				out > 1 ? "TARGET" : target_form(g[0].kind));
		goto out;
	}
	for (i = 0; i < out; i++) {
		prog = g[i].prog;
		bpf_program__set_autoload(prog, false);
		bpf_program__set_autoattach(prog, false);
		pr_warn("runtime: note: plugin '%s': program %s() (section '%s') is left out: %s; if the tool's user space set its target, set it with emf_plugin__set_attach_target() (emf-agent --attach-to %s.%s=%s)\n",
			p->desc->name, bpf_program__name(prog), bpf_program__section_name(prog),
			g[i].what, p->desc->name, bpf_program__name(prog), target_form(g[i].kind));
	}
out:
	free(g);
	return err;
}

int emf__targets_prepare(struct emf_runtime *rt, struct emf_plugin *p)
{
	struct bpf_object *obj = emf_plugin__object(p);
	struct bpf_program *prog;
	struct kctx k = { .rt = rt };
	size_t i;
	int err = 0;

	if (!obj)
		return p->n_targets ?
			       fail(rt, p, -EINVAL,
				    "its attach targets cannot be set: it has no libbpf object") :
			       0;
	for (i = 0; i < p->n_targets && !err; i++) {
		struct emf_attach_target *t = &p->targets[i];

		free(t->chosen);
		t->chosen = NULL;
		prog = bpf_object__find_program_by_name(obj, t->prog);
		if (!prog)
			err = fail(
				rt, p, -ENOENT,
				"it has no program '%s' to set the attach target of (the programs are its BPF functions with a SEC())",
				t->prog);
		else if (bpf_program__autoload(prog))
			err = apply_target(rt, p, &k, t, prog);
	}
	if (!err)
		err = emf__variants_choose(rt, p);
	if (!err)
		err = check_hooks(rt, p, &k);
	return err;
}

/* ---- after the skeleton's attach ------------------------------------------ */

/* SYMBOL of "BINARY:SYMBOL". */
static const char *uo_func(const char *target)
{
	return strchr(target, ':') + 1;
}

int emf__targets_attach(struct emf_runtime *rt, struct emf_plugin *p)
{
	struct bpf_object *obj = emf_plugin__object(p);
	char word[32], bin[4096], cat[128];
	struct emf__attach_to to;
	struct bpf_program *prog;
	struct bpf_link *link;
	const char *target, *sep;
	enum tkind kind;
	size_t i;
	bool ret;
	int err;

	for (i = 0; obj && i < p->n_targets; i++) {
		target = p->targets[i].chosen;
		prog = bpf_object__find_program_by_name(obj, p->targets[i].prog);
		if (!target || !prog || !bpf_program__autoload(prog))
			continue;
		emf__log_capture_free(&p->libbpf_log);
		kind = kind_of(prog, &ret);
		if (kind == TK_BTF)
			continue; /* attached by the skeleton, at the BTF id set before load */
		sec_word(prog, word, sizeof(word));
		emf__log_capture_begin(&p->libbpf_log);
		/* apply_target() refused TK_NONE: what is left has a target of its own */
		to = (struct emf__attach_to){
			.kind = EMF__AT_RAW_TP, .func = target, .pid = -1, .retprobe = ret
		};
		if (kind == TK_KPROBE) {
			to.kind = EMF__AT_KPROBE;
		} else if (kind == TK_UPROBE) {
			sep = strchr(target, ':');
			snprintf(bin, sizeof(bin), "%.*s", (int)(sep - target), target);
			to.kind = EMF__AT_UPROBE;
			to.binary = bin;
			to.func = uo_func(target);
		} else if (kind == TK_TP) {
			sep = target + strcspn(target, ":/");
			snprintf(cat, sizeof(cat), "%.*s", (int)(sep - target), target);
			to.kind = EMF__AT_TRACEPOINT;
			to.category = cat;
			to.event = sep + 1;
		}
		link = rt->kernel->attach(prog, &to);
		err = link ? 0 : -errno;
		emf__log_capture_end();
		if (!link) {
			/* One message; libbpf's own lines are its detail. */
			if (err == -ENOENT && kind == TK_UPROBE)
				fail(rt, p, err,
				     "%s target '%s' of program %s(): %s has no symbol %s", word,
				     target, bpf_program__name(prog), bin, uo_func(target));
			else
				fail(rt, p, err,
				     "program %s() (section '%s') to %s target '%s': %s",
				     bpf_program__name(prog), bpf_program__section_name(prog), word,
				     target, emf_strerror(err));
			emf__log_capture_replay(&p->libbpf_log, EMF_INFO);
			emf__log_capture_free(&p->libbpf_log);
			return err;
		}
		emf__log_capture_replay(&p->libbpf_log, EMF_WARN);
		emf__log_capture_free(&p->libbpf_log);
		err = emf__attach_keep(p, prog, link);
		if (err) {
			rt->kernel->link_destroy(link);
			return fail(rt, p, err, "program %s(): %s", bpf_program__name(prog),
				    emf_strerror(err));
		}
		pr_info("runtime: plugin '%s': program %s() attached to %s '%s'\n", p->desc->name,
			bpf_program__name(prog), word, target);
	}
	return 0;
}
