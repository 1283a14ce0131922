#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# libemfsdk.a defines no global symbol outside the emf_ namespace, so it links into
# any host without clashing with the host's own names.
: "${top_builddir:=.}"
lib="$top_builddir/sdk/libemfsdk.a"
[ -f "$lib" ] || { echo "FAIL: $lib not built"; exit 1; }
command -v nm > /dev/null || { echo "SKIP: nm (binutils) is not installed"; exit 77; }
bad=$(nm -g --defined-only "$lib" | awk 'NF == 3 { print $3 }' | grep -v '^emf_' | sort -u)
if [ -n "$bad" ]; then
	echo "FAIL: global symbols outside emf_*: $(echo $bad)"
	exit 1
fi
n=$(nm -g --defined-only "$lib" | awk 'NF == 3' | wc -l)
echo "PASS: all $n global symbols of libemfsdk.a start with emf_"
