# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Every directory under plugins/ holding NAME/NAME.bpf.c is a bundled plugin: dropping one
# in is all it takes to build it into libemfplugins.a and so into emf-agent.
EMF_PLUGINS = $(sort $(patsubst $(srcdir)/plugins/%/,%,$(dir $(wildcard $(srcdir)/plugins/*/*.bpf.c))))
EMF_PLUGIN_OBJS = $(foreach p,$(EMF_PLUGINS),plugins/$(p)/$(p).emf.o) $(EMF_PLUGIN_HOOKS)
# A plugin's optional C side, NAME.hooks.c (user hooks: see struct emf_plugin_hooks).
EMF_PLUGIN_HOOKS = $(patsubst $(srcdir)/%.c,%.o,$(wildcard $(srcdir)/plugins/*/*.hooks.c))
EMF_PLUGIN_GEN = $(foreach p,$(EMF_PLUGINS),$(addprefix plugins/$(p)/$(p),.emf.c .emf.h .skel.h .bpf.o .emf.o))

plugins/libemfplugins.a: $(EMF_PLUGIN_OBJS)
	$(AM_V_AR)rm -f $@ && $(AR) cr $@ $(EMF_PLUGIN_OBJS) && $(RANLIB) $@

# Static archives drop objects nothing references; the registry is found through a
# linker section, so link the plugins whole.
EMF_STATIC_PLUGINS = -Wl,--whole-archive plugins/libemfplugins.a -Wl,--no-whole-archive

all-local: plugins/libemfplugins.a
CLEANFILES += plugins/libemfplugins.a $(EMF_PLUGIN_GEN) $(EMF_PLUGIN_HOOKS)
EXTRA_DIST += $(patsubst $(srcdir)/%,%,$(filter-out %.emf.h %.skel.h,$(wildcard $(srcdir)/plugins/*/*.bpf.c $(srcdir)/plugins/*/*.h $(srcdir)/plugins/*/*.hooks.c)))
# Generated sources are worth keeping: they are what users read to see what codegen does
# (and tests build plugins through chains of pattern rules).
.SECONDARY:
