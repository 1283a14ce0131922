// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * netcount's C side: user hooks around its lifecycle (struct emf_plugin_hooks).
 * An XDP program attaches to a network interface, which the skeleton's attach
 * step cannot know: the attach hook attaches netcount_xdp to the interface
 * named by option ifname and keeps the link; the detach hook destroys it
 * before the program goes. With no interface given, nothing is attached and
 * the plugin says so once, so that running every bundled plugin still works.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <bpf/libbpf.h>

#include <emf/runtime.h>

#include "netcount.emf.h"

/* The XDP link; a program holds one runtime's plugin at a time. */
static struct bpf_link *xdp_link;

/*
 * The value of option ifname: what the SDK wrote into the plugin's .rodata
 * before load (the attach hook runs after it).
 */
static int read_ifname(struct emf_plugin *plugin, char *buf, size_t len)
{
	const struct emf_option *opt = emf_plugin__option(plugin, "ifname");
	struct bpf_map *rodata =
		bpf_object__find_map_by_name(emf_plugin__object(plugin), ".rodata");
	size_t sz = 0;
	const char *ro = rodata ? bpf_map__initial_value(rodata, &sz) : NULL;

	if (!opt || !ro || opt->offset + opt->size > sz)
		return -ENOENT;
	snprintf(buf, len, "%.*s", (int)opt->size, ro + opt->offset);
	return 0;
}

static int netcount_attach(struct emf_plugin *plugin)
{
	struct bpf_program *prog;
	char ifname[IF_NAMESIZE];
	unsigned int ifindex;
	int err;

	prog = bpf_object__find_program_by_name(emf_plugin__object(plugin), "netcount_xdp");
	err = read_ifname(plugin, ifname, sizeof(ifname));
	if (!prog || err) {
		fprintf(stderr,
			"netcount: the plugin has no program netcount_xdp or no option ifname; rebuild it with emf-codegen\n");
		return -ENOENT;
	}
	if (!ifname[0]) {
		fprintf(stderr,
			"netcount: no interface given, counting nothing; choose one with --arg netcount.ifname=NAME\n");
		return 0;
	}
	ifindex = if_nametoindex(ifname);
	if (!ifindex) {
		err = -errno;
		fprintf(stderr,
			"netcount: no network interface '%s': %s; choose one with --arg netcount.ifname=NAME\n",
			ifname, strerror(errno));
		return err;
	}
	xdp_link = bpf_program__attach_xdp(prog, ifindex);
	if (!xdp_link) {
		err = -errno;
		if (err == -EBUSY)
			fprintf(stderr,
				"netcount: failed to attach XDP to %s: another XDP program is attached to it (see ip link show dev %s)\n",
				ifname, ifname);
		else
			fprintf(stderr, "netcount: failed to attach XDP to %s (ifindex %u): %s\n",
				ifname, ifindex, strerror(-err));
		return err;
	}
	return 0;
}

static void netcount_detach(struct emf_plugin *plugin)
{
	bpf_link__destroy(xdp_link);
	xdp_link = NULL;
}

/* The generated descriptor finds the hooks by this name. */
const struct emf_plugin_hooks netcount__hooks = {
	.attach = netcount_attach,
	.detach = netcount_detach,
};
