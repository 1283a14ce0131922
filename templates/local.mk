# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# emf-new and the templates it writes plugins and agents from.
bin_SCRIPTS += templates/emf-new

emftemplatesdir = $(pkgdatadir)/templates
emftpl_plugindir = $(emftemplatesdir)/plugin
dist_emftpl_plugin_DATA = \
	templates/plugin/Makefile.tmpl \
	templates/plugin/README.md.tmpl \
	templates/plugin/event.h.tmpl \
	templates/plugin/hooks.c.tmpl \
	$(NULL)
emftpl_hooksdir = $(emftpl_plugindir)/hooks
dist_emftpl_hooks_DATA = \
	templates/plugin/hooks/fentry.bpf.c.tmpl \
	templates/plugin/hooks/kprobe.bpf.c.tmpl \
	templates/plugin/hooks/raw_tp.bpf.c.tmpl \
	templates/plugin/hooks/tc.bpf.c.tmpl \
	templates/plugin/hooks/tc.h.tmpl \
	templates/plugin/hooks/tp_btf.bpf.c.tmpl \
	templates/plugin/hooks/tracepoint.bpf.c.tmpl \
	templates/plugin/hooks/uprobe.bpf.c.tmpl \
	templates/plugin/hooks/xdp.bpf.c.tmpl \
	templates/plugin/hooks/xdp.h.tmpl \
	$(NULL)
emftpl_agentdir = $(emftemplatesdir)/agent
dist_emftpl_agent_DATA = \
	templates/agent/Makefile.tmpl \
	templates/agent/README.md.tmpl \
	templates/agent/agent.c.tmpl \
	$(NULL)

# Installation directories and the bundled plugins' names are filled in at make
# time; the script is rewritten only when they change, as plugins come and go.
templates/emf-new: $(srcdir)/templates/emf-new.in emf-new-always
	@$(MKDIR_P) $(@D)
	@sed -e 's|@PACKAGE_VERSION[@]|$(PACKAGE_VERSION)|g' \
		-e 's|@emftemplatesdir[@]|$(emftemplatesdir)|g' \
		-e 's|@EMF_BUNDLED_PLUGINS[@]|$(EMF_PLUGINS)|g' \
		$(srcdir)/templates/emf-new.in > $@.tmp && chmod +x $@.tmp && \
	if cmp -s $@.tmp $@; then rm -f $@.tmp; else echo "  GEN      $@"; mv -f $@.tmp $@; fi
emf-new-always:
.PHONY: emf-new-always
CLEANFILES += templates/emf-new templates/emf-new.tmp
EXTRA_DIST += templates/emf-new.in
