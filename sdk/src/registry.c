// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Static plugin registry. Each generated plugin places a pointer to its
 * descriptor in the emf_plugins section (EMF_PLUGIN_REGISTER); the linker
 * gathers them into one array bounded by __start_/__stop_ symbols, so a host
 * needs no list of its plugins. The array is read-only: nothing to lock.
 */
#include <errno.h>
#include <string.h>

#include <emf/errno.h>
#include <emf/plugin.h>

#include "log_internal.h"

/* Weak: a program with no plugin linked in has no such section. */
extern const struct emf_plugin_desc *const __start_emf_plugins[]
	__attribute__((weak, visibility("hidden")));
extern const struct emf_plugin_desc *const __stop_emf_plugins[]
	__attribute__((weak, visibility("hidden")));

const struct emf_plugin_desc *const *emf_static_plugins(size_t *cnt)
{
	const struct emf_plugin_desc *const *start = __start_emf_plugins;
	const struct emf_plugin_desc *const *stop = __stop_emf_plugins;

	if (!start || stop <= start) {
		*cnt = 0;
		return NULL;
	}
	*cnt = stop - start;
	return start;
}

/* Are the bytes of @desc from @from to @to all zero? */
static bool zero_tail(const struct emf_plugin_desc *desc, size_t from, size_t to)
{
	const unsigned char *b = (const unsigned char *)desc;

	/* A size past any sane descriptor is not a descriptor. */
	if (to > 4096)
		return false;
	for (; from < to; from++)
		if (b[from])
			return false;
	return true;
}

int emf_plugin_desc__check(const struct emf_plugin_desc *desc, const char *origin)
{
	const char *name;

	if (!desc)
		return emf_err(-EINVAL);
	if (desc->abi_version != EMF_PLUGIN_ABI_VERSION) {
		pr_warn("registry: refusing plugin from %s: built for ABI version %u, this SDK has %u; rebuild it against this SDK\n",
			origin ?: "the program", desc->abi_version, EMF_PLUGIN_ABI_VERSION);
		return emf_err(-EMF_ERRNO__ABI);
	}
	/*
	 * A descriptor from a newer build of this ABI may be longer: the fields
	 * it appends are unknown here, so they must be unused (zero).
	 */
	if (desc->desc_size > sizeof(*desc) &&
	    !zero_tail(desc, sizeof(*desc), desc->desc_size)) {
		pr_warn("registry: refusing plugin from %s: it uses descriptor fields this SDK does not know (built against a newer SDK); rebuild it against this SDK\n",
			origin ?: "the program");
		return emf_err(-EMF_ERRNO__ABI);
	}
	name = desc->name;
	/* Options are read as an array of this SDK's struct emf_option. */
	if (desc->desc_size >= sizeof(*desc) && desc->n_options &&
	    desc->option_size != sizeof(struct emf_option)) {
		pr_warn("registry: refusing plugin '%s' from %s: its options are %u bytes each, this SDK's %zu; rebuild it against this SDK\n",
			name ?: "(unnamed)", origin ?: "the program", desc->option_size,
			sizeof(struct emf_option));
		return emf_err(-EMF_ERRNO__ABI);
	}
	if (desc->desc_size < sizeof(*desc) || !name || !name[0] || !desc->ops ||
	    !desc->ops->open || !desc->ops->load || !desc->ops->attach || !desc->ops->destroy ||
	    (desc->n_outputs && !desc->outputs)) {
		pr_warn("registry: refusing plugin '%s' from %s: incomplete descriptor\n",
			name ?: "(unnamed)", origin ?: "the program");
		return emf_err(-EMF_ERRNO__NOTPLUGIN);
	}
	return 0;
}
