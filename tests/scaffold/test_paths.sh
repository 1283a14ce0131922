#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Paths are data, never code. A plugin and an agent scaffolded by emf-new in a
# directory whose name holds shell syntax ($(...), `...`, quotes, a backslash,
# spaces) build with their own Makefiles, and nothing of the name runs: no
# marker file appears. emf-codegen on a plugin under a directory holding '"',
# the end of a C comment and a newline writes C that compiles without a
# warning, and the generated descriptor names the source exactly. As root, the
# scaffolded plugin then runs in emf-agent and its event shows.
. "$(dirname "$0")/../kernel/lib.sh"

NEW="$top_builddir/templates/emf-new"
CODEGEN="$top_builddir/codegen/emf-codegen"
CC=${EMF_CC:-cc}
export EMF_TEMPLATES="$top_srcdir/templates"
export PKG_CONFIG_PATH="$top_builddir/pkgconfig"
PKG_CONFIG=${EMF_PKG_CONFIG:-pkg-config}
# Plain make, not the jobserver of the make running the tests.
unset MAKEFLAGS MFLAGS MAKELEVEL
MAKE=${EMF_MAKE:-make}

# Each command substitution would create its marker in the directory it runs in.
H="$TMPD/d \$(touch pwned1) \`touch pwned2\` \"q\" 's' \\b x"
mkdir "$H" || fail "cannot create $H"
pwned() {
	find "$TMPD" -name 'pwned*' | head -1
}

"$NEW" plugin hp --dir "$H" > "$TMPD/new.out" 2>&1 || { cat "$TMPD/new.out"; fail "emf-new plugin hp failed"; }
# The commands emf-new suggests are safe to paste too.
grep -qF "make -C '$TMPD/d \$(touch pwned1) \`touch pwned2\` \"q\" '\\''s'\\'' \\b x/hp'" "$TMPD/new.out" ||
	{ cat "$TMPD/new.out"; fail "emf-new does not quote the directory in the commands it suggests"; }
"$NEW" agent ha --dir "$H" --plugin "$H/hp" > /dev/null || fail "emf-new agent ha --plugin $H/hp failed"
grep -q '^PLUGINS ?= \.\./hp$' "$H/ha/Makefile" || fail "ha/Makefile does not link ../hp"
"$MAKE" -C "$H/ha" > "$TMPD/make.log" 2>&1 || { cat "$TMPD/make.log"; fail "make in ha failed"; }
"$MAKE" -C "$H/hp" >> "$TMPD/make.log" 2>&1 || { cat "$TMPD/make.log"; fail "make in hp failed"; }
[ -z "$(pwned)" ] && [ ! -e pwned1 ] && [ ! -e pwned2 ] ||
	fail "a command in the directory's name ran during the build: $(pwned)"
for f in hp/hp.o hp/hp.so ha/ha; do
	[ -f "$H/$f" ] || fail "the build in $H wrote no $f"
done
nm -D --defined-only "$H/hp/hp.so" | grep -q " emf_plugin_entry$" || fail "hp.so does not define emf_plugin_entry"
nm "$H/ha/ha" | grep -q " hp__plugin$" || fail "ha does not link the static plugin hp"
echo "ok: plugin and agent built in '$H', nothing of its name ran"

# emf-codegen itself: '"' breaks a C string or #include, '*/' a comment, a newline both.
P="$TMPD/q\"*/c*/ \\ \$x"$'\n'"y/cg"
mkdir -p "$P" || fail "cannot create $P"
cp "$H/hp/hp.bpf.c" "$P/cg.bpf.c" && cp "$H/hp/hp.h" "$P/cg.h" || fail "cannot copy hp to $P"
sed -i 's/@NAME@\|hp/cg/g' "$P/cg.bpf.c" "$P/cg.h"
vmlinux=()
[ -r "$top_builddir/vmlinux.h" ] && vmlinux=(--vmlinux-h "$top_builddir/vmlinux.h")
"$CODEGEN" "${vmlinux[@]}" -I "$("$PKG_CONFIG" --variable=emf_bpf_includedir libemfsdk)" "$P" -o "$TMPD/cgout" \
	> "$TMPD/cg.log" 2>&1 || { cat "$TMPD/cg.log"; fail "emf-codegen failed on a plugin under '$P'"; }
head -2 "$TMPD/cgout/cg.emf.c" | grep -q "from cg.bpf.c and cg.h - do not edit" ||
	fail "the generated banner names more than the files: $(head -2 "$TMPD/cgout/cg.emf.c")"
cat > "$TMPD/source.c" << 'EOF'
#include <stdio.h>
#include "cg.emf.h"

int main(void)
{
	fputs(cg__plugin.source, stdout);
	return 0;
}
EOF
# shellcheck disable=SC2046
"$CC" -Wall -Wextra -Werror $("$PKG_CONFIG" --cflags libemfsdk libbpf jansson) -I"$TMPD/cgout" \
	-o "$TMPD/source" "$TMPD/source.c" "$TMPD/cgout/cg.emf.c" \
	$("$PKG_CONFIG" --libs --static libemfsdk) > "$TMPD/cc.log" 2>&1 ||
	{ cat "$TMPD/cc.log"; fail "the code generated under '$P' does not compile cleanly"; }
[ "$("$TMPD/source"; echo .)" = "$P/cg.bpf.c." ] ||
	fail "the descriptor names '$("$TMPD/source")' as the source, not '$P/cg.bpf.c'"
echo "ok: emf-codegen under a directory with '\"', '*/' and a newline: clean C, exact source"

[ "$(id -u)" = 0 ] || { echo "PASS (built only: running the plugin needs root)"; exit 0; }
need_root
start_agent --json -p "$H/hp/hp.so"
prog="$TMPD/emfpath$$"
cp /bin/true "$prog" && "$prog"
sleep 0.5
stop_agent
[ "$AGENT_RC" = 0 ] || { cat "$TMPD/err"; fail "emf-agent exited with $AGENT_RC"; }
line=$(grep "^{\"plugin\":\"hp\",\"event\":\"event\",.*\"filename\":\"$prog\"" "$TMPD/out")
[ -n "$line" ] || { head -5 "$TMPD/out"; cat "$TMPD/err"; fail "emf-agent printed no event of hp for $prog"; }
echo "$line"
check_no_leak
[ -z "$(pwned)" ] || fail "a command in the directory's name ran: $(pwned)"
echo "PASS: paths with shell syntax, quotes and newlines build and run, and nothing of them ran"
