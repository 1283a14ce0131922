#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# An iterator run on a call: attachkinds' tasks_on_call has interval 0 (EMF_ATTACH_ITER_TO
# of an option left at 0), so it never runs by itself; "emf-ctl plugin iter attachkinds
# tasks_on_call" (the bus's emf.plugins.iter) runs it once, its record of one process comes
# out as an event, and the reply counts it. Wrong names are refused, saying why; nothing
# is left in the kernel.
. "${top_srcdir:-.}/tests/kernel/lib.sh"
need_root
CTL="$top_builddir/apps/emf-ctl"
so="$top_builddir/tests/plugins/attachkinds/attachkinds.emf.so"
[ -x "$CTL" ] && [ -f "$so" ] || fail "emf-ctl or the test plugin is not built"
chmod 755 "$TMPD"
export EMF_CTL_SOCKET="$TMPD/run/emf.sock"
"$(type -P sleep)" 60 &
itpid=$!
NET_UNDO+=("kill $itpid")
start_agent --json --plugin "$so" -p attachkinds --control="$EMF_CTL_SOCKET" \
	-a attachkinds.iter_pid=$itpid
for _ in $(seq 1 50); do [ -S "$EMF_CTL_SOCKET" ] && break; sleep 0.1; done
grep -q "iterator tasks_on_call runs when called" "$TMPD/err" && fail "an info line shown without -v"
calls() { grep -c "\"kind\":\"HIT_ITER_CALL\",\"pid\":$itpid," "$TMPD/out"; }
sleep 0.5
[ "$(calls)" = 0 ] || fail "the on-call iterator ran by itself: $(calls) events"
for n in 1 2; do
	"$CTL" plugin iter attachkinds tasks_on_call > "$TMPD/c.out" 2> "$TMPD/c.err" ||
		{ cat "$TMPD/c.err"; fail "emf-ctl plugin iter failed"; }
	[ "$(cat "$TMPD/c.out")" = "attachkinds 1 records" ] || fail "emf-ctl plugin iter printed '$(cat "$TMPD/c.out")'"
	for _ in $(seq 1 50); do [ "$(calls)" = $n ] && break; sleep 0.1; done
	[ "$(calls)" = $n ] || fail "after $n calls, $(calls) HIT_ITER_CALL events of pid $itpid"
done
echo "ok: two calls, two records of pid $itpid, none in between"
refused() { # MESSAGE ARGS...
	local want=$1
	shift
	"$CTL" "$@" > /dev/null 2> "$TMPD/c.err"
	[ $? = 1 ] || fail "emf-ctl $*: want exit 1"
	grep -qF -- "$want" "$TMPD/c.err" || { cat "$TMPD/c.err"; fail "emf-ctl $*: no message '$want'"; }
}
refused "plugin 'attachkinds' has no iterator 'nosuch'" plugin iter attachkinds nosuch
refused "plugin 'attachkinds' has several iterators: give" plugin iter attachkinds
refused "no plugin named 'nope'" plugin iter nope
stop_agent
[ "$AGENT_RC" = 0 ] || { cat "$TMPD/err"; fail "emf-agent exited with $AGENT_RC"; }
[ "$(calls)" = 2 ] || fail "$(calls) on-call events in all, want 2"
check_no_leak
echo "PASS: an iterator run on a call, through emf-ctl; its records delivered as events; wrong names refused"
