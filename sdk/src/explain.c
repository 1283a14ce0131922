// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Why a step of a plugin failed, in plain words: the verifier's own reason,
 * a program type or hook point this kernel lacks, tracefs not mounted, a
 * uprobe target that is not there. Each cause is checked against the running
 * system, not guessed from an errno; what none explains keeps libbpf's line.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/magic.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include <emf/errno.h>

#include "kernel.h"
#include "log_internal.h"
#include "runtime_internal.h"

#define TRACEFS "/sys/kernel/tracing"

static bool starts_with(const char *s, const char *prefix)
{
	return s && !strncmp(s, prefix, strlen(prefix));
}

const char *emf__log_tail(const char *log, int lines)
{
	const char *p = log + strlen(log);

	while (p > log && (p[-1] == '\n' || p[-1] == ' '))
		p--;
	while (p > log && lines > 0) {
		p--;
		if (*p == '\n')
			lines--;
	}
	return *p == '\n' ? p + 1 : p;
}

/* Copy line [s, e) to @out, at most @n bytes, and return @out. */
static char *copy_line(char *out, size_t n, const char *s, const char *e)
{
	snprintf(out, n, "%.*s", (int)(e - s), s);
	return out;
}

/*
 * The verifier's reason: the last line of its log that is not a statistic,
 * and "FILE:LINE" of the last source annotation before it when the kernel
 * gives one ("; ... @ file.bpf.c:65", 6.x kernels).
 */
void emf__verifier_reason(const char *log, char *reason, size_t n, char *where, size_t wn)
{
	const char *end = log + strlen(log), *s, *e, *at;

	reason[0] = where[0] = '\0';
	while (end > log) {
		e = end;
		while (e > log && (e[-1] == '\n' || e[-1] == ' '))
			e--;
		for (s = e; s > log && s[-1] != '\n'; s--)
			;
		end = s;
		if (s == e || starts_with(s, "processed ") || starts_with(s, "verification time") ||
		    starts_with(s, "stack depth") || starts_with(s, "-- END"))
			continue;
		if (!reason[0]) {
			copy_line(reason, n, s, e);
			continue;
		}
		if (*s == ';') {
			for (at = e; at > s && !(at[-1] == '@' && at[0] == ' '); at--)
				;
			if (at > s)
				copy_line(where, wn, at + 1, e);
			break;
		}
	}
}

/* The program libbpf names in "prog 'NAME': ..." of its captured warnings, or NULL. */
static struct bpf_program *named_prog(struct bpf_object *obj, const char *log, char *name,
				      size_t n)
{
	const char *s = log ? strstr(log, "prog '") : NULL, *e;

	if (!s || !obj)
		return NULL;
	s += 6;
	e = strchr(s, '\'');
	if (!e)
		return NULL;
	copy_line(name, n, s, e);
	return bpf_object__find_program_by_name(obj, name);
}

/*
 * @line with libbpf's "Unknown error 524" for a code only the kernel uses
 * (ENOTSUPP and its kin, which strerror() has no words for) in emf_strerror()'s
 * words: "not supported by this kernel (ENOTSUPP)".
 */
static void kernel_errno_words(char *line, size_t n)
{
	static const char unknown[] = "Unknown error ", failed[] = "ERROR: strerror_r(";
	char *at = strstr(line, unknown), *num, *end, rest[512];
	const char *words;
	long code;

	/* libbpf 1.1 writes "ERROR: strerror_r(-524)=22" where strerror_r() fails. */
	if (!at && (at = strstr(line, failed)))
		num = at + sizeof(failed) - 1;
	else if (at)
		num = at + sizeof(unknown) - 1;
	else
		return;
	code = strtol(num, &end, 10);
	words = emf_strerror(-(int)labs(code));
	if (end == num || !strncmp(words, unknown, sizeof(unknown) - 1))
		return;
	if (*num == '-' && *end == ')')
		end += 1 + strspn(end + 1, "=0123456789");
	snprintf(rest, sizeof(rest), "%s", end);
	snprintf(at, n - (at - line), "%s%s", words, rest);
}

