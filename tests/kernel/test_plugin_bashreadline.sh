#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# bashreadline decodes the lines typed into an interactive bash: script(1) runs
# "bash -i" on a pseudo-terminal and types two lines into it, so bash reads them with
# readline() as it would from a user. The first line writes bash's pid to a file, to
# check the event's pid.
# Needs script (Debian package bsdutils, essential) and /bin/bash exporting readline.
. "$(dirname "$0")/lib.sh"
need_root
command -v script > /dev/null || skip "needs script (Debian package bsdutils)"
[ -c /dev/ptmx ] || skip "needs pseudo-terminals (/dev/ptmx)"
nm -D /bin/bash 2> /dev/null | grep -q ' T readline$' ||
	skip "/bin/bash does not export readline (or nm from binutils is missing)"

start_agent --json -p bashreadline

# $$ and the quotes reach bash as typed: the event shows the line unexpanded.
typed="echo \$\$ > \"$TMPD/bashpid\" # emfline$$"
printf '%s\nexit\n' "$typed" | script -qc 'bash --norc --noprofile -i' /dev/null > /dev/null 2>&1
sleep 0.5
stop_agent
[ "$AGENT_RC" = 0 ] || { cat "$TMPD/err"; fail "emf-agent exited with $AGENT_RC"; }

pid=$(cat "$TMPD/bashpid" 2> /dev/null)
[ -n "$pid" ] || fail "the interactive bash did not run the line typed"
# In JSON the double quotes of the line come escaped.
json_line=$(printf '%s' "$typed" | sed 's/"/\\"/g')
line=$(grep -F "\"line\":\"$json_line\"}" "$TMPD/out")
[ -n "$line" ] || { head -5 "$TMPD/out"; fail "no readline event for: $typed"; }
[ "$(echo "$line" | wc -l)" = 1 ] || fail "more than one event for the line: $line"
echo "$line" | grep -q "^{\"plugin\":\"bashreadline\",\"event\":\"event\"," || fail "bad prefix: $line"
echo "$line" | grep -q "\"pid\":$pid,\"uid\":0,\"uid_name\":\"root\",\"comm\":\"bash\"," ||
	fail "want pid $pid, uid 0, comm bash: $line"
exit_line=$(grep "\"pid\":$pid,.*\"line\":\"exit\"}" "$TMPD/out")
[ -n "$exit_line" ] || fail "no readline event for the exit typed into bash $pid"

check_no_leak
echo "PASS: lines typed into bash $pid decoded:"
echo "  $line"
echo "  $exit_line"
