#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Every hook kind emf-new offers, for real: scaffold a plugin of each kind,
# build it out of tree with its own Makefile against the build tree's SDK
# (pkg-config finds libemfsdk-uninstalled.pc), build an agent from
# "emf-new agent" linking them all, run it, trigger an exec and an unlink, and
# see each plugin's event; then nothing is left in the kernel.
. "$(dirname "$0")/../kernel/lib.sh"

NEW="$top_builddir/templates/emf-new"
export EMF_TEMPLATES="$top_srcdir/templates"
export PKG_CONFIG_PATH="$top_builddir/pkgconfig"
# Plain make, not the jobserver of the make running the tests.
unset MAKEFLAGS MFLAGS MAKELEVEL
MAKE=${EMF_MAKE:-make}

hooks=$("$NEW" --list-hooks | awk '{ print $1 }')
[ -n "$hooks" ] || fail "emf-new --list-hooks lists no hook kind"

plugins=()
for h in $hooks; do
	p="hk_$h"
	"$NEW" plugin "$p" --hook "$h" --dir "$TMPD" > /dev/null || fail "emf-new plugin $p --hook $h failed"
	"$MAKE" -C "$TMPD/$p" > "$TMPD/$p.log" 2>&1 || { cat "$TMPD/$p.log"; fail "make in $p ($h) failed"; }
	[ -f "$TMPD/$p/$p.o" ] || fail "$p: make built no $p.o"
	# The dynamic plugin holds the descriptor a loader will look up.
	nm -D --defined-only "$TMPD/$p/$p.so" | grep -q " ${p}__plugin$" ||
		fail "$p: $p.so does not define ${p}__plugin"
	plugins+=(--plugin "$TMPD/$p")
	echo "built $p ($h): $p.o, $p.so"
done

# make clean leaves the four files emf-new wrote.
"$MAKE" -C "$TMPD/hk_tracepoint" clean > /dev/null || fail "make clean failed"
left=$(cd "$TMPD/hk_tracepoint" && ls -A | tr '\n' ' ')
[ "$left" = "Makefile README.md hk_tracepoint.bpf.c hk_tracepoint.h " ] ||
	fail "make clean left: $left"
"$MAKE" -C "$TMPD/hk_tracepoint" > "$TMPD/rebuild.log" 2>&1 || { cat "$TMPD/rebuild.log"; fail "rebuild after make clean failed"; }

"$NEW" agent hkagent --dir "$TMPD" "${plugins[@]}" > /dev/null || fail "emf-new agent failed"
"$MAKE" -C "$TMPD/hkagent" > "$TMPD/hkagent.log" 2>&1 || { cat "$TMPD/hkagent.log"; fail "make in hkagent failed"; }

need_root
n=$(wc -w <<< "$hooks")
"$TMPD/hkagent/hkagent" > "$TMPD/out" 2> "$TMPD/err" 9>&- &
AGENT_PID=$!
for _ in $(seq 1 300); do
	grep -q "^hkagent: running $n plugins" "$TMPD/err" && break
	kill -0 "$AGENT_PID" 2> /dev/null || { cat "$TMPD/err"; fail "hkagent exited before running"; }
	sleep 0.1
done
grep -q "^hkagent: running $n plugins" "$TMPD/err" || { cat "$TMPD/err"; fail "hkagent did not start"; }
record_owned "$AGENT_PID"

# The templates trace exec() and unlinkat(): do both, with names of our own.
prog="$TMPD/emfhk$$"
cp /bin/true "$prog"
"$prog"
touch "$TMPD/gone$$"
rm "$TMPD/gone$$"
sleep 0.5
stop_agent
[ "$AGENT_RC" = 0 ] || { cat "$TMPD/err"; fail "hkagent exited with $AGENT_RC"; }

for h in $hooks; do
	line=$(grep "^{\"plugin\":\"hk_$h\",\"event\":\"event\"," "$TMPD/out" |
		grep -E "\"filename\":\"($prog|$TMPD/gone$$)\"" | head -1)
	[ -n "$line" ] || { head -20 "$TMPD/out"; fail "no event of hk_$h ($h) for $prog or $TMPD/gone$$"; }
	echo "$h: $line"
done
check_no_leak
echo "PASS: every hook kind ($(echo $hooks)) scaffolded, built out of tree, run and seen"
