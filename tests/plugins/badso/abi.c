// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* A plugin built for an ABI version emf does not know: emf-agent refuses it. */
#include <emf/plugin.h>

static const struct emf_plugin_ops ops;
static const struct emf_plugin_desc d = { .abi_version = 999, .desc_size = sizeof(d),
					  .name = "abi", .ops = &ops };
EMF_PLUGIN_ENTRY(d);