/*
 * The first line of libbpf's warnings worth showing, without its "libbpf: "
 * prefix: not the generic "failed to load object/skeleton" that follows
 * every failure.
 */
static bool libbpf_reason(const char *log, char *out, size_t n)
{
	const char *s, *e;

	for (s = log; s && *s; s = *e ? e + 1 : e) {
		e = s + strcspn(s, "\n");
		if (starts_with(s, "libbpf: "))
			s += 8;
		if (e == s || strstr(s, "failed to load object") ||
		    strstr(s, "failed to load BPF skeleton") ||
		    strstr(s, "failed to attach BPF skeleton"))
			continue;
		copy_line(out, n, s, e);
		kernel_errno_words(out, n);
		return true;
	}
	return false;
}

/*
 * A map the kernel refused to create ("map 'NAME': failed to create" in
 * libbpf's lines): its name, its shape, and the errno in words.
 */
static int map_reason(struct bpf_object *obj, const char *log, int err, char *why, size_t n)
{
	const char *s = log ? strstr(log, "map '") : NULL, *e;
	const struct bpf_map *m;
	char name[128];

	for (; s; s = strstr(s + 1, "map '")) {
		e = strchr(s + 5, '\'');
		if (!e || !starts_with(e, "': failed to create") || e - s - 5 >= (long)sizeof(name))
			continue;
		snprintf(name, sizeof(name), "%.*s", (int)(e - s - 5), s + 5);
		m = bpf_object__find_map_by_name(obj, name);
		if (!m)
			continue;
		snprintf(why, n,
			 "the kernel refused to create map '%s' (%s, key %u B, value %u B, max_entries %u): %s%s",
			 name, libbpf_bpf_map_type_str(bpf_map__type(m)) ?: "?", bpf_map__key_size(m),
			 bpf_map__value_size(m), bpf_map__max_entries(m), emf_strerror(err),
			 err == -EINVAL || err == -E2BIG || err == -ENOMEM ?
				 "; if the tool's user space sized it, size it with emf_plugin__set_map_size() (emf-agent --map-size PLUGIN.MAP=N)" :
				 "");
		return err;
	}
	return 0;
}

/* Is there a BTF type of @kind named @prefix@name in the running kernel's BTF? */
static bool kernel_has_btf(const char *prefix, const char *name, int kind)
{
	struct btf *btf = btf__load_vmlinux_btf();
	char full[256];
	bool found;

	if (!btf)
		return true; /* cannot tell: do not claim it is missing */
	snprintf(full, sizeof(full), "%s%s", prefix, name);
	found = btf__find_by_name_kind(btf, full, kind) > 0;
	btf__free(btf);
	return found;
}

static bool tracefs_mounted(void)
{
	struct statfs st;

	return !statfs(TRACEFS, &st) && st.f_type == TRACEFS_MAGIC;
}

/* "tp/CAT/NAME" or "tracepoint/CAT/NAME": does CAT/NAME exist in tracefs? */
static bool tracepoint_exists(const char *catname)
{
	char path[512];

	snprintf(path, sizeof(path), TRACEFS "/events/%s", catname);
	return !access(path, F_OK);
}

static const char *after(const char *sec, const char *a, const char *b)
{
	if (starts_with(sec, a))
		return sec + strlen(a);
	if (b && starts_with(sec, b))
		return sec + strlen(b);
	return NULL;
}

