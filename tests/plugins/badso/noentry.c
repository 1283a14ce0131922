// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* A shared object without emf_plugin_entry: emf-agent refuses it. */
int emf_badso_noentry;
