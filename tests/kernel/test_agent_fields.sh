#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# --fields on real events: opensnoop run as its own tool with "--fields pid,path"
# prints exactly those columns, under a header of exactly those titles, for a file
# opened by a process of ours (its pid, its path); with --json and the PLUGIN:
# prefix the line holds exactly plugin, event, time and the fields given, in their
# order, with their types (checked with jq); both together with --filter; a
# dynamic plugin reloaded on SIGHUP keeps its fields. An
# unknown field, a missing PLUGIN: prefix and two lists for one plugin are each
# refused in one line naming the plugin, exit 2, with nothing loaded.
. "$(dirname "$0")/lib.sh"
need_root
command -v jq > /dev/null || skip "needs jq (Debian package jq)"

name="emfl$$"
cp /bin/cat "$TMPD/$name"
echo data > "$TMPD/exists"

# Open $TMPD/exists from a process named $name; sets $opener to its pid.
open_it() {
	"$TMPD/$name" "$TMPD/exists" > /dev/null &
	opener=$!
	wait "$opener"
}

# 1. Text, as its own tool: the time and plugin columns, then PID and PATH only.
start_agent opensnoop --fields pid,path --filter "comm == \"$name\""
open_it
wait_out "$TMPD/exists" || true
stop_agent
[ "$AGENT_RC" = 0 ] || { cat "$TMPD/err"; fail "emf-agent exited with $AGENT_RC"; }
header=$(head -n 1 "$TMPD/out" | tr -s ' ')
[ "$header" = "TIME PLUGIN PID PATH" ] || { cat "$TMPD/out"; fail "header '$header', want 'TIME PLUGIN PID PATH'"; }
row=$(grep -F " $TMPD/exists" "$TMPD/out" | head -n 1)
[ -n "$row" ] || { cat "$TMPD/out"; fail "no row for the open of $TMPD/exists"; }
read -r t plugin pid path extra <<< "$row"
[ "$plugin" = opensnoop ] && [ "$pid" = "$opener" ] && [ "$path" = "$TMPD/exists" ] &&
	[ -z "$extra" ] && [[ "$t" =~ ^[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}$ ]] ||
	fail "row '$row': want TIME opensnoop $opener $TMPD/exists and nothing else"
# The columns line up under their titles.
hdr=$(head -n 1 "$TMPD/out")
h=${hdr%%PATH*}
r=${row%%"$TMPD"*}
[ "${#h}" = "${#r}" ] || fail "PATH does not start under its title: '$hdr' / '$row'"
# The filter still applies: every row is an open of our process.
others=$(awk -v pid="$opener" 'NR > 1 && $3 != pid' "$TMPD/out")
[ -z "$others" ] || fail "the filter let other processes' opens through: $others"
check_no_leak

# 2. JSON with the prefix, fields in the order given, together with --filter.
start_agent -p opensnoop --json --fields 'opensnoop: path, pid' \
	--filter "opensnoop: comm == \"$name\" && path == \"$TMPD/exists\""
open_it
wait_out "$TMPD/exists" || true
stop_agent
[ "$AGENT_RC" = 0 ] || { cat "$TMPD/err"; fail "emf-agent exited with $AGENT_RC"; }
[ "$(wc -l < "$TMPD/out")" = 1 ] || { cat "$TMPD/out"; fail "want one JSON line"; }
keys=$(jq -c keys_unsorted "$TMPD/out") || { cat "$TMPD/out"; fail "not JSON"; }
[ "$keys" = '["plugin","event","time","path","pid"]' ] || fail "keys $keys, want plugin, event, time, path, pid"
jq -e --arg p "$TMPD/exists" --argjson pid "$opener" \
	'.plugin == "opensnoop" and .event == "event" and (.time | type) == "string" and
	 .path == $p and .pid == $pid and (.pid | type) == "number"' "$TMPD/out" > /dev/null ||
	{ cat "$TMPD/out"; fail "want path $TMPD/exists and pid $opener (a number)"; }
line=$(cat "$TMPD/out")
check_no_leak

# 3. A dynamic plugin reloaded on SIGHUP keeps its fields: the list is compiled
#    again for the new code's event type.
dyntest_dir
start_agent -p dyntest --plugin-dir "$PD" --fields 'dyntest: path,pid'
mkdir "$TMPD/before"
wait_out "$TMPD/before" || { cat "$TMPD/out"; fail "no event for mkdir $TMPD/before"; }
dyntest_reload
mkdir "$TMPD/after"
wait_out "$TMPD/after" || { cat "$TMPD/out"; fail "no event for mkdir $TMPD/after after the reload"; }
stop_agent
[ "$AGENT_RC" = 0 ] || { cat "$TMPD/err"; fail "emf-agent exited with $AGENT_RC"; }
row=$(grep -F " $TMPD/after" "$TMPD/out" | tr -s ' ')
[[ "$row" =~ ^[0-9:.]+\ dyntest\ $TMPD/after\ [0-9]+$ ]] ||
	{ cat "$TMPD/out"; fail "after the reload, row '$row': want TIME dyntest PATH PID"; }
[ "$(grep -c '^TIME  *PLUGIN  *PATH  *PID$' "$TMPD/out")" = 2 ] ||
	{ cat "$TMPD/out"; fail "want the header 'TIME PLUGIN PATH PID' before and after the reload"; }
check_no_leak

# 4. Mistakes: one line each, usage exit status, nothing loaded.
refused opensnoop --fields pid,nope
grep -qF "emf-agent: --fields: plugin 'opensnoop': fields 'pid,nope': event type 'event' has no field 'nope' (it has ts, pid, tid, uid, ret, flags, mode, comm, path)" "$TMPD/err3" ||
	{ cat "$TMPD/err3"; fail "unknown field: unclear message"; }
refused -p opensnoop -p execsnoop --fields pid
grep -qF "name the plugin it is for, as 'PLUGIN: pid'" "$TMPD/err3" ||
	{ cat "$TMPD/err3"; fail "no plugin named: unclear message"; }
refused -p opensnoop --fields 'opensnoop: pid' --fields 'opensnoop: comm'
grep -qF "plugin 'opensnoop' is given two field lists" "$TMPD/err3" ||
	{ cat "$TMPD/err3"; fail "two lists: unclear message"; }

echo "PASS: --fields shows only the fields given (text: '$header'; JSON: $line), refuses mistakes clearly"
