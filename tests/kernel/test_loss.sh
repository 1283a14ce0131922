#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Loss is never silent. A generator makes exactly N events, as fast as it can, while
# the agent reads slowly or not at all (stopped with SIGSTOP), through a tiny buffer:
# - the bundled opensnoop (emf_reserve()/emf_submit()), filtered to the generator, which
#   opens one unique path N times;
# - ringflood, an unchanged plain-libbpf program (tests/codegen/realworld/ringflood),
#   through each of its outputs: bpf_ringbuf_reserve()/submit() into rb,
#   bpf_ringbuf_output() into rb_out (both counted by emf-codegen's shim, per map), and
#   bpf_perf_event_output() into perf_events (counted by the kernel);
# - opensnoop with the default ring under a storm, in text and in JSON.
# Each time, delivered + reported lost == N, and a loss is warned about once, naming
# the plugin, the output, the count and --ring-size.
. "$(dirname "$0")/lib.sh"
need_root

GEN="$top_builddir/tests/kernel/loss_gen"
RINGFLOOD="$top_builddir/tests/codegen/realworld/ringflood/ringflood.emf.so"
[ -x "$GEN" ] || fail "$GEN is not built"
[ -r "$RINGFLOOD" ] || fail "$RINGFLOOD is not built"
target="$TMPD/emfloss$$"
echo data > "$target"
figures=

# run NAME N STALL KIND ARG -- FILTER AGENT_ARGS... (FILTER gets "=PID" appended)
# Starts the generator (waiting on a pipe), the agent filtered to its pid, releases
# the generator (with the agent stopped when STALL is "stall", or "stall+1": then the
# generator makes one more call once the agent has read the rest, for a perf buffer
# reports its losses with the next sample it can hold), then stops the agent.
# Sets gpid (the generator's) and rate (its calls per second).
run() {
	local name=$1 n=$2 stall=$3 kind=$4 arg=$5 filter=$7
	shift 7
	# On one CPU: a perf buffer reports a loss with the next sample of the same CPU's
	# buffer, so the one more call must land where the losses were.
	coproc GENP { exec taskset -c 0 "$GEN" "$kind" "$arg" "$n"; }
	local gin=${GENP[1]} gout=${GENP[0]}
	gpid=$GENP_PID
	start_agent "$@" -a "$filter=$gpid"
	[ "$stall" != run ] && kill -STOP "$AGENT_PID"
	printf g >&"$gin"
	read -r rate <&"$gout"
	[ "$stall" != run ] && kill -CONT "$AGENT_PID"
	sleep 0.5
	if [ "$stall" = stall+1 ]; then
		printf g >&"$gin"
		sleep 0.5
	fi
	eval "exec $gin>&-"
	wait "$gpid" || fail "$name: the generator failed"
	stop_agent
	[ "$AGENT_RC" = 0 ] || { cat "$TMPD/err"; fail "$name: emf-agent exited with $AGENT_RC"; }
	check_no_leak
}

# The LOST column of row $1 of the counters the agent prints at exit.
lost_of() {
	awk -v row="$1" '$1 == row && $3 ~ /^[0-9]+$/ { print $3; exit }' "$TMPD/err"
}

