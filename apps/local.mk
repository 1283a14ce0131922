# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
bin_PROGRAMS += apps/emf-agent

apps_emf_agent_SOURCES = \
	apps/agent.h \
	apps/agent_apply.c \
	apps/agent_args.c \
	apps/agent_dyn.c \
	apps/agent_fields.c \
	apps/agent_metrics.c \
	apps/agent_out.c \
	apps/agent_printk.c \
	apps/emf-agent.c \
	$(NULL)
# The default plugin directory emf-agent runs *.so from; make install creates it.
emfpluginsdir = $(libdir)/emf/plugins
apps_emf_agent_CPPFLAGS = $(AM_CPPFLAGS) -DEMF_PLUGIN_DIR='"$(emfpluginsdir)"'
install-exec-hook:
	$(MKDIR_P) '$(DESTDIR)$(emfpluginsdir)'
apps_emf_agent_CFLAGS = $(AM_CFLAGS) $(LIBBPF_CFLAGS) $(JANSSON_CFLAGS)
# -rdynamic: dynamic plugins use the SDK linked into the agent.
apps_emf_agent_LDFLAGS = $(AM_LDFLAGS) -rdynamic $(EMF_STATIC_PLUGINS)
apps_emf_agent_LDADD = sdk/libemfsdk.a $(EMF_SDK_LIBS)
EXTRA_apps_emf_agent_DEPENDENCIES = plugins/libemfplugins.a

# emf-ctl: the control socket's command-line client, installed with the SDK.
bin_PROGRAMS += apps/emf-ctl
apps_emf_ctl_SOURCES = apps/emf-ctl.c
apps_emf_ctl_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
apps_emf_ctl_LDADD = sdk/libemfsdk.a $(EMF_SDK_LIBS)