/* What the kernel lacks for @prog to attach, in @why; returns the error, or 0 when nothing. */
static int attach_reason(struct bpf_program *prog, char *why, size_t n)
{
	const char *sec = bpf_program__section_name(prog), *name = bpf_program__name(prog);
	enum bpf_prog_type pt = bpf_program__type(prog);
	const char *target;
	char path[256];

	if ((target = after(sec, "tp/", "tracepoint/"))) {
		if (!tracefs_mounted()) {
			snprintf(why, n,
				 "tracefs is not mounted, and tracepoint programs such as %s() (section '%s') need it: mount -t tracefs tracefs " TRACEFS,
				 name, sec);
			return -ENOENT;
		}
		if (!tracepoint_exists(target)) {
			snprintf(why, n, "this kernel has no tracepoint %s (program %s(), section '%s')",
				 target, name, sec);
			return -EMF_ERRNO__NOFEAT;
		}
	}
	if ((target = after(sec, "raw_tp/", "raw_tracepoint/")) &&
	    !kernel_has_btf("btf_trace_", target, BTF_KIND_TYPEDEF) &&
	    !(tracefs_mounted() && tracepoint_exists(target))) {
		snprintf(why, n, "this kernel has no tracepoint %s (program %s(), section '%s')",
			 target, name, sec);
		return -EMF_ERRNO__NOFEAT;
	}
	if (pt == BPF_PROG_TYPE_KPROBE &&
	    (starts_with(sec, "kprobe") || starts_with(sec, "kretprobe") ||
	     starts_with(sec, "ksyscall") || starts_with(sec, "kretsyscall")) &&
	    access("/sys/bus/event_source/devices/kprobe/type", F_OK) &&
	    access(TRACEFS "/kprobe_events", F_OK)) {
		snprintf(why, n,
			 "this kernel has no kprobe support (program %s(), section '%s'); use a tracepoint instead (tp/, raw_tp/ or tp_btf/)",
			 name, sec);
		return -EMF_ERRNO__NOFEAT;
	}
	/* "uprobe//bin/bash:readline": the binary must be there. */
	if ((target = after(sec, "uprobe/", "uretprobe/")) && target[0] == '/') {
		snprintf(path, sizeof(path), "%.*s", (int)strcspn(target, ":"), target);
		if (access(path, F_OK)) {
			snprintf(why, n,
				 "its uprobe target %s does not exist on this machine (program %s(), section '%s')",
				 path, name, sec);
			return -ENOENT;
		}
	}
	return 0;
}

/*
 * An fentry, fexit or fmod_ret program the kernel would not attach: the
 * function it was to attach to (the host's target, or its section's) and
 * why, in @why; returns @err, or 0 for another kind of program.
 */
static int trace_attach_reason(struct emf_plugin *p, struct bpf_program *prog, int err, char *why,
			       size_t n)
{
	enum bpf_attach_type at = bpf_program__expected_attach_type(prog);
	const char *sec = bpf_program__section_name(prog), *name = bpf_program__name(prog);
	const char *target = emf__attach_target_of(p, name);

	if (bpf_program__type(prog) != BPF_PROG_TYPE_TRACING ||
	    (at != BPF_TRACE_FENTRY && at != BPF_TRACE_FEXIT && at != BPF_MODIFY_RETURN))
		return 0;
	if (!target)
		target = strchr(sec, '/') ? strchr(sec, '/') + 1 : sec;
	snprintf(why, n, "%.*s program %s() cannot attach to %s: %s%s", (int)strcspn(sec, "/"), sec,
		 name, target, emf_strerror(err),
		 emf__kfunc_traceable(target) == 0 ?
			 " (it is not in available_filter_functions: this kernel cannot trace it)" :
			 "");
	return err;
}

