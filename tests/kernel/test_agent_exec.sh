#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# emf-agent --json sees the exec of a process with a unique name, with its pid and
# comm, and leaves nothing in the kernel after SIGINT.
. "$(dirname "$0")/lib.sh"
need_root

start_agent --json -p execsnoop

name="emfx$$"
cp /bin/true "$TMPD/$name"
"$TMPD/$name" &
pid=$!
wait $pid
sleep 0.5
stop_agent
[ "$AGENT_RC" = 0 ] || { cat "$TMPD/err"; fail "emf-agent exited with $AGENT_RC"; }

line=$(grep "\"comm\":\"$name\"" "$TMPD/out")
[ -n "$line" ] || { head -5 "$TMPD/out"; fail "no exec event for $name"; }
echo "$line" | grep -q "^{\"plugin\":\"execsnoop\",\"event\":\"event\"," || fail "bad prefix: $line"
echo "$line" | grep -q "\"pid\":$pid," || fail "wrong pid (want $pid): $line"
echo "$line" | grep -q "\"ppid\":$$," || fail "wrong ppid (want $$): $line"
echo "$line" | grep -q "\"filename\":\"$TMPD/$name\"" || fail "wrong filename: $line"
check_no_leak
echo "PASS: exec of $name (pid $pid) decoded: $line"
