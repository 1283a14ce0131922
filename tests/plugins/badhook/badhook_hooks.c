// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The user hooks of the badhook test plugin: its attach hook fails. */
#include <errno.h>

#include <emf/runtime.h>

static int badhook_attach(struct emf_plugin *plugin)
{
	(void)plugin;
	return -EIO;
}

const struct emf_plugin_hooks badhook__hooks = {
	.attach = badhook_attach,
};
