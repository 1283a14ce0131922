#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# syscount's sampled maps, read every second: a bash process (option target_pid)
# waits on a FIFO, then calls kill(itself, 0) 200 times and kill(999999, 0) 50 times
# (ESRCH) with its kill builtin. Summed over the readings, map syscalls must count
# kill 250 times with 50 errors, map procs must hold only that process, as bash, and
# the latency histogram must count every syscall the other maps count. Then with
# failed_only, in text mode, only the 50 failed kills are left, and so with
# target_errno=3 (ESRCH), and none with target_errno=1 (EPERM). The burst starts
# right after a reading, so no read can race with it.
# Needs jq (Debian package jq).
. "$(dirname "$0")/lib.sh"
need_root
command -v jq > /dev/null || skip "needs jq (Debian package jq) to read the JSON lines"

OK=200
FAILED=50

# A bash that runs the burst once the FIFO is opened for writing.
start_target() {
	rm -f "$TMPD/go"
	mkfifo "$TMPD/go" || fail "cannot make a FIFO in $TMPD"
	bash -c 'read -r _ < "$1"
		for ((i = 0; i < $2; i++)); do kill -0 $$; done
		for ((i = 0; i < $3; i++)); do kill -0 999999; done 2> /dev/null
		exit 0' \
		sh "$TMPD/go" "$OK" "$FAILED" 9>&- &
	target=$!
}

# Wait until the agent has printed more than $1 readings of map syscalls ($2: how
# a reading's first line looks); set $readings to their number.
wait_reading() {
	for _ in $(seq 1 50); do
		readings=$(grep -c "$2" "$TMPD/out")
		[ "$readings" -gt "$1" ] && return 0
		sleep 0.1
	done
	cat "$TMPD/err"
	fail "syscount printed no reading of map syscalls in 5 s (have $readings)"
}

# Run the target under an agent started with "$@"; $1 is how a reading of map
# syscalls starts in that output mode.
run_burst() {
	local first=$1
	shift
	start_target
	start_agent -p syscount --arg "syscount.target_pid=$target" "$@"
	# Text leaves empty readings out: only JSON shows the idle target's.
	case $first in
	'^{'*) wait_reading 0 "$first" ;;
	esac
	echo go > "$TMPD/go"
	wait "$target" || fail "the target bash $target failed"
	# One more reading, taken after the target exited, holds its last counts. In
	# text it is empty (the target is gone) and says nothing: give it two intervals.
	case $first in
	'^{'*) wait_reading "$readings" "$first" ;;
	*) sleep 2.2 ;;
	esac
	stop_agent
	[ "$AGENT_RC" = 0 ] || { cat "$TMPD/err"; fail "emf-agent exited with $AGENT_RC"; }
}

# 1. JSON: counts per syscall and per process, and the histogram.
run_burst '^{"plugin":"syscount","map":"syscalls",' --json
# Readings come as whole JSON lines of the documented shapes.
jq -e -s 'length > 0 and all(.[]; .plugin == "syscount" and
	((.map == "syscalls" or .map == "procs") and (.entries | type == "array")
	 or .map == "latency_ns" and (.hist | type == "array")))' "$TMPD/out" > /dev/null ||
	{ head -3 "$TMPD/out"; fail "syscount printed lines that are not readings of its three maps"; }

# Every syscall is a number with its name beside it, in every reading (never a name instead).
jq -e -s '[.[] | select(.map == "syscalls") | .entries[].key |
	(.syscall | type) == "number" and (.syscall_name | type) == "string"] | all' "$TMPD/out" > /dev/null ||
	fail "map syscalls has a key whose syscall is not a number with a syscall_name"
read -r count errors ns < <(jq -r -s '[.[] | select(.map == "syscalls") | .entries[] |
	select(.key.syscall == 62 and .key.syscall_name == "kill") | .value] |
	"\(map(.count) | add // 0) \(map(.errors) | add // 0) \(map(.total_ns) | add // 0)"' "$TMPD/out")
[ "$count" = $((OK + FAILED)) ] && [ "$errors" = "$FAILED" ] ||
	{ grep '"map":"syscalls"' "$TMPD/out"; fail "map syscalls counts kill $count times with $errors errors, want $((OK + FAILED)) with $FAILED"; }
