// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Attachments the skeleton cannot make, and programs that got none.
 *
 * bpf_object__attach_skeleton() attaches what libbpf knows from the section
 * name alone and silently skips the rest: a SEC("tc"), SEC("cgroup_skb/...")
 * or bare SEC("uprobe") program loads and then does nothing. After the
 * skeleton's attach, every loaded program that got no link is reported with
 * what would attach it, as a warning, or as the failure of its plugin's
 * attach step when the host asked for that (idle_fails of the runtime's
 * options).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <emf/errno.h>

#include "log_internal.h"
#include "runtime_internal.h"

/*
 * The links bpf_object__attach_skeleton() made. Every skeleton bpftool
 * generates starts with its struct bpf_object_skeleton pointer, the one the
 * generated attach and detach functions pass to libbpf; only a plugin with a
 * libbpf object has one, and it names that object.
 */
static struct bpf_link *skel_link(const struct emf_plugin *p, const struct bpf_program *prog)
{
	struct bpf_object *obj = emf_plugin__object(p);
	const struct bpf_object_skeleton *s =
		obj && p->skel ? *(struct bpf_object_skeleton **)p->skel : NULL;
	int i;

	if (!s || !s->obj || *s->obj != obj)
		return NULL;
	for (i = 0; i < s->prog_cnt; i++)
		if (*s->progs[i].prog == prog)
			return *s->progs[i].link;
	return NULL;
}

/* Is the program with id @id in one of the object's prog arrays (a tail-call target)? */
static bool in_prog_array(struct bpf_object *obj, __u32 id)
{
	struct bpf_map *m;

	bpf_object__for_each_map(m, obj) {
		__u32 key, val;

		if (bpf_map__type(m) != BPF_MAP_TYPE_PROG_ARRAY || bpf_map__fd(m) < 0)
			continue;
		for (key = 0; key < bpf_map__max_entries(m); key++)
			if (!bpf_map_lookup_elem(bpf_map__fd(m), &key, &val) && val == id)
				return true;
	}
	return false;
}

static __u32 prog_id(const struct bpf_program *prog)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len))
		return 0;
	return info.id;
}

/* What would attach @prog, for the message about a program that got nothing. */
static const char *idle_hint(const struct bpf_program *prog)
{
	switch (bpf_program__type(prog)) {
	case BPF_PROG_TYPE_STRUCT_OPS:
		return "struct_ops programs run once their struct_ops map is registered, which the SDK does not do; register it in the plugin's attach hook (bpf_map__attach_struct_ops())";
	case BPF_PROG_TYPE_KPROBE:
		return "a uprobe or USDT program needs a binary and a function or probe: name them in the section (uprobe/BINARY:FUNCTION) or declare EMF_ATTACH_UPROBE() or EMF_ATTACH_USDT() of <emf/attach.bpf.h>";
	default:
		return "its section names no target libbpf can attach to; declare one with EMF_ATTACH_*() of <emf/attach.bpf.h>, or attach it in the plugin's attach hook";
	}
}

int emf__attach_check_idle(struct emf_runtime *rt, struct emf_plugin *p)
{
	struct bpf_object *obj = emf_plugin__object(p);
	const struct emf_plugin_hooks *h = p->desc->hooks;
	struct bpf_program *prog;
	int idle = 0;

	if (!obj)
		return 0;
	bpf_object__for_each_program(prog, obj) {
		if (!bpf_program__autoload(prog) || !bpf_program__autoattach(prog) ||
		    skel_link(p, prog))
			continue;
		if (in_prog_array(obj, prog_id(prog)))
			continue;
		/* The plugin's own C code may attach it: say so, quietly. */
		if (h && h->attach) {
			pr_info("runtime: plugin '%s': program %s (section %s) got no attachment from the SDK; its attach hook is expected to attach it\n",
				p->desc->name, bpf_program__name(prog), bpf_program__section_name(prog));
			continue;
		}
		idle++;
		snprintf(rt->errmsg, sizeof(rt->errmsg),
			 "plugin '%s': program %s (section %s) is loaded but attached nowhere, so it will never run: %s",
			 p->desc->name, bpf_program__name(prog), bpf_program__section_name(prog),
			 idle_hint(prog));
		pr_warn("runtime: %s%s\n", rt->idle_fails ? "" : "warning: ", rt->errmsg);
	}
	if (idle && rt->idle_fails) {
		p->step_err = -EMF_ERRNO__IDLE;
		free(p->last_error);
		p->last_error = strdup(rt->errmsg);
		return p->step_err;
	}
	return 0;
}
