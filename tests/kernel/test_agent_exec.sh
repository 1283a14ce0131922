#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# emf-agent --json sees the exec of a process with a unique name, with its pid, comm,
# user name and argv, and a failed exec with its errno by name, as libbpf-tools'
# execsnoop does; execsnoop.failed_only keeps only the failed one; text shows the
# same readable fields. Nothing is left in the kernel after SIGINT.
. "$(dirname "$0")/lib.sh"
need_root

name="emfx$$"
cp /bin/true "$TMPD/$name"
missing="$TMPD/nosuch$$"

start_agent --json -p execsnoop
"$TMPD/$name" -x "two words" &
pid=$!
wait $pid
env "$missing" 2> /dev/null
sleep 0.5
stop_agent
[ "$AGENT_RC" = 0 ] || { cat "$TMPD/err"; fail "emf-agent exited with $AGENT_RC"; }

line=$(grep "\"comm\":\"$name\"" "$TMPD/out")
[ -n "$line" ] || { head -5 "$TMPD/out"; fail "no exec event for $name"; }
echo "$line" | grep -q "^{\"plugin\":\"execsnoop\",\"event\":\"event\",\"time\":\"" || fail "bad prefix: $line"
echo "$line" | grep -q "\"pid\":$pid," || fail "wrong pid (want $pid): $line"
echo "$line" | grep -q "\"ppid\":$$," || fail "wrong ppid (want $$): $line"
echo "$line" | grep -q "\"uid\":0,\"uid_name\":\"root\",\"ret\":0,\"ret_name\":\"0\"," ||
	fail "want uid root and result 0: $line"
echo "$line" | grep -q "\"filename\":\"$TMPD/$name\"" || fail "wrong filename: $line"
echo "$line" | grep -qF "\"args\":[\"$TMPD/$name\",\"-x\",\"two words\"]" || fail "wrong argv: $line"
failed=$(grep -F "\"filename\":\"$missing\"" "$TMPD/out")
[ -n "$failed" ] || fail "no event for the failed exec of $missing"
echo "$failed" | grep -q '"ret":-2,"ret_name":"ENOENT","comm":"env",' || fail "want ENOENT from env: $failed"
echo "$failed" | grep -qF "\"args\":[\"$missing\"]" || fail "wrong argv of the failed exec: $failed"
check_no_leak

# failed_only: the failed exec only, in text, with the readable columns.
start_agent -p execsnoop --arg execsnoop.failed_only=true --time=none
"$TMPD/$name" -x &
wait $!
env "$missing" 2> /dev/null
sleep 0.5
stop_agent
head -1 "$TMPD/out" | grep -q '^PLUGIN  *PID  *PPID  *UID  *RET  *COMM  *FILENAME  *ARGS$' ||
	fail "text header: $(head -1 "$TMPD/out")"
grep -q " $name " "$TMPD/out" && fail "failed_only showed a successful exec"
grep -Eq "^execsnoop +[0-9]+ +[0-9]+ +root +ENOENT +env +$missing +$missing\$" "$TMPD/out" ||
	{ cat "$TMPD/out"; fail "no text line of the failed exec"; }
check_no_leak
echo "PASS: exec of $name (pid $pid) decoded: $line"
echo "  failed: $failed"
