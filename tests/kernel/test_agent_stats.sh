#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# emf-agent --ring-size sizes a plugin's ring buffer in the kernel, and --stats prints
# per-plugin counters at exit: the execs this test runs are delivered, none lost. Bad
# --ring-size values are usage errors that say what is wrong.
. "$(dirname "$0")/lib.sh"
need_root

for bad in "execsnoop=5000" "execsnoop:nomap=64k" "nosuch=64k" "execsnoop=12x" "execsnoop"; do
	"$AGENT" -p execsnoop --ring-size "$bad" -d 1 > /dev/null 2> "$TMPD/bad"
	rc=$?
	[ "$rc" = 2 ] || fail "--ring-size $bad: exit $rc, want 2 (usage)"
	[ -s "$TMPD/bad" ] || fail "--ring-size $bad: no message"
done
grep -q "power of two" <("$AGENT" -p execsnoop --ring-size execsnoop=5000 2>&1) ||
	fail "--ring-size execsnoop=5000 does not say that sizes are powers of two"

start_agent --json -p execsnoop --stats --ring-size execsnoop=64k

# The ring is the size asked for, in the kernel.
size=
while read -r kind id; do
	[ "$kind" = map ] || continue
	info=$(bpftool map show id "$id")
	case "$info" in
	*"ringbuf  name events "*) size=$(echo "$info" | sed -n 's/.*max_entries \([0-9]*\).*/\1/p') ;;
	esac
done < "$TMPD/owned"
[ "$size" = 65536 ] || fail "ring buffer 'events' of execsnoop has max_entries '$size', want 65536"

name="emfs$$"
cp /bin/true "$TMPD/$name"
for _ in 1 2 3 4 5; do "$TMPD/$name"; done
sleep 0.5
stop_agent
[ "$AGENT_RC" = 0 ] || { cat "$TMPD/err"; fail "emf-agent exited with $AGENT_RC"; }

n=$(grep -c "\"comm\":\"$name\"" "$TMPD/out")
[ "$n" = 5 ] || fail "$n exec events of $name printed, want 5"
grep -q "^PLUGIN  *EVENTS  *LOST  *DECODE_ERRORS  *READS$" "$TMPD/err" ||
	{ cat "$TMPD/err"; fail "no counters header at exit"; }
read -r _ events lost decode reads < <(grep "^execsnoop " "$TMPD/err")
[ -n "$events" ] && [ "$events" -ge 5 ] || { cat "$TMPD/err"; fail "execsnoop counted $events events, want >= 5"; }
[ "$lost" = 0 ] && [ "$decode" = 0 ] || { cat "$TMPD/err"; fail "execsnoop lost $lost, decode errors $decode"; }
[ "$reads" -ge 1 ] && [ "$reads" -le "$events" ] || fail "execsnoop: $reads reads for $events events"
check_no_leak
echo "PASS: 64 KiB ring in the kernel; --stats: $events events, $lost lost, $reads reads"
