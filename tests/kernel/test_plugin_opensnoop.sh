#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# opensnoop decodes openat() of three unique paths by one child: an existing file read
# (O_RDONLY, an fd), a new file created (O_WRONLY|O_CREAT|O_TRUNC, mode 0666, an fd)
# and a missing file read (-ENOENT); then, with the option failed_only, only the last;
# with target_tid and target_uid, only the opens of that thread or user; with
# target_comm, only those of processes whose name contains it.
. "$(dirname "$0")/lib.sh"
need_root

exist="$TMPD/emfopen$$"
created="$TMPD/emfcreat$$"
missing="$TMPD/emfmissing$$"
echo data > "$exist"
start_agent --json -p opensnoop

# The shell's redirections are plain openat() calls with known flags.
bash -c 'exec 3< "$1"; : > "$2"; : < "$3"' sh "$exist" "$created" "$missing" 2> /dev/null &
pid=$!
wait $pid
sleep 0.5
stop_agent
[ "$AGENT_RC" = 0 ] || { cat "$TMPD/err"; fail "emf-agent exited with $AGENT_RC"; }

# $1 path, $2 the fields expected after "comm" ... up to the path, as a regex.
check_open() {
	local line
	line=$(grep "\"path\":\"$1\"}$" "$TMPD/out")
	[ -n "$line" ] || { head -5 "$TMPD/out"; fail "no open event for $1"; }
	[ "$(echo "$line" | wc -l)" = 1 ] || fail "more than one open event for $1: $line"
	echo "$line" | grep -q "^{\"plugin\":\"opensnoop\",\"event\":\"event\"," ||
		fail "bad prefix: $line"
	echo "$line" | grep -q "\"pid\":$pid,\"tid\":$pid,\"uid\":0,\"uid_name\":\"root\"," ||
		fail "wrong pid (want $pid): $line"
	echo "$line" | grep -Eq "$2" || fail "want $2: $line"
	echo "$line" | grep -q "\"comm\":\"bash\"," || fail "wrong comm (want bash): $line"
	passed="$passed
  $line"
}
passed=
check_open "$exist" '"ret":([0-9]+),"ret_name":"\1","flags":0,"flags_name":"O_RDONLY",'
check_open "$created" '"ret":[0-9]+,"ret_name":"[0-9]+","flags":577,"flags_name":"O_WRONLY\|O_CREAT\|O_TRUNC","mode":438,"mode_name":"0666",' # 01101
check_open "$missing" '"ret":-2,"ret_name":"ENOENT","flags":0,'
check_no_leak

# failed_only=true: the same opens again, and only the failed one is reported.
start_agent --json -p opensnoop --arg opensnoop.failed_only=true
bash -c 'exec 3< "$1"; : > "$2"; : < "$3"' sh "$exist" "$created" "$missing" 2> /dev/null &
pid2=$!
wait $pid2
sleep 0.5
stop_agent
[ "$AGENT_RC" = 0 ] || { cat "$TMPD/err"; fail "emf-agent with failed_only exited with $AGENT_RC"; }
grep "\"ret\":[0-9]" "$TMPD/out" && fail "failed_only reported successful opens"
line=$(grep "\"pid\":$pid2,.*\"ret\":-2,.*\"path\":\"$missing\"}$" "$TMPD/out")
[ -n "$line" ] || { head -5 "$TMPD/out"; fail "failed_only did not report the open of $missing"; }
check_no_leak

# target_tid: two processes open the same path; only the thread named is reported.
mkfifo "$TMPD/go"
bash -c 'read -r _ < "$1"; : < "$2"' sh "$TMPD/go" "$missing" 2> /dev/null &
pid3=$!
start_agent --json -p opensnoop --arg opensnoop.target_tid=$pid3
bash -c ': < "$1"' sh "$missing" 2> /dev/null
echo go > "$TMPD/go"
wait $pid3
sleep 0.5
stop_agent
[ "$AGENT_RC" = 0 ] || { cat "$TMPD/err"; fail "emf-agent with target_tid exited with $AGENT_RC"; }
grep -q "\"path\":\"$missing\"}$" "$TMPD/out" || fail "target_tid=$pid3: its open of $missing is missing"
grep "\"path\":\"$missing\"}$" "$TMPD/out" | grep -v "\"tid\":$pid3," &&
	fail "target_tid=$pid3 reported other threads' opens"
check_no_leak

# target_uid: root and nobody open the same path; only nobody's is reported.
start_agent --json -p opensnoop --arg opensnoop.target_uid=65534
bash -c ': < "$1"' sh "$missing" 2> /dev/null
setpriv --reuid=65534 --regid=65534 --clear-groups bash -c ': < "$1"' sh "$missing" 2> /dev/null
sleep 0.5
stop_agent
[ "$AGENT_RC" = 0 ] || { cat "$TMPD/err"; fail "emf-agent with target_uid exited with $AGENT_RC"; }
grep "\"path\":\"$missing\"}$" "$TMPD/out" | grep -q '"uid":65534,"uid_name":"nobody",' ||
	fail "target_uid=65534: nobody's open of $missing is missing"
grep '"uid":' "$TMPD/out" | grep -v '"uid":65534,' && fail "target_uid=65534 reported other users' opens"
check_no_leak

# target_comm, as libbpf-tools' opensnoop -n: a name containing it is kept, in the
# middle or at either end; others, and a name it only starts, are not.
for n in emfxcommy emfxcomm xcommy; do
	cp "$(type -P cat)" "$TMPD/$n"
done
cp "$(type -P cat)" "$TMPD/emfxcom"
start_agent opensnoop --json --comm=xcomm
for n in emfxcommy emfxcomm xcommy emfxcom; do
	"$TMPD/$n" "$missing.$n" 2> /dev/null
done
cat "$missing.cat" 2> /dev/null
sleep 0.5
stop_agent
[ "$AGENT_RC" = 0 ] || { cat "$TMPD/err"; fail "emf-agent with target_comm exited with $AGENT_RC"; }
for n in emfxcommy emfxcomm xcommy; do
	grep -q "\"comm\":\"$n\",\"path\":\"$missing.$n\"}$" "$TMPD/out" ||
		{ cat "$TMPD/out"; fail "target_comm=xcomm: the open by $n is missing"; }
done
grep -v '"comm":"\(emfxcommy\|emfxcomm\|xcommy\)"' "$TMPD/out" | grep '"comm"' &&
	fail "target_comm=xcomm reported other processes' opens"
check_no_leak

echo "PASS: openat() of $exist, $created and $missing by pid $pid decoded:$passed"
echo "PASS: with failed_only, only the failed open by pid $pid2:
  $line"
echo "PASS: target_tid=$pid3, target_uid=65534 and target_comm=xcomm keep only that thread's, user's and names' opens"
