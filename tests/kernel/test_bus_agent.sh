#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The bus fed by kernel events: execsnoop's decoded events are published on
# "execsnoop.event", the execcount plugin subscribes to them and offers the
# service "execcount"; emf-agent --call prints its reply after the run.
. "$(dirname "$0")/lib.sh"
need_root

name="emfbus$$"
cp /bin/true "$TMPD/$name"
"$AGENT" -p execsnoop -p execcount -d 3 --call execcount.by_comm --call execcount.by_uid \
	--call execcount.nosuch > "$TMPD/out" 2> "$TMPD/err" 9>&- &
AGENT_PID=$!
for _ in $(seq 1 300); do
	grep -q "^emf-agent: running" "$TMPD/err" && break
	sleep 0.1
done
record_owned "$AGENT_PID"
for i in 1 2 3; do "$TMPD/$name"; done
wait "$AGENT_PID"
rc=$?
AGENT_PID=
[ "$rc" = 1 ] || { cat "$TMPD/err"; fail "exit status $rc: want 1, as one --call fails"; }
reply=$(grep '^{' "$TMPD/out" | grep -v '"plugin"' | head -1)
echo "$reply" | grep -q "\"$name\":3" || { cat "$TMPD/out"; fail "by_comm does not count 3 execs of $name: $reply"; }
grep -q '^{"0":[0-9]' "$TMPD/out" || fail "by_uid has no count for uid 0"
grep -q "execcount.nosuch failed: No such file or directory" "$TMPD/err" || fail "unknown method not reported"
check_no_leak
echo "PASS: execsnoop -> bus -> execcount service -> emf-agent --call: $name counted 3 times"
