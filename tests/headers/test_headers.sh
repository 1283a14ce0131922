#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Every installed public header stands alone: it compiles as the only include
# of a C file and of a C++ file (twice, for its include guard), every <emf/...>
# header it includes is installed too, and the emf_* functions it declares
# link from C++ against libemfsdk.a, which proves their extern "C" and that
# the library defines them. <emf/emf.bpf.h> compiles alone for the BPF target.
set -u
: "${top_builddir:=.}"
: "${top_srcdir:=.}"
CC=${EMF_CC:-cc}
CXX=${EMF_CXX:-c++}
CLANG=${EMF_CLANG:-clang}
PKG_CONFIG=${EMF_PKG_CONFIG:-pkg-config}
TMPD=$(mktemp -d /tmp/emf-headers.XXXXXX)
trap 'rm -rf "$TMPD"' EXIT
inc="$top_srcdir/sdk/include"
failed=0
fail() {
	echo "FAIL: $*"
	failed=$((failed + 1))
}

[ -n "${EMF_PUBLIC_HEADERS:-}" ] || { echo "FAIL: EMF_PUBLIC_HEADERS (the installed headers) is not set"; exit 1; }
installed=()
for h in $EMF_PUBLIC_HEADERS; do
	installed+=("emf/${h##*/}")
done

fns=()
for h in "${installed[@]}"; do
	[ -r "$inc/$h" ] || { fail "$h is installed but missing from $inc"; continue; }
	# Headers it includes must be installed with it.
	for dep in $(sed -n 's/^#[[:space:]]*include[[:space:]]*<\(emf\/[^>]*\)>.*/\1/p' "$inc/$h"); do
		[[ " ${installed[*]} " == *" $dep "* ]] ||
			fail "$h includes <$dep>, which is not installed (add it to emfinclude_HEADERS)"
	done
	if [[ "$h" == *.bpf.h ]]; then
		# Its documented context: after vmlinux.h and <bpf/bpf_helpers.h>.
		printf '#include "vmlinux.h"\n#include <bpf/bpf_helpers.h>\n#include <%s>\n#include <%s>\n' \
			"$h" "$h" > "$TMPD/bpf.c"
		"$CLANG" -target bpf -O2 -g -Wall -Werror -I"$top_builddir" -I"$inc" \
			-c "$TMPD/bpf.c" -o "$TMPD/bpf.o" 2> "$TMPD/err" ||
			fail "$h does not compile alone for the BPF target: $(cat "$TMPD/err")"
		echo "ok: $h (BPF)"
		continue
	fi
	printf '#include <%s>\n#include <%s>\n' "$h" "$h" > "$TMPD/one.c"
	cp "$TMPD/one.c" "$TMPD/one.cc"
	"$CC" -Wall -Wextra -Werror -I"$inc" -c "$TMPD/one.c" -o "$TMPD/one.o" 2> "$TMPD/err" ||
		fail "$h does not compile alone as C: $(cat "$TMPD/err")"
	"$CXX" -Wall -Wextra -Werror -I"$inc" -c "$TMPD/one.cc" -o "$TMPD/one.o" 2> "$TMPD/err" ||
		fail "$h does not compile alone as C++: $(cat "$TMPD/err")"
	grep -q 'extern "C"' "$inc/$h" || fail "$h has no extern \"C\" block"
	# Its functions: every emf_*( of the header itself, comments stripped by the preprocessor.
	fns+=($("$CC" -E -P -I"$inc" "$TMPD/one.c" 2> /dev/null |
		grep -oE '\bemf_[A-Za-z0-9_]+[[:space:]]*\(' | tr -d '( \t'))
	echo "ok: $h (C, C++)"
done

# One C++ program taking the address of every declared function, linked
# against the library: a missing extern "C" or definition fails the link.
# Deprecated functions are still part of the ABI, so they are taken too.
mapfile -t fns < <(printf '%s\n' "${fns[@]}" | sort -u)
{
	for h in "${installed[@]}"; do
		[ "$h" = emf/emf.bpf.h ] || echo "#include <$h>"
	done
	echo "#include <cstdio>"
	echo "static void *const fns[] = {"
	for f in "${fns[@]}"; do
		echo "	reinterpret_cast<void *>(&$f),"
	done
	echo "};"
	echo 'int main() { std::printf("%zu functions\n", sizeof(fns) / sizeof(fns[0])); return 0; }'
} > "$TMPD/all.cc"
libs=$(PKG_CONFIG_PATH="$top_builddir/pkgconfig" "$PKG_CONFIG" --libs --static libemfsdk) ||
	fail "pkg-config does not find the build tree's libemfsdk-uninstalled.pc"
if "$CXX" -Wall -Werror -Wno-deprecated-declarations -I"$inc" "$TMPD/all.cc" -o "$TMPD/all" $libs 2> "$TMPD/err"; then
	echo "ok: ${#fns[@]} declared functions link from C++: $("$TMPD/all")"
else
	fail "the functions of the public headers do not link from C++ against libemfsdk.a: $(grep -E 'undefined reference|error' "$TMPD/err" | head -20)"
fi

[ "$failed" = 0 ] || { echo "FAIL: $failed checks failed"; exit 1; }
echo "PASS: ${#installed[@]} public headers stand alone in C and C++"
