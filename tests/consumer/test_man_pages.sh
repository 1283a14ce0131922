#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The man pages of the installed commands keep up with them: every long
# option a command's --help lists is described in its man page, and each page
# formats without warnings.
set -u
: "${top_builddir:=.}"
: "${top_srcdir:=.}"
failed=0
fail() {
	echo "FAIL: $*"
	failed=$((failed + 1))
}

for tool in codegen/emf-codegen apps/emf-agent apps/emf-ctl templates/emf-new; do
	name=${tool##*/}
	page="$top_srcdir/man/$name.1"
	[ -r "$page" ] || { fail "no man page $page for $name"; continue; }
	help=$("$top_builddir/$tool" --help) || { fail "$name --help failed"; continue; }
	# roff writes "--json" as "\-\-json".
	text=$(sed -e 's/\\-/-/g' "$page")
	n=0
	for opt in $(grep -oE -- '--[a-z][a-z0-9-]*' <<< "$help" | sort -u); do
		n=$((n + 1))
		grep -qE -- "(^|[^a-z0-9-])$opt([^a-z0-9-]|\$)" <<< "$text" ||
			fail "$name --help lists $opt, which man/$name.1 does not describe"
	done
	if command -v groff > /dev/null; then
		warn=$(groff -man -Tutf8 -ww -z "$page" 2>&1)
		[ -z "$warn" ] || fail "man/$name.1 formats with warnings: $warn"
	fi
	echo "ok: man/$name.1 describes the $n long options of $name --help"
done

# The library's page: the runtime, bus and slot APIs it describes exist.
page="$top_srcdir/man/libemfsdk.3"
if command -v groff > /dev/null; then
	warn=$(groff -man -Tutf8 -ww -z "$page" 2>&1)
	[ -z "$warn" ] || fail "man/libemfsdk.3 formats with warnings: $warn"
fi
n=0
for fn in $(sed -e 's/\\-/-/g' "$page" | grep -oE 'emf_[a-z0-9_]+__[a-z0-9_]+ *\(' | tr -d ' (' | sort -u); do
	n=$((n + 1))
	grep -qE "[ *]$fn\(" "$top_srcdir"/sdk/include/emf/*.h ||
		fail "man/libemfsdk.3 names $fn(), which no public header declares"
done
echo "ok: man/libemfsdk.3 names $n functions, each declared in a public header"

[ "$failed" = 0 ] || { echo "FAIL: $failed checks failed"; exit 1; }
echo "PASS: man pages match the commands' options"
