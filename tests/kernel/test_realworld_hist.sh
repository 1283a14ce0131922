#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Maps show themselves. sleeplat (tests/codegen/realworld/sleeplat) is written as
# libbpf-tools' runqlat is, with no emf annotation: a start map of tid -> timestamp it
# deletes from, a hash of pid -> struct hist { slots[]; comm[] } and a counter hash of
# pid -> calls. A Python process sleeps 3 times 5.5 ms and 2 times 20 ms with
# nanosleep(), relative (time.sleep() sleeps to an absolute deadline, which a process
# delayed on a loaded machine reaches early). When the agent stops, it must print
# that process's histogram as print_log2_hist() does (every slot from 0 to the
# highest used, 5 sleeps: none under 4096 us, at least 2 from 16384 us) and its
# calls row (5), in text and in JSON, and never the start map. With --interval the histograms print every interval, each
# covering only that interval, and add up to the same 5. Nothing is left in the kernel.
# Needs python3 and jq.
. "$(dirname "$0")/lib.sh"
need_root
command -v python3 > /dev/null || skip "needs python3 for the sleeping workload"
command -v jq > /dev/null || skip "needs jq (Debian package jq) to read the JSON lines"
[ -d /sys/kernel/tracing/events/syscalls/sys_enter_clock_nanosleep ] ||
	[ -d /sys/kernel/debug/tracing/events/syscalls/sys_enter_clock_nanosleep ] ||
	mount -t tracefs nodev /sys/kernel/tracing 2> /dev/null
so="$top_builddir/tests/codegen/realworld/sleeplat/sleeplat.emf.so"
[ -f "$so" ] || fail "$so not built (make check builds it)"

# A process that sleeps 3 x 5.5 ms and 2 x 20 ms once a line arrives on fd 0; its pid in $WPID.
start_workload() {
	rm -f "$TMPD/go"
	mkfifo "$TMPD/go"
	python3 -c 'import ctypes, sys
libc = ctypes.CDLL(None, use_errno=True)
class timespec(ctypes.Structure):
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_nsec", ctypes.c_long)]
sys.stdin.readline()
for ns in (5500000, 5500000, 5500000, 20000000, 20000000):
    if libc.nanosleep(ctypes.byref(timespec(0, ns)), None):
        sys.exit("nanosleep: errno %d" % ctypes.get_errno())' < "$TMPD/go" &
	WPID=$!
	exec 7> "$TMPD/go"
}
run_workload() {
	echo go >&7
	exec 7>&-
	wait "$WPID" || fail "the sleeping workload failed"
}

# "low count" lines of text histogram rows on stdin; fails on a row out of sequence.
hist_rows() {
	awk 'BEGIN { want = 0 }
	/^ *[0-9]+ -> [0-9]+ *: [0-9]+ *\|/ {
		low = $1; high = $3; n = $5
		exp_low = want ? 2 ^ want : 0
		if (low != exp_low || high != 2 ^ (want + 1) - 1) { print "BAD", $0; exit }
		print low, n; want++ }'
}

# check_counts WHAT "low count" lines: 5 sleeps, none below 4096 us, at least 2 from
# 16384 us (a sleep takes at least what was asked, maybe more on a busy machine).
check_counts() {
	local what=$1 rows=$2 total low high
	grep -q BAD <<< "$rows" && fail "$what: histogram rows out of print_log2_hist() order: $rows"
	total=$(awk '{ t += $2 } END { print t + 0 }' <<< "$rows")
	low=$(awk '$1 < 4096 { t += $2 } END { print t + 0 }' <<< "$rows")
	high=$(awk '$1 >= 16384 { t += $2 } END { print t + 0 }' <<< "$rows")
	[ "$total" = 5 ] || fail "$what: $total sleeps counted, want 5: $(tr '\n' ' ' <<< "$rows")"
	[ "$low" = 0 ] || fail "$what: $low sleeps counted under 4096 us, want 0 (each slept 5.5 ms or more)"
	[ "$high" -ge 2 ] || fail "$what: $high sleeps counted from 16384 us, want at least 2 (20 ms each)"
}

# 1. Text, filtered to the workload as runqlat -p does: one histogram, one calls row.
start_workload
start_agent --plugin "$so" -p sleeplat --arg "sleeplat.targ_tgid=$WPID" --time=none
run_workload
stop_agent
[ "$AGENT_RC" = 0 ] || { cat "$TMPD/err"; fail "emf-agent exited with $AGENT_RC"; }
check_no_leak
grep -q '^sleeplat hists (log2 histogram)$' "$TMPD/out" ||
	{ cat "$TMPD/out"; fail "no histogram title 'sleeplat hists (log2 histogram)'"; }
grep -qx "key = $WPID, comm = python3" "$TMPD/out" ||
	{ cat "$TMPD/out"; fail "no line naming the workload's histogram 'key = $WPID, comm = python3'"; }
grep -qx '     value               : count    distribution' "$TMPD/out" ||
	{ cat "$TMPD/out"; fail "no print_log2_hist() header line"; }