# check NAME N DELIVERED PLUGIN OUTPUT STATS_ROW [json]
check() {
	local name=$1 n=$2 got=$3 plugin=$4 output=$5 row=$6 lost warned
	lost=$(lost_of "$row")
	if [ "$got" -lt "$n" ] || [ -n "$lost" ]; then
		[ -n "$lost" ] || { cat "$TMPD/err"; fail "$name: $got of $n delivered, no loss shown"; }
	else
		lost=0
	fi
	[ $((got + lost)) = "$n" ] ||
		{ cat "$TMPD/err"; fail "$name: $got delivered + $lost lost != $n"; }
	warned=$(grep -c "^emf-agent: warning: plugin '$plugin' lost [0-9]* events on output '$output': .*--ring-size $plugin:$output=BYTES" "$TMPD/err")
	if [ "$lost" -gt 0 ]; then
		[ "$warned" = 1 ] || { cat "$TMPD/err"; fail "$name: $warned loss warnings, want 1"; }
	else
		[ "$warned" = 0 ] || { cat "$TMPD/err"; fail "$name: a loss warning without a loss"; }
	fi
	if [ "${7:-}" = json ]; then
		# The stream carries the losses too: they add up to the total.
		local sum
		sum=$(grep "^{\"plugin\":\"$plugin\",\"output\":\"$output\",\"lost\":" "$TMPD/out" |
			sed 's/.*"lost":\([0-9]*\),.*/\1/' | awk '{ s += $1 } END { print s + 0 }')
		[ "$sum" = "$lost" ] || fail "$name: the JSON loss records add up to $sum, not $lost"
	fi
	figures="$figures
  $name: N $n, delivered $got, lost $lost (generator at $rate calls/s)"
}

# The bundled opensnoop through a 4 KiB ring: stopped reader, then a slow one.
opens() {
	grep -c "\"path\":\"$target\"}$" "$TMPD/out"
}
run "opensnoop 4 KiB ring, reader stopped" 20000 stall open "$target" -- opensnoop.target_pid \
	--json -p opensnoop --ring-size opensnoop=4k
check "opensnoop 4 KiB ring, reader stopped" 20000 "$(opens)" opensnoop events opensnoop json
[ "$(lost_of opensnoop)" -gt 0 ] || fail "a stopped reader lost nothing: the ring is not 4 KiB"
run "opensnoop 4 KiB ring, reader running" 200000 run open "$target" -- opensnoop.target_pid \
	--json -p opensnoop --ring-size opensnoop=4k
check "opensnoop 4 KiB ring, reader running" 200000 "$(opens)" opensnoop events opensnoop json

# The unchanged program, one output at a time; its other outputs must show no loss.
ringflood_case() {
	local output=$1 arg=$2 size=$3 stall=$5 n=20000 got other
	[ "$stall" = stall+1 ] && n=20001
	run "ringflood $output ($4), reader stopped" 20000 "$stall" getpgid "$arg" -- \
		ringflood.targ_pid --json --plugin "$RINGFLOOD" -p ringflood \
		--ring-size "ringflood:$output=$size"
	got=$(grep -c "^{\"plugin\":\"ringflood\",\"event\":\"event\",\"time\":\"[^\"]*\",\"pid\":$gpid," "$TMPD/out")
	check "ringflood $output ($4), reader stopped" "$n" "$got" ringflood "$output" "$output" json
	[ "$(lost_of "$output")" -gt 0 ] || fail "ringflood $output: a stopped reader lost nothing"
	for other in rb rb_out perf_events; do
		[ "$other" = "$output" ] && continue
		[ "$(lost_of "$other")" = 0 ] ||
			{ cat "$TMPD/err"; fail "ringflood: the loss of $output was counted under $other"; }
	done
}
ringflood_case rb 1 4k "bpf_ringbuf_reserve/submit, 4 KiB ring" stall
ringflood_case rb_out 2 4k "bpf_ringbuf_output, 4 KiB ring" stall
ringflood_case perf_events 3 4k "bpf_perf_event_output, 4 KiB per CPU, one more event" stall+1

# The default ring under a storm of opens, as fast as the generator goes.
run "opensnoop default ring, storm, text" 300000 run open "$target" -- opensnoop.target_pid \
	-p opensnoop
check "opensnoop default ring, storm, text" 300000 "$(grep -c " $target\$" "$TMPD/out")" \
	opensnoop events opensnoop
run "opensnoop default ring, storm, JSON" 300000 run open "$target" -- opensnoop.target_pid \
	--json -p opensnoop
check "opensnoop default ring, storm, JSON" 300000 "$(opens)" opensnoop events opensnoop json

echo "PASS: delivered + reported lost == N in every case:$figures"
