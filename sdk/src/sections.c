// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Sections newer than the system's libbpf: libbpf learns a section name in
 * the release that adds its program kind, and opens a program with a name it
 * does not know as one of no type, which then fails to load ("missing BPF
 * prog type"). Programs written for a newer libbpf name such sections, and the
 * kernel may well run them: for the ones listed here, the runtime sets the
 * type and attach type libbpf would have set, right after open.
 */
#include <string.h>
#include <bpf/libbpf.h>

#include "log_internal.h"
#include "runtime_internal.h"

static const struct {
	const char *sec;
	enum bpf_prog_type type;
	enum bpf_attach_type attach;
} newer_sections[] = {
	/* libbpf 1.2: an skb verdict program of a sockmap (Linux 5.13) */
	{ "sk_skb/verdict", BPF_PROG_TYPE_SK_SKB, BPF_SK_SKB_VERDICT },
};

void emf__sections_fix(struct emf_plugin *p)
{
	struct bpf_object *obj = emf_plugin__object(p);
	struct bpf_program *prog;
	size_t i;

	if (!obj) /* a plugin with no BPF object (unit tests' fakes) */
		return;
	bpf_object__for_each_program(prog, obj) {
		if (bpf_program__type(prog) != BPF_PROG_TYPE_UNSPEC)
			continue;
		for (i = 0; i < sizeof(newer_sections) / sizeof(newer_sections[0]); i++) {
			if (strcmp(bpf_program__section_name(prog), newer_sections[i].sec))
				continue;
			bpf_program__set_type(prog, newer_sections[i].type);
			bpf_program__set_expected_attach_type(prog, newer_sections[i].attach);
			pr_debug(
				"runtime: plugin '%s': program %s: section %s, which this libbpf does not know, loads as %s\n",
				p->desc->name, bpf_program__name(prog), newer_sections[i].sec,
				libbpf_bpf_prog_type_str(newer_sections[i].type));
		}
	}
}