rows=$(sed -n "/^key = $WPID, comm = python3\$/,/^\$/p" "$TMPD/out" | hist_rows)
check_counts "text" "$rows"
max=$(awk '{ if ($2 > m) m = $2 } END { print m }' <<< "$rows")
grep -E "^ *[0-9]+ -> [0-9]+ *: $max +\|\*{40}\|\$" "$TMPD/out" > /dev/null ||
	{ cat "$TMPD/out"; fail "the largest slot ($max) has no bar of 40 stars"; }
grep -A1 '^sleeplat calls$' "$TMPD/out" | grep -qx 'KEY            VALUE' ||
	{ cat "$TMPD/out"; fail "no counter table 'sleeplat calls' with KEY VALUE columns"; }
calls=$(sed -n '/^sleeplat calls$/,/^$/p' "$TMPD/out" | awk -v p="$WPID" '$1 == p { print $2 }')
[ "$calls" = 5 ] || { cat "$TMPD/out"; fail "calls of pid $WPID: '$calls', want 5"; }
grep -q '^sleeplat start' "$TMPD/out" && { cat "$TMPD/out"; fail "the start map (tid -> timestamp, deleted from) was printed"; }
echo "ok: text: $(sed -n "/^key = $WPID/,/^\$/p" "$TMPD/out" | grep -cE ' -> ') slots, calls $calls"
sed -n "/^sleeplat hists/,\$p" "$TMPD/out" | sed 's/^/  /'

# 2. JSON, every process: the workload's entry among the others.
start_workload
start_agent --plugin "$so" -p sleeplat --json
run_workload
stop_agent
[ "$AGENT_RC" = 0 ] || { cat "$TMPD/err"; fail "emf-agent --json exited with $AGENT_RC"; }
check_no_leak
h=$(grep '^{"plugin":"sleeplat","map":"hists","hists":\[' "$TMPD/out")
[ "$(wc -l <<< "$h")" = 1 ] || { cat "$TMPD/out"; fail "want one JSON line of map hists at the end"; }
rows=$(jq -r --argjson p "$WPID" '.hists[] | select(.key == $p) | .hist[] | "\(.low) \(.count)"' <<< "$h")
[ -n "$rows" ] || fail "no histogram of pid $WPID in: $h"
[ "$(jq -r --argjson p "$WPID" '.hists[] | select(.key == $p) | .comm' <<< "$h")" = python3 ] ||
	fail "the histogram of pid $WPID lacks \"comm\":\"python3\": $h"
# Buckets from slot 0, each [2^i, 2^(i+1)-1] (slot 0: [0, 1]).
jq -e --argjson p "$WPID" '.hists[] | select(.key == $p) | .hist | to_entries |
	all(.value.low == (if .key == 0 then 0 else pow(2; .key) end) and
	    .value.high == pow(2; .key + 1) - 1)' <<< "$h" > /dev/null ||
	fail "JSON buckets of pid $WPID are not slots 0, 1, 2... with log2 bounds: $h"
check_counts "JSON" "$rows"
c=$(grep '^{"plugin":"sleeplat","map":"calls","entries":\[' "$TMPD/out" |
	jq -r --argjson p "$WPID" '.entries[] | select(.key == $p) | .value')
[ "$c" = 5 ] || fail "JSON calls of pid $WPID: '$c', want 5"
grep -q '"map":"start"' "$TMPD/out" && fail "the start map was printed in JSON"
echo "ok: JSON: pid $WPID: $(tr '\n' ' ' <<< "$rows")calls $c"

# 3. --interval: a reading per interval, each of its own interval (cleared after),
# adding up to the same sleeps.
start_workload
start_agent --plugin "$so" -p sleeplat --arg "sleeplat.targ_tgid=$WPID" --json --interval 0.2
sleep 0.5
run_workload
sleep 0.5
stop_agent
[ "$AGENT_RC" = 0 ] || { cat "$TMPD/err"; fail "emf-agent --interval exited with $AGENT_RC"; }
check_no_leak
n=$(grep -c '"map":"hists"' "$TMPD/out")
[ "$n" -ge 4 ] || { cat "$TMPD/out"; fail "$n readings of hists in about 1.4 s at --interval 0.2, want 4 or more"; }
rows=$(grep '"map":"hists"' "$TMPD/out" |
	jq -r --argjson p "$WPID" '.hists[] | select(.key == $p) | .hist[] | "\(.low) \(.count)"' |
	awk '{ t[$1] += $2 } END { for (l in t) print l, t[l] }' | sort -n)
check_counts "--interval" "$rows"
total=$(grep '"map":"calls"' "$TMPD/out" |
	jq -r --argjson p "$WPID" '.entries[] | select(.key == $p) | .value' | awk '{ t += $1 } END { print t }')
[ "$total" = 5 ] || fail "calls of pid $WPID over all intervals: $total, want 5 (each interval its own)"
echo "ok: --interval 0.2: $n readings adding up to $(tr '\n' ' ' <<< "$rows")calls $total"
echo "PASS: sleeplat's histogram and counters printed, its start map not"
