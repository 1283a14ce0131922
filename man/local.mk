# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
dist_man1_MANS = \
	man/emf-agent.1 \
	man/emf-codegen.1 \
	man/emf-ctl.1 \
	man/emf-new.1 \
	$(NULL)
dist_man3_MANS = man/libemfsdk.3
