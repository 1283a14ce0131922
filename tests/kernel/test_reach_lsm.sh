#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Kernel reach, BPF LSM: the lsmtest plugin through emf-agent reports opens of
# emf-lsm-* files and refuses those of emf-lsm-deny* with EPERM while it runs; after
# the agent exits the same open succeeds and nothing is left in the kernel. SKIPs
# naming what this kernel lacks.
. "$(dirname "$0")/lib.sh"
need_root

why=$("$top_builddir/tests/kernel/kfeature" lsm file_open) || skip "$why"
so="$top_builddir/tests/plugins/lsmtest/lsmtest.emf.so"
[ -f "$so" ] || fail "test plugin not built: $so"
allow="emf-lsm-allow$$"
deny="emf-lsm-deny$$"
echo a > "$TMPD/$allow" && echo d > "$TMPD/$deny" || fail "cannot write to $TMPD"

start_agent --json --plugin "$so" -p lsmtest
cat "$TMPD/$allow" > /dev/null &
p1=$!
wait $p1 || fail "open of $TMPD/$allow refused while lsmtest runs"
cat "$TMPD/$deny" > /dev/null 2> "$TMPD/cat.err" &
p2=$!
wait $p2 && fail "open of $TMPD/$deny allowed while lsmtest runs"
grep -q "Operation not permitted" "$TMPD/cat.err" ||
	fail "open of $TMPD/$deny failed, but not with EPERM: $(cat "$TMPD/cat.err")"
sleep 0.5
stop_agent
[ "$AGENT_RC" = 0 ] || { cat "$TMPD/err"; fail "emf-agent exited with $AGENT_RC"; }
cat "$TMPD/$deny" > /dev/null || fail "open of $TMPD/$deny still refused after the agent exited"
check_no_leak

# $1 pid, $2 denied, $3 name: exactly one such event.
check_event() {
	local line
	line=$(grep "^{\"plugin\":\"lsmtest\",\"event\":\"event\",\"time\":\"[^\"]*\",\"pid\":$1,\"denied\":$2,\"comm\":\"cat\",\"name\":\"$3\"}$" "$TMPD/out")
	[ "$(echo "$line" | grep -c .)" = 1 ] ||
		{ grep lsmtest "$TMPD/out" | head -5; fail "want one event of pid $1 for $3 with denied $2"; }
	echo "  $line"
}
echo "PASS: lsmtest allowed $allow, refused $deny with EPERM, and let it be after:"
check_event $p1 false "$allow"
check_event $p2 true "$deny"
