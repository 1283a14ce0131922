// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * xdpdispatch's C side: XDP programs attach to an interface, which the
 * skeleton cannot guess. The attach hook attaches xdpdispatch_rx to the
 * interface the ifname option names (an XDP link: it goes when the link is
 * destroyed, or with the process); with no ifname it attaches nothing and
 * says so, and the plugin stays loaded, its slots usable by other callers.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <bpf/libbpf.h>

#include <emf/errno.h>
#include <emf/log.h>
#include <emf/runtime.h>

#include "xdpdispatch.emf.h"

static struct bpf_link *xdp_link;

/* The ifname option as the plugin loaded it, from its read-only data. */
static void option_ifname(struct emf_plugin *p, char *buf, size_t n)
{
	const struct emf_option *o = emf_plugin__option(p, "ifname");
	struct bpf_map *ro = bpf_object__find_map_by_name(emf_plugin__object(p), ".rodata");
	const char *data;
	size_t size;

	buf[0] = '\0';
	data = ro && o ? bpf_map__initial_value(ro, &size) : NULL;
	if (data && o->offset + o->size <= size)
		snprintf(buf, n, "%.*s", (int)o->size, data + o->offset);
}

static int xdpdispatch_attach(struct emf_plugin *p)
{
	struct bpf_program *prog =
		bpf_object__find_program_by_name(emf_plugin__object(p), "xdpdispatch_rx");
	char ifname[IF_NAMESIZE + 1];
	unsigned int ifindex;
	int err;

	option_ifname(p, ifname, sizeof(ifname));
	if (!ifname[0]) {
		fprintf(stderr, "xdpdispatch: no interface given (--arg xdpdispatch.ifname=IF): loaded, attached to none\n");
		return 0;
	}
	ifindex = if_nametoindex(ifname);
	if (!ifindex) {
		err = -errno;
		fprintf(stderr, "xdpdispatch: no interface '%s' in this network namespace: %s\n",
			ifname, emf_strerror(err));
		return err;
	}
	if (!prog)
		return -ENOENT;
	xdp_link = bpf_program__attach_xdp(prog, ifindex);
	if (!xdp_link) {
		err = -errno;
		fprintf(stderr, "xdpdispatch: failed to attach XDP to %s: %s\n", ifname,
			emf_strerror(err));
		return err;
	}
	return 0;
}

static void xdpdispatch_detach(struct emf_plugin *p)
{
	bpf_link__destroy(xdp_link);
	xdp_link = NULL;
}

const struct emf_plugin_hooks xdpdispatch__hooks = {
	.attach = xdpdispatch_attach,
	.detach = xdpdispatch_detach,
};
