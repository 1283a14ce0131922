#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# sigsnoop decodes kill -USR1 of a sleeping child (sender, target, signal 10, SI_USER,
# delivered) and the SIGCHLD the kernel then sends back (CLD_KILLED); with the option
# target_signal=10, only the former.
. "$(dirname "$0")/lib.sh"
need_root

# A copy of sleep gives the child a command name no other process has.
name="emfsig$$"
cp /bin/sleep "$TMPD/$name"
start_agent --json -p sigsnoop

"$TMPD/$name" 30 &
pid=$!
# Signal it only once it runs the copy, so the event shows its own name.
for _ in $(seq 1 50); do
	[ "$(cat /proc/$pid/comm 2> /dev/null)" = "$name" ] && break
	sleep 0.02
done
kill -USR1 $pid
{ wait $pid; } 2> /dev/null # killed by SIGUSR1, as intended
sleep 0.5
stop_agent
[ "$AGENT_RC" = 0 ] || { cat "$TMPD/err"; fail "emf-agent exited with $AGENT_RC"; }

comm=$(cat /proc/$$/comm)
line=$(grep "\"sig\":10,.*\"target_comm\":\"$name\"" "$TMPD/out")
[ -n "$line" ] || { head -5 "$TMPD/out"; fail "no SIGUSR1 event for $name"; }
[ "$(echo "$line" | wc -l)" = 1 ] || fail "more than one SIGUSR1 event for $name: $line"
echo "$line" | grep -q "^{\"plugin\":\"sigsnoop\",\"event\":\"event\"," || fail "bad prefix: $line"
echo "$line" | grep -q "\"pid\":$$,\"target_pid\":$pid,\"sig\":10,\"sig_name\":\"SIGUSR1\",\"code\":0,\"group\":true," ||
	fail "want sender $$, target $pid, sig 10, code SI_USER, group: $line"
echo "$line" | grep -q "\"result\":\"SIGNAL_DELIVERED\"," || fail "want SIGNAL_DELIVERED: $line"
echo "$line" | grep -q "\"comm\":\"$comm\"," || fail "wrong sender comm (want $comm): $line"
kill_line=$line

# CLD_KILLED is 2.
line=$(grep "\"pid\":$pid,\"target_pid\":$$,\"sig\":17,\"sig_name\":\"SIGCHLD\",\"code\":2," "$TMPD/out")
[ -n "$line" ] || { grep "\"pid\":$pid," "$TMPD/out"; fail "no SIGCHLD event from $pid to $$"; }
echo "$line" | grep -q "\"comm\":\"$name\",\"target_comm\":\"$comm\"" || fail "wrong comms: $line"

check_no_leak

# target_signal=10: the SIGUSR1 again, without the SIGCHLD that follows it.
start_agent --json -p sigsnoop --arg sigsnoop.target_signal=10
"$TMPD/$name" 30 &
pid2=$!
for _ in $(seq 1 50); do
	[ "$(cat /proc/$pid2/comm 2> /dev/null)" = "$name" ] && break
	sleep 0.02
done
kill -USR1 $pid2
{ wait $pid2; } 2> /dev/null
sleep 0.5
stop_agent
[ "$AGENT_RC" = 0 ] || { cat "$TMPD/err"; fail "emf-agent with target_signal exited with $AGENT_RC"; }
grep -q "\"target_pid\":$pid2,\"sig\":10," "$TMPD/out" || fail "target_signal=10 lost the SIGUSR1 to $pid2"
grep -v '"sig":10,' "$TMPD/out" && fail "target_signal=10 reported other signals"
check_no_leak

echo "PASS: kill -USR1 $pid decoded: $kill_line"
echo "PASS: SIGCHLD back to $$ decoded: $line"
echo "PASS: with target_signal=10, only SIGUSR1 reported"
