#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Every hook kind emf-new offers, for real: scaffold a plugin of each kind
# (the tracepoint one with its user hooks file), build it out of tree with its
# own Makefile against the build tree's SDK (pkg-config finds
# libemfsdk-uninstalled.pc), then run them twice, triggering an exec, an
# unlink and a UDP packet on lo each time: as static plugins linked into an agent from "emf-new
# agent", and as dynamic plugins (their .so) loaded by an agent that links
# none. Each plugin's event shows, the user hooks run, and nothing is left in
# the kernel. Kinds this kernel refuses (kprobe, fentry: found by kfeature) are
# built but not run, with the reason.
#
# For machines without a tool chain (the guests of tests/vm): with
# EMF_HOOKS_BUILD=DIR this only scaffolds and builds the plugins and the
# dynamic agent into DIR; with EMF_HOOKS_PREBUILT=DIR it runs those, as
# dynamic plugins only.
. "$(dirname "$0")/../kernel/lib.sh"

NEW="$top_builddir/templates/emf-new"
export EMF_TEMPLATES="$top_srcdir/templates"
export PKG_CONFIG_PATH="$top_builddir/pkgconfig"
# Plain make, not the jobserver of the make running the tests.
unset MAKEFLAGS MFLAGS MAKELEVEL
MAKE=${EMF_MAKE:-make}

W=$TMPD
[ -n "${EMF_HOOKS_BUILD:-}" ] && { W=$EMF_HOOKS_BUILD; mkdir -p "$W" || fail "cannot create $W"; }
[ -n "${EMF_HOOKS_PREBUILT:-}" ] && W=$EMF_HOOKS_PREBUILT
if [ -n "${EMF_HOOKS_PREBUILT:-}" ]; then
	hooks=$(cat "$W/hooks") || fail "no hook kinds listed in $W/hooks"
else
	hooks=$("$NEW" --list-hooks | awk '{ print $1 }')
fi
[ -n "$hooks" ] || fail "emf-new --list-hooks lists no hook kind"

if [ -z "${EMF_HOOKS_PREBUILT:-}" ]; then
	for h in $hooks; do
		p="hk_$h"
		uh=()
		[ "$h" = tracepoint ] && uh=(--user-hooks)
		"$NEW" plugin "$p" --hook "$h" "${uh[@]}" --dir "$W" > /dev/null ||
			fail "emf-new plugin $p --hook $h ${uh[*]} failed"
		"$MAKE" -C "$W/$p" > "$W/$p.log" 2>&1 || { cat "$W/$p.log"; fail "make in $p ($h) failed"; }
		[ -f "$W/$p/$p.o" ] || fail "$p: make built no $p.o"
		# The dynamic plugin holds the entry point the SDK looks up.
		nm -D --defined-only "$W/$p/$p.so" | grep -q " emf_plugin_entry$" ||
			fail "$p: $p.so does not define emf_plugin_entry"
		echo "built $p ($h): $p.o, $p.so"
	done

	# make clean leaves the four files emf-new wrote.
	"$MAKE" -C "$W/hk_tracepoint" clean > /dev/null || fail "make clean failed"
	left=$(cd "$W/hk_tracepoint" && ls -A | tr '\n' ' ')
	[ "$left" = "Makefile README.md hk_tracepoint.bpf.c hk_tracepoint.h hk_tracepoint.hooks.c " ] ||
		fail "make clean left: $left"
	"$MAKE" -C "$W/hk_tracepoint" > "$W/rebuild.log" 2>&1 || { cat "$W/rebuild.log"; fail "rebuild after make clean failed"; }
fi

if [ -n "${EMF_HOOKS_BUILD:-}" ]; then
	"$NEW" agent dynagent --dir "$W" > /dev/null || fail "emf-new agent dynagent failed"
	"$MAKE" -C "$W/dynagent" > "$W/dynagent.log" 2>&1 || { cat "$W/dynagent.log"; fail "make in dynagent failed"; }
	echo "$hooks" > "$W/hooks"
	echo "PASS: built every hook kind and the dynamic agent in $W"
	exit 0
fi

need_root
# The kinds this kernel runs; the kprobe and fentry templates trace do_unlinkat.
run=
plugins=()
sos=()
for h in $hooks; do
	case $h in
	kprobe | fentry)
		why=$("$top_builddir/tests/kernel/kfeature" "$h" do_unlinkat) ||
			{ echo "note: hk_$h built, not run: $why"; continue; } ;;
	esac
	run="$run $h"
	plugins+=(--plugin "$W/hk_$h")
	sos+=("$W/hk_$h/hk_$h.so")
done
hooks=$run

if [ -z "${EMF_HOOKS_PREBUILT:-}" ]; then
	"$NEW" agent hkagent --dir "$W" "${plugins[@]}" > /dev/null || fail "emf-new agent failed"
	"$MAKE" -C "$W/hkagent" > "$W/hkagent.log" 2>&1 || { cat "$W/hkagent.log"; fail "make in hkagent failed"; }
	"$NEW" agent dynagent --dir "$W" > /dev/null || fail "emf-new agent dynagent failed"
	"$MAKE" -C "$W/dynagent" > "$W/dynagent.log" 2>&1 || { cat "$W/dynagent.log"; fail "make in dynagent failed"; }
fi

n=$(wc -w <<< "$hooks")
port=$((20000 + $$ % 20000))

# run_agent NAME ARGS...: run agent NAME, trigger exec() and unlinkat(), stop it
# and check every plugin's event and that nothing is left in the kernel.
run_agent() {
	local agent=$1 h line prog="$TMPD/emfhk$$_$1"
	shift
	"$W/$agent/$agent" --json "$@" > "$TMPD/out" 2> "$TMPD/err" 9>&- &
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

if [ -n "${EMF_HOOKS_PREBUILT:-}" ]; then
	run_agent dynagent "${sos[@]}"
	echo "PASS: the hook kinds built in $W run as dynamic plugins, and seen: $(echo $hooks)"
	exit 0
fi
run_agent hkagent
run_agent dynagent "${sos[@]}"
echo "PASS: every hook kind scaffolded and built out of tree; these run as static and as dynamic plugins, and seen: $(echo $hooks)"
