#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Every hook kind emf-new offers, for real: scaffold a plugin of each kind
# (the tracepoint one with its user hooks file), build it out of tree with its
# own Makefile against the build tree's SDK (pkg-config finds
# libemfsdk-uninstalled.pc), then run them twice, triggering an exec, an
# unlink and a UDP packet on lo each time: as static plugins linked into an agent from "emf-new
# agent", and as dynamic plugins (their .so) loaded by an agent that links
# none. Each plugin's event shows, the user hooks run, and nothing is left in
# the kernel.
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
sos=()
for h in $hooks; do
	p="hk_$h"
	uh=()
	[ "$h" = tracepoint ] && uh=(--user-hooks)
	"$NEW" plugin "$p" --hook "$h" "${uh[@]}" --dir "$TMPD" > /dev/null ||
		fail "emf-new plugin $p --hook $h ${uh[*]} failed"
	"$MAKE" -C "$TMPD/$p" > "$TMPD/$p.log" 2>&1 || { cat "$TMPD/$p.log"; fail "make in $p ($h) failed"; }
	[ -f "$TMPD/$p/$p.o" ] || fail "$p: make built no $p.o"
	# The dynamic plugin holds the entry point the SDK looks up.
	nm -D --defined-only "$TMPD/$p/$p.so" | grep -q " emf_plugin_entry$" ||
		fail "$p: $p.so does not define emf_plugin_entry"
	plugins+=(--plugin "$TMPD/$p")
	sos+=("$TMPD/$p/$p.so")
	echo "built $p ($h): $p.o, $p.so"
done

# make clean leaves the four files emf-new wrote.
"$MAKE" -C "$TMPD/hk_tracepoint" clean > /dev/null || fail "make clean failed"
left=$(cd "$TMPD/hk_tracepoint" && ls -A | tr '\n' ' ')
[ "$left" = "Makefile README.md hk_tracepoint.bpf.c hk_tracepoint.h hk_tracepoint.hooks.c " ] ||
	fail "make clean left: $left"
"$MAKE" -C "$TMPD/hk_tracepoint" > "$TMPD/rebuild.log" 2>&1 || { cat "$TMPD/rebuild.log"; fail "rebuild after make clean failed"; }

"$NEW" agent hkagent --dir "$TMPD" "${plugins[@]}" > /dev/null || fail "emf-new agent failed"
"$MAKE" -C "$TMPD/hkagent" > "$TMPD/hkagent.log" 2>&1 || { cat "$TMPD/hkagent.log"; fail "make in hkagent failed"; }

"$NEW" agent dynagent --dir "$TMPD" > /dev/null || fail "emf-new agent dynagent failed"
"$MAKE" -C "$TMPD/dynagent" > "$TMPD/dynagent.log" 2>&1 || { cat "$TMPD/dynagent.log"; fail "make in dynagent failed"; }

need_root
n=$(wc -w <<< "$hooks")
port=$((20000 + $$ % 20000))

# run_agent NAME ARGS...: run agent NAME, trigger exec() and unlinkat(), stop it
# and check every plugin's event and that nothing is left in the kernel.
run_agent() {
	local agent=$1 h line prog="$TMPD/emfhk$$_$1"
	shift
	"$TMPD/$agent/$agent" "$@" > "$TMPD/out" 2> "$TMPD/err" 9>&- &
	AGENT_PID=$!
	for _ in $(seq 1 300); do
		grep -q "^$agent: running $n plugins" "$TMPD/err" && break
		kill -0 "$AGENT_PID" 2> /dev/null || { cat "$TMPD/err"; fail "$agent exited before running"; }
		sleep 0.1
	done
	grep -q "^$agent: running $n plugins" "$TMPD/err" || { cat "$TMPD/err"; fail "$agent did not start"; }
	record_owned "$AGENT_PID"

	# The templates trace exec(), unlinkat() and packets on lo: do all three,
	# with a name, a file and a port of our own.
	cp /bin/true "$prog"
	"$prog"
	touch "$TMPD/gone$$"
	rm "$TMPD/gone$$"
	echo hello > /dev/udp/127.0.0.1/$port
	sleep 0.5
	stop_agent
	[ "$AGENT_RC" = 0 ] || { cat "$TMPD/err"; fail "$agent exited with $AGENT_RC"; }

	for h in $hooks; do
		line=$(grep "^{\"plugin\":\"hk_$h\",\"event\":\"event\"," "$TMPD/out" |
			grep -E "\"filename\":\"($prog|$TMPD/gone$$)\"|\"daddr\":\"127.0.0.1\",\"sport\":[0-9]+,\"dport\":$port," |
			head -1)
		[ -n "$line" ] || { head -20 "$TMPD/out"; fail "$agent: no event of hk_$h ($h) for $prog, $TMPD/gone$$ or UDP port $port"; }
		echo "$agent: $h: $line"
	done
	# The user hooks of hk_tracepoint ran around its attach and detach.
	grep -q "^hk_tracepoint: attached 1 program$" "$TMPD/err" ||
		{ cat "$TMPD/err"; fail "$agent: the attach hook of hk_tracepoint did not run"; }
	grep -qE "^hk_tracepoint: detaching after [1-9][0-9]* events, 0 lost$" "$TMPD/err" ||
		{ cat "$TMPD/err"; fail "$agent: the detach hook of hk_tracepoint did not run or saw no event"; }
	check_no_leak
}

run_agent hkagent
run_agent dynagent "${sos[@]}"
echo "PASS: every hook kind ($(echo $hooks)) scaffolded, built out of tree, run as static and as dynamic plugins, and seen"
