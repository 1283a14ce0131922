#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Idle costs nothing: emf-agent with opensnoop filtered to a pid that opens nothing
# (pid 1, sleeping here or not) makes few wake-ups, even with the shortest drain
# interval. Each thread's context switches (voluntary and not,
# /proc/PID/task/*/status) are counted over 3 s once it runs: a drain timer left
# running would make ~3,000 (every 1 ms); an idle agent makes a few.
# The bound is generous, for a shared machine; make bench measures the rate.
. "$(dirname "$0")/lib.sh"
need_root

# Context switches of every thread of process $1 so far.
switches() {
	cat /proc/"$1"/task/*/status 2> /dev/null |
		awk '/^(non)?voluntary_ctxt_switches:/ { s += $2 } END { print s + 0 }'
}

# A drain interval out of range is refused, with the range.
"$AGENT" --drain-ms 0 --list > /dev/null 2> "$TMPD/err" 9>&- && fail "--drain-ms 0 was accepted"
grep -q "^emf-agent: invalid --drain-ms '0': give 1 to 1000 ms$" "$TMPD/err" ||
	{ cat "$TMPD/err"; fail "--drain-ms 0: no clear message"; }

start_agent --drain-ms 1 -p opensnoop -a opensnoop.target_pid=1
sleep 0.5
before=$(switches "$AGENT_PID")
sleep 3
after=$(switches "$AGENT_PID")
kill -0 "$AGENT_PID" || fail "emf-agent exited while idle"
stop_agent
[ "$AGENT_RC" = 0 ] || { cat "$TMPD/err"; fail "emf-agent exited with $AGENT_RC"; }
check_no_leak
n=$((after - before))
[ "$n" -le 150 ] || fail "idle emf-agent made $n context switches in 3 s, want at most 150"
echo "PASS: idle emf-agent made $n context switches in 3 s"
