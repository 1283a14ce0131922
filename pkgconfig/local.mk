# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
pkgconfigdir = $(libdir)/pkgconfig
pkgconfig_DATA = pkgconfig/libemfsdk.pc
EXTRA_DIST += pkgconfig/libemfsdk.pc.in
