#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Every event has a time, and events of different plugins come out in time order:
# the exec of a process before the opens it makes, though they come through two
# plugins' ring buffers. JSON "time" is RFC 3339 UTC with nanoseconds, close to the
# wall clock; the text TIME column follows --time.
. "$(dirname "$0")/lib.sh"
need_root
command -v jq > /dev/null || skip "needs jq to read the JSON lines"

name="emft$$"
cp /bin/cat "$TMPD/$name"
echo hello > "$TMPD/input"

start_agent --json -p execsnoop -p opensnoop
before=$(date +%s)
for i in 1 2 3 4 5; do
	"$TMPD/$name" "$TMPD/input" > /dev/null
done
after=$(date +%s)
sleep 0.5
stop_agent
[ "$AGENT_RC" = 0 ] || { cat "$TMPD/err"; fail "emf-agent exited with $AGENT_RC"; }

jq -e . "$TMPD/out" > /dev/null || fail "output is not JSON lines"
bad=$(jq -r 'select((.time | type) != "string" or
	(.time | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{9}Z$") | not))' \
	"$TMPD/out" | head -3)
[ -z "$bad" ] || fail "an event without an RFC 3339 time: $bad"

# Per run of the command: its exec line comes before its opens, with times in order.
jq -r --arg n "$name" 'select(.comm == $n) | [.plugin, .pid, .time, (.time | sub("\\.[0-9]+Z$"; "Z") | fromdate)] | @tsv' \
	"$TMPD/out" > "$TMPD/mine"
execs=$(awk '$1 == "execsnoop"' "$TMPD/mine" | wc -l)
[ "$execs" = 5 ] || { cat "$TMPD/mine"; fail "$execs exec events of $name, want 5"; }
awk -v lo="$before" -v hi="$after" '
	$4 < lo - 1 || $4 > hi + 1 { print "time " $3 " is not between " lo " and " hi; bad = 1 }
	$1 == "execsnoop" { seen[$2] = $3 }
	$1 == "opensnoop" && $3 ~ /./ {
		if (!($2 in seen)) { print "open of pid " $2 " before its exec"; bad = 1 }
		else if ($3 < seen[$2]) { print "open of pid " $2 " at " $3 " before its exec at " seen[$2]; bad = 1 }
		opens++
	}
	END { if (!opens) { print "no open event of the command"; bad = 1 } exit bad }' \
	"$TMPD/mine" || { cat "$TMPD/mine"; fail "events out of order"; }
check_no_leak

# Text: a TIME column in the format asked for.
start_agent -p execsnoop --time=us
"$TMPD/$name" "$TMPD/input" > /dev/null
sleep 0.5
stop_agent
head -1 "$TMPD/out" | grep -q "^TIME  *PLUGIN " || fail "no TIME column in the header: $(head -1 "$TMPD/out")"
grep -qE "^[0-2][0-9]:[0-5][0-9]:[0-6][0-9]\.[0-9]{6} +execsnoop .* $name " "$TMPD/out" ||
	{ cat "$TMPD/out"; fail "no text line of $name with a HH:MM:SS.uuuuuu time"; }
check_no_leak
echo "PASS: $(wc -l < "$TMPD/mine") events of $name in time order, exec before opens"
