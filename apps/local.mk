# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
bin_PROGRAMS += apps/emf-agent

apps_emf_agent_SOURCES = apps/emf-agent.c
apps_emf_agent_CFLAGS = $(AM_CFLAGS) $(LIBBPF_CFLAGS) $(JANSSON_CFLAGS)
apps_emf_agent_LDFLAGS = $(AM_LDFLAGS) $(EMF_STATIC_PLUGINS)
apps_emf_agent_LDADD = sdk/libemfsdk.a $(EMF_SDK_LIBS)
EXTRA_apps_emf_agent_DEPENDENCIES = plugins/libemfplugins.a
