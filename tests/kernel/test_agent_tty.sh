#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# On a terminal, the header of an event type comes again whenever the type changes:
# every row of execsnoop and opensnoop, interleaved in time order, sits under its own
# type's header. Into a file, each header comes once. Colour only with --color.
. "$(dirname "$0")/lib.sh"
need_root
command -v script > /dev/null || skip "needs script (Debian package bsdutils) for a terminal"

name="emftty$$"
cp /bin/cat "$TMPD/$name"
# A terminal of its own: script(1) runs the agent on a pseudo-terminal.
# The execs wait until the agent says it runs: under an emulated CPU its start alone can
# take seconds, and a fixed head start would leave them before or after its run.
script -qec "$AGENT -p execsnoop -p opensnoop -d 8 --time=none --color" /dev/null \
	> "$TMPD/tty" 2> /dev/null 9>&- &
spid=$!
for i in $(seq 100); do
	grep -q 'emf-agent: running' "$TMPD/tty" 2> /dev/null && break
	sleep 0.1
done
for i in 1 2 3; do "$TMPD/$name" /etc/hostname > /dev/null 2>&1; done
wait $spid
# Rows and headers as plain text: no carriage returns, no colour codes.
tr -d '\r' < "$TMPD/tty" | sed 's/\x1b\[[0-9;]*m//g' > "$TMPD/plain"
grep -q $'\x1b\[1mPLUGIN' "$TMPD/tty" || fail "--color on a terminal: no bold header"
# The counters the agent prints at exit when events were lost (their header is
# PLUGIN EVENTS LOST ...) end the event rows.
bad=$(awk '$1 == "PLUGIN" && $2 == "EVENTS" { exit }
	$1 == "PLUGIN" { hdr = $3; next }
	$1 == "execsnoop" && hdr != "PPID" { print "execsnoop row under a " hdr " header: " $0 }
	$1 == "opensnoop" && hdr != "TID" { print "opensnoop row under a " hdr " header: " $0 }' "$TMPD/plain")
[ -z "$bad" ] || fail "rows under another type's header: $(echo "$bad" | head -3)"
execs=$(awk -v n="$name" '$1 == "execsnoop" && $6 == n' "$TMPD/plain" | wc -l)
[ "$execs" = 3 ] || { grep -E '^(PLUGIN|execsnoop|emf-agent)' "$TMPD/plain" | head -20
	fail "$execs exec rows of $name, want 3"; }
headers=$(grep -c '^PLUGIN ' "$TMPD/plain")
[ "$headers" -ge 4 ] || fail "only $headers headers on a terminal for interleaved types"

# Into a file: one header per type, and no colour even with --color.
start_agent -p execsnoop -p opensnoop --time=none --color
"$TMPD/$name" /etc/hostname > /dev/null
sleep 0.5
stop_agent
[ "$(grep -c '^PLUGIN ' "$TMPD/out")" = 2 ] || fail "into a file: $(grep -c '^PLUGIN ' "$TMPD/out") headers, want 2"
grep -q $'\x1b' "$TMPD/out" && fail "--color wrote colour codes into a file"
check_no_leak
echo "PASS: $headers headers on a terminal, each row under its own; 2 into a file"
