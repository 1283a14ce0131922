# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Shared by the kernel-reach tests of the hrtimer_nanosleep test plugins (kprobetest,
# fexittest): sourced after lib.sh, not run.

# sleep_plugin NAME KIND: skip unless kfeature finds KIND on hrtimer_nanosleep; run
# plugin NAME (tests/plugins/NAME) in emf-agent while a child of ours sleeps 123 ms;
# the child's entry event must carry the 123000000 ns it asked for and its return
# event the result 0, in that order; nothing may be left in the kernel after. A
# function given as $3 runs while the plugin is attached, another as $4 after.
sleep_plugin() {
	local so="$top_builddir/tests/plugins/$1/$1.emf.so" child="emfslp$$" pid why events
	why=$("$top_builddir/tests/kernel/kfeature" "$2" hrtimer_nanosleep) || skip "$why"
	[ -f "$so" ] || fail "test plugin not built: $so"
	cp "$(type -P sleep)" "$TMPD/$child"
	start_agent --json --plugin "$so" -p "$1"
	"$TMPD/$child" 0.123 &
	pid=$!
	wait $pid || fail "$child 0.123 failed"
	sleep 0.5
	[ -z "${3:-}" ] || "$3"
	stop_agent
	[ "$AGENT_RC" = 0 ] || { cat "$TMPD/err"; fail "emf-agent exited with $AGENT_RC"; }
	events=$(grep "^{\"plugin\":\"$1\",\"event\":\"event\",\"time\":\"[^\"]*\",\"pid\":$pid,\"tid\":$pid," "$TMPD/out")
	[ "$(echo "$events" | grep -c .)" = 2 ] ||
		{ echo "$events"; head -5 "$TMPD/out"; fail "want 2 events of pid $pid, have $(echo "$events" | grep -c .)"; }
	echo "$events" | head -1 | grep -q "\"point\":\"SLEEP_ENTRY\",\"value\":123000000,\"comm\":\"$child\"}$" ||
		fail "entry event does not hold 123000000 ns and comm $child: $events"
	echo "$events" | tail -1 | grep -q "\"point\":\"SLEEP_RETURN\",\"value\":0,\"comm\":\"$child\"}$" ||
		fail "return event does not hold result 0 and comm $child: $events"
	check_no_leak
	[ -z "${4:-}" ] || "$4"
	echo "PASS: $1 ($2) decoded the 123 ms sleep of pid $pid at entry and return:"
	echo "$events"
}
