#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Maps sized by user space. usersized's map seen declares no max_entries and its stack
# map no value size, as tools whose own C code sets them: each gets a default and one
# note naming it, and the plugin runs. --map-size sizes a map before load (counts gets
# a slot 63, and the kernel's map has 64 entries). A size the kernel refuses, and a
# map that is not there, fail the start with one message naming the map.
. "${top_srcdir:-.}/tests/kernel/lib.sh"
need_root
so="$top_builddir/tests/plugins/usersized/usersized.emf.so"
[ -f "$so" ] || fail "test plugin not built: $so"

start_agent --json --plugin "$so" -p usersized --map-size usersized.counts=64
for m in seen stacks; do
	[ "$(grep -c "note: plugin 'usersized': map '$m' declares no max_entries (its tool's user space sized it): using 10240; size it with .*--map-size usersized.$m=N" "$TMPD/err")" = 1 ] ||
		{ cat "$TMPD/err"; fail "no single note for map $m without max_entries"; }
done
grep -q "note: plugin 'usersized': stack map 'stacks' declares no value size .*: using 127 frames" "$TMPD/err" ||
	{ cat "$TMPD/err"; fail "no note for stack map stacks without value size"; }
# The kernel's maps, among those the agent holds.
while read -r kind id; do
	[ "$kind" = map ] && bpftool map show id "$id"
done < "$TMPD/owned" > "$TMPD/maps"
grep -A1 " name counts " "$TMPD/maps" | grep -q "max_entries 64 " || { cat "$TMPD/maps"; fail "map counts does not have the 64 entries --map-size gave"; }
grep -A1 " name seen " "$TMPD/maps" | grep -q "max_entries 10240 " || { cat "$TMPD/maps"; fail "map seen does not have the default 10240 entries"; }
grep -A1 " name stacks " "$TMPD/maps" | grep -q "value 1016B" || { cat "$TMPD/maps"; fail "map stacks does not have 127 frames of value"; }
"$(type -P true)" &
child=$!
wait $child
wait_out "\"pid\":$child,"
stop_agent
[ "$AGENT_RC" = 0 ] || { cat "$TMPD/err"; fail "emf-agent exited with $AGENT_RC"; }
grep -q "^{\"plugin\":\"usersized\",\"event\":\"sized\",\"time\":\"[^\"]*\",\"pid\":$child,\"in_seen\":1,\"has_slot_63\":1,\"stack_id\":[0-9]" "$TMPD/out" ||
	{ head -3 "$TMPD/out"; fail "no event for the exec of pid $child through all three maps"; }
check_no_leak
echo "ok: defaults and --map-size applied: $(grep -m1 "\"pid\":$child," "$TMPD/out")"

# A size the kernel refuses: the map, its shape and the reason, once.
"$AGENT" --plugin "$so" -p usersized --map-size usersized.counts=4000000000 -d 0.3 > /dev/null 2> "$TMPD/err2" 9>&-
[ $? = 1 ] || { cat "$TMPD/err2"; fail "a map the kernel cannot create did not fail the start"; }
[ "$(grep -c "plugin 'usersized' failed to load: the kernel refused to create map 'counts' (array, key 4 B, value 8 B, max_entries 4000000000): " "$TMPD/err2")" = 1 ] ||
	{ cat "$TMPD/err2"; fail "the refusal does not name map counts once"; }
# No such map.
"$AGENT" --plugin "$so" -p usersized --map-size usersized.nosuch=5 -d 0.3 > /dev/null 2> "$TMPD/err3" 9>&-
[ $? = 1 ] || fail "--map-size of a missing map did not fail"
grep -q "plugin 'usersized' failed to open (it has no map 'nosuch' to size)" "$TMPD/err3" || { cat "$TMPD/err3"; fail "no message naming the missing map"; }
# Bad usage.
"$AGENT" --plugin "$so" -p usersized --map-size usersized.counts=0 -d 0.3 > /dev/null 2> "$TMPD/err4" 9>&-
[ $? = 2 ] || { cat "$TMPD/err4"; fail "--map-size with 0 entries: not a usage error"; }
echo "PASS: maps without a size got defaults with a note, --map-size applied, refusals name the map"