[ "$ns" -gt 0 ] || fail "map syscalls has no time spent in kill"

others=$(jq -r -s --argjson pid "$target" '[.[] | select(.map == "procs") | .entries[] |
	select(.key.pid != $pid or .key.comm != "bash")] | length' "$TMPD/out")
[ "$others" = 0 ] || { grep '"map":"procs"' "$TMPD/out"; fail "map procs holds $others entries besides bash $target with target_pid=$target"; }
procs=$(jq -s '[.[] | select(.map == "procs") | .entries[].value.count] | add // 0' "$TMPD/out")
total=$(jq -s '[.[] | select(.map == "syscalls") | .entries[].value.count] | add // 0' "$TMPD/out")
hist=$(jq -s '[.[] | select(.map == "latency_ns") | .hist[].count] | add // 0' "$TMPD/out")
[ "$total" -ge $((OK + FAILED)) ] && [ "$procs" = "$total" ] ||
	fail "map procs counts $procs syscalls of bash $target, map syscalls $total: want the same, at least $((OK + FAILED))"
[ "$hist" = "$total" ] || fail "histogram latency_ns counts $hist syscalls, map syscalls $total"
jq -e -s '[.[] | select(.map == "latency_ns") | .hist[] |
	select(.high != (if .low == 0 then 1 else .low * 2 - 1 end))] | length == 0' "$TMPD/out" > /dev/null ||
	fail "histogram latency_ns has slots that are not [2^i, 2^(i+1)-1]"
json_line=$(grep -m1 '"syscall":62,"syscall_name":"kill"' "$TMPD/out" | cut -c1-200)
first=$target
check_no_leak

# 2. failed_only, in text mode: only the failed kills, in the table of map syscalls.
run_burst '^[0-9:.]* syscount syscalls' --arg syscount.failed_only=true --top 0
grep -q '^SYSCALL  *COUNT  *ERRORS  *TOTAL_NS *$' "$TMPD/out" ||
	{ head -5 "$TMPD/out"; fail "no table header for map syscalls in text mode"; }
read -r count errors < <(awk '$1 == "kill" { c += $2; e += $3 } END { print c + 0, e + 0 }' "$TMPD/out")
[ "$count" = "$FAILED" ] && [ "$errors" = "$FAILED" ] ||
	{ cat "$TMPD/out"; fail "with failed_only, kill counted $count times with $errors errors, want $FAILED and $FAILED"; }
# Every row of map syscalls counts failures only.
bad=$(awk '$2 == "syscount" { m = $3; next } m == "syscalls" && $2 ~ /^[0-9]+$/ && $2 != $3' "$TMPD/out")
# The tables come sorted by count, largest first.
unsorted=$(awk '$2 == "syscount" { m = $3; prev = -1; next }
	m == "syscalls" && $2 ~ /^[0-9]+$/ { if (prev >= 0 && $2 > prev) print; prev = $2 }' "$TMPD/out")
[ -z "$unsorted" ] || fail "rows of map syscalls not sorted by count: $unsorted"
[ -z "$bad" ] || fail "with failed_only, rows with successful syscalls: $bad"
check_no_leak

# 3. target_errno, as libbpf-tools' syscount -e: ESRCH (3) keeps the failed kills only,
#    EPERM (1), which no kill of the burst returns, none of them.
run_burst '^[0-9:.]* syscount syscalls' --arg syscount.target_errno=3 --top 0
read -r count errors < <(awk '$1 == "kill" { c += $2; e += $3 } END { print c + 0, e + 0 }' "$TMPD/out")
[ "$count" = "$FAILED" ] && [ "$errors" = "$FAILED" ] ||
	{ cat "$TMPD/out"; fail "with target_errno=3, kill counted $count times with $errors errors, want $FAILED and $FAILED"; }
check_no_leak
run_burst '^[0-9:.]* syscount syscalls' --arg syscount.target_errno=1 --top 0
grep -q '^kill ' "$TMPD/out" && { cat "$TMPD/out"; fail "with target_errno=1 (EPERM), kill was counted"; }
check_no_leak

echo "PASS: bash $first: kill counted $((OK + FAILED)) times, $FAILED failed, $total syscalls in every map; bash $target with failed_only or target_errno=3: $FAILED kills, with target_errno=1: none"
echo "  $json_line..."
