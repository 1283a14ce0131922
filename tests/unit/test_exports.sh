#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The global symbols of libemfsdk.a are exactly its public API plus hidden
# private ones, so it links into any host without clashing with the host's
# names and exports nothing private from a program or plugin built with it:
#   - a symbol declared in a public header (sdk/include/emf/*.h) is defined with
#     default visibility;
#   - every other global symbol is named emf__* and hidden;
#   - every function a public header declares is defined.
: "${top_builddir:=.}"
: "${top_srcdir:=.}"
lib="$top_builddir/sdk/libemfsdk.a"
[ -f "$lib" ] || { echo "FAIL: $lib not built"; exit 1; }
command -v readelf > /dev/null || { echo "SKIP: readelf (binutils) is not installed"; exit 77; }
failed=0
fail() {
	echo "FAIL: $*"
	failed=$((failed + 1))
}

# Names the public host headers declare (the *.bpf.h ones are for BPF code):
# NAME followed by "(", comments removed first.
hdrs=$(ls "$top_srcdir"/sdk/include/emf/*.h | grep -v '\.bpf\.h$')
# shellcheck disable=SC2086
declared=$(cat $hdrs | sed -e 's://.*$::' |
	awk 'BEGIN { RS = "/\\*"; ORS = "" } NR == 1 { print; next } { sub(/^([^*]|\*+[^*\/])*\*+\//, ""); print }' |
	grep -oE '\bemf_[a-z0-9_]+ *\(' | tr -d ' (' | sort -u)

# "NAME VIS" for every defined global of the archive.
readelf -sW "$lib" 2> /dev/null |
	awk '$5 == "GLOBAL" && $7 != "UND" && $4 != "FILE" && NF >= 8 { print $8, $6 }' |
	sort -u > "${TMPDIR:-/tmp}/emf-exports.$$"
trap 'rm -f "${TMPDIR:-/tmp}/emf-exports.$$"' EXIT
pub=0 priv=0
while read -r name vis; do
	# AddressSanitizer adds an __odr_asan.NAME indicator beside each global it instruments.
	[[ "$name" == __odr_asan.* ]] && continue
	if grep -qx -- "$name" <<< "$declared"; then
		[ "$vis" = DEFAULT ] || fail "public $name is $vis, want DEFAULT"
		pub=$((pub + 1))
	elif [[ "$name" == emf__* ]]; then
		[ "$vis" = HIDDEN ] || fail "private $name is $vis: declare it in an *_internal.h (hidden)"
		priv=$((priv + 1))
	else
		fail "global $name ($vis) is neither declared in a public header nor named emf__*"
	fi
done < "${TMPDIR:-/tmp}/emf-exports.$$"

# Declared but not defined: the public list has a hole.
defined=$(awk '{ print $1 }' "${TMPDIR:-/tmp}/emf-exports.$$")
for name in $declared; do
	grep -qx -- "$name" <<< "$defined" && continue
	# Function-pointer typedefs and inline helpers of the headers are not symbols.
	# shellcheck disable=SC2086
	grep -qhE "typedef[^;]*\(\*$name\)|static inline[^;]*\b$name\(" $hdrs && continue
	fail "$name is declared in a public header but libemfsdk.a does not define it"
done

[ "$failed" = 0 ] || { echo "FAIL: $failed problems"; exit 1; }
echo "PASS: libemfsdk.a exports its $pub public symbols and hides its $priv private ones"
