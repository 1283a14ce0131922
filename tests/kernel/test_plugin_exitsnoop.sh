#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# exitsnoop decodes a process's exit: a child exiting with status 7, and one killed by
# SIGTERM after living at least 300 ms, each with its pid, ppid and comm; with the
# option failed_only, a clean exit is left out.
. "$(dirname "$0")/lib.sh"
need_root

start_agent --json -p exitsnoop

# Copies of the binaries give the children command names no other process has.
code_name="emfexit$$"
sig_name="emfkill$$"
cp /bin/sh "$TMPD/$code_name"
cp /bin/sleep "$TMPD/$sig_name"

"$TMPD/$code_name" -c 'exit 7' &
code_pid=$!
wait $code_pid

"$TMPD/$sig_name" 30 &
sig_pid=$!
sleep 0.3
kill -TERM $sig_pid
wait $sig_pid
sleep 0.5
stop_agent
[ "$AGENT_RC" = 0 ] || { cat "$TMPD/err"; fail "emf-agent exited with $AGENT_RC"; }

line=$(grep "\"comm\":\"$code_name\"" "$TMPD/out")
[ -n "$line" ] || { head -5 "$TMPD/out"; fail "no exit event for $code_name"; }
echo "$line" | grep -q "^{\"plugin\":\"exitsnoop\",\"event\":\"event\"," || fail "bad prefix: $line"
echo "$line" | grep -q "\"pid\":$code_pid,\"tid\":$code_pid," ||
	fail "wrong pid (want $code_pid): $line"
echo "$line" | grep -q "\"ppid\":$$," || fail "wrong ppid (want $$): $line"
echo "$line" | grep -q "\"exit_code\":7,\"sig\":0,\"sig_name\":\"0\",\"core_dumped\":false," ||
	fail "wrong exit code (want 7): $line"
code_line=$line

line=$(grep "\"comm\":\"$sig_name\"" "$TMPD/out")
[ -n "$line" ] || { head -5 "$TMPD/out"; fail "no exit event for $sig_name"; }
echo "$line" | grep -q "\"pid\":$sig_pid," || fail "wrong pid (want $sig_pid): $line"
echo "$line" | grep -q "\"exit_code\":0,\"sig\":15,\"sig_name\":\"SIGTERM\",\"core_dumped\":false," ||
	fail "wrong signal (want 15): $line"
ns=$(echo "$line" | grep -o '"duration_ns":[0-9]*' | cut -d: -f2)
[ "${ns:-0}" -ge 300000000 ] && [ "$ns" -lt 30000000000 ] ||
	fail "lifetime $ns ns is not 0.3-30 s: $line"

check_no_leak

# failed_only=true: a clean exit is not reported, exit 7 still is.
start_agent --json -p exitsnoop --arg exitsnoop.failed_only=true
"$TMPD/$code_name" -c 'exit 0' &
ok_pid=$!
wait $ok_pid
"$TMPD/$code_name" -c 'exit 7' &
code2_pid=$!
wait $code2_pid
sleep 0.5
stop_agent
[ "$AGENT_RC" = 0 ] || { cat "$TMPD/err"; fail "emf-agent with failed_only exited with $AGENT_RC"; }
grep -q "\"pid\":$ok_pid," "$TMPD/out" && fail "failed_only reported the clean exit of $ok_pid"
grep -q "\"pid\":$code2_pid,.*\"exit_code\":7," "$TMPD/out" ||
	fail "failed_only did not report the exit 7 of $code2_pid"
grep -q '"exit_code":0,"sig":0,"sig_name":"0",' "$TMPD/out" && fail "failed_only reported a clean exit"
check_no_leak

echo "PASS: exit of $code_name (pid $code_pid) with status 7 decoded: $code_line"
echo "PASS: death of $sig_name (pid $sig_pid) by SIGTERM after $ns ns decoded: $line"
echo "PASS: with failed_only, exit 7 of $code2_pid reported, exit 0 of $ok_pid not"
