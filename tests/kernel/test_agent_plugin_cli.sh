#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# A plugin run as its own tool: "emf-agent execsnoop --uid N" runs execsnoop only, with
# its target_uid set, so the kernel passes the execs of user N and drops root's; the
# agent linked under the plugin's name (multi-call) takes the same options. A bad value
# stops before anything loads, with one message naming plugin, option, type and range.
. "$(dirname "$0")/lib.sh"
need_root
command -v setpriv > /dev/null || skip "needs setpriv (util-linux) to exec as another user"

nobody=65534
name="emfu$$"
chmod 755 "$TMPD"
cp /bin/true "$TMPD/$name"
chmod 755 "$TMPD/$name"

# run_both: the same program once as root, once as uid $nobody; sets root_pid, user_pid.
run_both() {
	"$TMPD/$name" root &
	root_pid=$!
	wait $root_pid
	setpriv --reuid=$nobody --regid=$nobody --clear-groups "$TMPD/$name" user &
	user_pid=$!
	wait $user_pid
	sleep 0.5
}

check_run() {
	local what=$1
	[ "$AGENT_RC" = 0 ] || { cat "$TMPD/err"; fail "$what: emf-agent exited with $AGENT_RC"; }
	grep "\"comm\":\"$name\"" "$TMPD/out" > "$TMPD/mine"
	grep -q "\"uid\":$nobody," "$TMPD/mine" || { cat "$TMPD/out" | head; fail "$what: no exec of uid $nobody"; }
	grep -q '"uid":0,' "$TMPD/mine" && fail "$what: root's exec passed the uid filter: $(cat "$TMPD/mine")"
	grep -v '"plugin":"execsnoop"' "$TMPD/out" | grep -q . &&
		fail "$what: a plugin other than execsnoop ran: $(grep -v '"plugin":"execsnoop"' "$TMPD/out" | head -1)"
	echo "ok: $what: $(wc -l < "$TMPD/mine") exec(s) of $name, all of uid $nobody"
}

# Without the option, both execs show: the filter below is the option's doing.
start_agent execsnoop --json
run_both
stop_agent
[ "$(grep -c "\"comm\":\"$name\"" "$TMPD/out")" -ge 2 ] ||
	{ cat "$TMPD/err"; fail "without --uid: want both execs of $name, got $(grep -c "\"comm\":\"$name\"" "$TMPD/out")"; }
check_no_leak

start_agent execsnoop --json --uid $nobody
run_both
stop_agent
check_run "emf-agent execsnoop --uid $nobody"
check_no_leak

# Multi-call: the agent linked as "execsnoop".
ln -s "$(cd "$(dirname "$AGENT")" && pwd)/emf-agent" "$TMPD/execsnoop"
AGENT="$TMPD/execsnoop" start_agent --json --uid=$nobody
run_both
stop_agent
check_run "execsnoop (a link to emf-agent) --uid=$nobody"
check_no_leak

# A bad value: one line naming plugin, option, type and range; usage exit status.
"$TMPD/execsnoop" --uid nobody > "$TMPD/out" 2> "$TMPD/err" 9>&-
rc=$?
[ $rc = 2 ] || fail "--uid nobody: exit status $rc, want 2"
[ "$(wc -l < "$TMPD/err")" = 1 ] || { cat "$TMPD/err"; fail "--uid nobody: more than one line"; }
grep -q "invalid value 'nobody' for option target_uid (--uid, uid) of plugin 'execsnoop': expected an integer from 0 to 4294967295" "$TMPD/err" ||
	fail "--uid nobody: message lacks plugin, option, type or range: $(cat "$TMPD/err")"
echo "ok: a bad --uid: $(cat "$TMPD/err")"
echo "PASS"
