#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# --filter on real events: "emf-agent execsnoop --filter 'comm == "NAME"'" shows only
# the execs of NAME, with their argv; on opensnoop a string and an errno name combine
# with &&, and two --filter options of one plugin both apply; a dynamic plugin
# reloaded on SIGHUP keeps its filter; a filter naming an
# unknown field or a value of the wrong type is refused in one line, exit 2, with
# nothing loaded.
. "$(dirname "$0")/lib.sh"
need_root

name="emff$$"
cp /bin/true "$TMPD/$name"
cp /bin/cat "$TMPD/${name}c"
missing="$TMPD/nosuch$$"
echo data > "$TMPD/exists"

# 1. execsnoop run as its own tool: the filter needs no "PLUGIN:".
start_agent execsnoop --json --filter "comm == \"$name\""
"$TMPD/$name" -x "two words"
/bin/true
env "$missing" 2> /dev/null
sleep 0.5
stop_agent
[ "$AGENT_RC" = 0 ] || { cat "$TMPD/err"; fail "emf-agent exited with $AGENT_RC"; }
grep -qF "\"comm\":\"$name\",\"filename\":\"$TMPD/$name\",\"args\":[\"$TMPD/$name\",\"-x\",\"two words\"]" \
	"$TMPD/out" || { cat "$TMPD/out"; fail "no exec of $name with its argv"; }
others=$(grep -vF "\"comm\":\"$name\"" "$TMPD/out")
[ -z "$others" ] || fail "the filter let other execs through: $others"
check_no_leak

# 2. opensnoop: a string and an errno name; two --filter options, both apply.
start_agent --json -p opensnoop --filter "opensnoop: comm == \"${name}c\" && ret == ENOENT" \
	--filter 'opensnoop: path == "/tmp/*"'
"$TMPD/${name}c" "$TMPD/exists" > /dev/null
"$TMPD/${name}c" "$missing" 2> /dev/null
sleep 0.5
stop_agent
[ "$AGENT_RC" = 0 ] || { cat "$TMPD/err"; fail "emf-agent exited with $AGENT_RC"; }
n=$(wc -l < "$TMPD/out")
line=$(grep -F "\"path\":\"$missing\"}" "$TMPD/out")
[ -n "$line" ] || { cat "$TMPD/out"; fail "no failed open of $missing"; }
[ "$n" = 1 ] || { cat "$TMPD/out"; fail "want only the failed open of $missing under /tmp, got $n events"; }
echo "$line" | grep -q '"ret":-2,"ret_name":"ENOENT",' || fail "want ENOENT: $line"
check_no_leak

# 3. A dynamic plugin reloaded on SIGHUP keeps its filter: the new plugin gets it too.
dyntest_dir
start_agent -p dyntest --plugin-dir "$PD" --filter "dyntest: path == \"$TMPD/keep*\""
mkdir "$TMPD/drop1" "$TMPD/keep1"
wait_out "$TMPD/keep1" || { cat "$TMPD/out"; fail "no event for mkdir $TMPD/keep1"; }
dyntest_reload
mkdir "$TMPD/drop2" "$TMPD/keep2"
wait_out "$TMPD/keep2" || { cat "$TMPD/out"; fail "no event for mkdir $TMPD/keep2 after the reload"; }
stop_agent
[ "$AGENT_RC" = 0 ] || { cat "$TMPD/err"; fail "emf-agent exited with $AGENT_RC"; }
grep -q "$TMPD/drop" "$TMPD/out" && { cat "$TMPD/out"; fail "the filter let a drop* directory through"; }
grep -q "no longer fits" "$TMPD/err" && { cat "$TMPD/err"; fail "the same plugin's filter was said not to fit"; }
check_no_leak

# 4. Mistakes: one line each, usage exit status, nothing loaded.
refused -p opensnoop --filter 'opensnoop: nope == 1'
grep -qF "emf-agent: --filter: plugin 'opensnoop': filter 'nope == 1', at column 1: event type 'event' has no field 'nope' (it has ts, pid, tid, uid, ret, flags, mode, comm, path)" "$TMPD/err3" ||
	{ cat "$TMPD/err3"; fail "unknown field: unclear message"; }
refused -p opensnoop --filter 'opensnoop: comm == 42'
grep -qF "field 'comm' (string) compares with a \"quoted\" value" "$TMPD/err3" ||
	{ cat "$TMPD/err3"; fail "wrong type: unclear message"; }
refused -p opensnoop -p execsnoop --filter 'pid == 1'
grep -qF "name the plugin it is for, as 'PLUGIN: pid == 1'" "$TMPD/err3" ||
	{ cat "$TMPD/err3"; fail "no plugin named: unclear message"; }

echo "PASS: --filter keeps only the matching execs (with argv) and opens, refuses mistakes clearly:
  $line"
