# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
pkgconfigdir = $(libdir)/pkgconfig
pkgconfig_DATA = pkgconfig/libemfsdk.pc
# libemfsdk-uninstalled.pc (build tree only) lets tests build against the SDK uninstalled.
EXTRA_DIST += pkgconfig/libemfsdk.pc.in pkgconfig/libemfsdk-uninstalled.pc.in