/* What the kernel lacks for @prog to load, in @why; returns the error, or 0 when nothing. */
static int load_reason(const struct emf__kernel_ops *k, struct bpf_program *prog, int err,
		       const char *captured, char *why, size_t n)
{
	enum bpf_attach_type at = bpf_program__expected_attach_type(prog);
	enum bpf_prog_type pt = bpf_program__type(prog);
	const char *sec = bpf_program__section_name(prog), *name = bpf_program__name(prog);
	const char *target;

	if (pt == BPF_PROG_TYPE_UNSPEC && captured && strstr(captured, "missing BPF prog type")) {
		snprintf(
			why, n,
			"libbpf %s does not know section '%s' of program %s(), so it cannot tell what kind of program it is; give it a section libbpf knows (libbpf's \"Program Types and ELF Sections\" lists them)",
			libbpf_version_string(), sec, name);
		return -EMF_ERRNO__NOFEAT;
	}
	if (((pt == BPF_PROG_TYPE_TRACING &&
	      (at == BPF_TRACE_FENTRY || at == BPF_TRACE_FEXIT || at == BPF_MODIFY_RETURN)) ||
	     pt == BPF_PROG_TYPE_LSM || pt == BPF_PROG_TYPE_EXT) &&
	    (err == -EPERM || err == -EINVAL || err == -EOPNOTSUPP || err == -524)) {
		snprintf(why, n,
			 "this kernel refuses %s programs (program %s(), section '%s'); use a tracepoint instead (tp/, raw_tp/ or tp_btf/)",
			 pt == BPF_PROG_TYPE_LSM ? "LSM" :
			 pt == BPF_PROG_TYPE_EXT ? "freplace" :
						   "fentry/fexit/fmod_ret",
			 name, sec);
		return -EMF_ERRNO__NOFEAT;
	}
	if (captured && strstr(captured, "failed to find kernel BTF type ID of '")) {
		if ((target = after(sec, "tp_btf/", NULL)))
			snprintf(why, n, "this kernel has no tracepoint %s (program %s(), section '%s')",
				 target, name, sec);
		else
			snprintf(why, n,
				 "this kernel has no function or hook '%s' in its BTF (program %s())",
				 strchr(sec, '/') ? strchr(sec, '/') + 1 : sec, name);
		return -EMF_ERRNO__NOFEAT;
	}
	if (pt != BPF_PROG_TYPE_UNSPEC && k->prog_type_probe(pt) == 0) {
		snprintf(why, n,
			 "this kernel does not support BPF programs of type %s (program %s(), section '%s')",
			 libbpf_bpf_prog_type_str(pt) ?: "?", name, sec);
		return -EMF_ERRNO__NOFEAT;
	}
	return 0;
}

int emf__explain(struct emf_plugin *p, enum emf_step step, int err, char *why, size_t n,
		 char *tail, size_t tn)
{
	struct bpf_object *obj = emf_plugin__object(p);
	const char *captured = p->libbpf_log.buf;
	char pname[128] = "", reason[512], where[128], line[512];
	struct bpf_program *prog, *failed;
	int e;

	why[0] = tail[0] = '\0';
	failed = named_prog(obj, captured, pname, sizeof(pname));
	if (step == EMF_STEP_LOAD && p->log_buf && p->log_buf[0]) {
		emf__verifier_reason(p->log_buf, reason, sizeof(reason), where, sizeof(where));
		snprintf(why, n, "the kernel verifier rejected program %s(): %s%s%s%s",
			 pname[0] ? pname : "?", reason, where[0] ? " (at " : "", where,
			 where[0] ? ")" : "");
		snprintf(tail, tn, "%s", emf__log_tail(p->log_buf, EMF_VERIFIER_TAIL_LINES));
		return err == -EACCES || err == -EINVAL ? -EMF_ERRNO__VERIFY : err;
	}
	if (obj && step == EMF_STEP_LOAD && map_reason(obj, captured, err, why, n))
		return err;
	if (obj && (step == EMF_STEP_LOAD || step == EMF_STEP_ATTACH)) {
		/*
		 * The program libbpf names; only when it names none, every
		 * program that was to run (another's reason would mislead).
		 */
		if (failed && bpf_program__autoload(failed)) {
			e = step == EMF_STEP_LOAD ?
				    load_reason(p->rt->kernel, failed, err, captured, why, n) :
				    attach_reason(failed, why, n);
			if (!e && step == EMF_STEP_ATTACH)
				e = trace_attach_reason(p, failed, err, why, n);
			if (e)
				return e;
		}
		bpf_object__for_each_program(prog, obj) {
			if (failed)
				break;
			if (!bpf_program__autoload(prog) || prog == failed ||
			    (step == EMF_STEP_ATTACH && !bpf_program__autoattach(prog)))
				continue;
			e = step == EMF_STEP_LOAD ?
				    load_reason(p->rt->kernel, prog, err, captured, why, n) :
				    attach_reason(prog, why, n);
			if (e)
				return e;
		}
	}
	if (libbpf_reason(captured, line, sizeof(line)))
		snprintf(why, n, "%s (%s)", emf_strerror(err), line);
	return err;
}
