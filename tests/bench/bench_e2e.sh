#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# End to end, side by side in one run: a generator opens one file $E2E_N times as fast
# as it can, and each tool, filtered to the generator's pid, writes a line per open to
# a file. For each tool: events delivered (lines naming the file), losses the tool
# itself reported, and the opens/s the generator sustained while traced:
#   emf_text      emf-agent -p opensnoop (default ring)
#   emf_json      emf-agent --json -p opensnoop
#   libbpf_tools  libbpf-tools' opensnoop -p PID
#   bpftrace      bpftrace, openat enter/exit of PID, printing pid, fd and path
# Targets: emf delivers every open or reports every loss (delivered + lost == N), at
# twice the rate libbpf-tools' opensnoop sustains or more, in text and in JSON.
. "$(dirname "$0")/benchlib.sh"
need_root e2e
GEN="$top_builddir/tests/kernel/loss_gen"
E2E_N=${EMF_BENCH_E2E_N:-300000}
[ -x "$GEN" ] || { skipped e2e "$GEN is not built (make tests/kernel/loss_gen)"; exit 0; }
target="$TMPD/e2etarget"
echo data > "$target"

# Wait until the peer says $1 is ready (a line of its output matching $1), or, for
# "link", holds a BPF link (it has attached); then a moment for the rest.
wait_attached() {
	local i pid
	if [ "$1" != link ]; then
		wait_for "$TMPD/out" "$1" 30 && sleep 0.3
		return
	fi
	for i in $(seq 1 600); do
		pid=$(peer_child)
		[ -n "$pid" ] && ls -l /proc/"$pid"/fd 2> /dev/null | grep -q 'bpf[-_]link' &&
			{ sleep 0.3; return 0; }
		kill -0 "$PEER_PID" 2> /dev/null || return 1
		sleep 0.05
	done
	return 1
}

# Lines of $TMPD/out, once they have stopped growing for a second (at most 60 s).
settled_count() {
	local n=-1 m i
	for i in $(seq 1 60); do
		m=$(grep -c "$1" "$TMPD/out")
		[ "$m" = "$n" ] && break
		n=$m
		sleep 1
	done
	echo "$n"
}

# run NAME READY LOST_CMD TOOL_ARGS... (READY: see wait_attached; the generator's pid
# replaces @PID@ in TOOL_ARGS)
run() {
	local name=$1 ready=$2 lost_cmd=$3 pattern=$target args=() a got lost rate
	shift 3
	coproc GENP { exec timeout -k 2 "$PEER_SECONDS" "$GEN" open "$target" "$E2E_N" 2> /dev/null; }
	local gin=${GENP[1]} gout=${GENP[0]} gpid=$GENP_PID
	for a in "$@"; do args+=("${a//@PID@/$(pgrep -P "$gpid" | head -1)}"); done
	start_peer "${args[@]}"
	if ! wait_attached "$ready"; then
		eval "exec $gin>&-"
		wait "$gpid"
		stop_peer
		skipped "e2e_$name" "it did not attach: $(head -c 300 "$TMPD/err" | tr '\n' ' ')"
		return 1
	fi
	printf g >&"$gin"
	read -r rate <&"$gout"
	eval "exec $gin>&-"
	wait "$gpid"
	settled_count "$pattern" > /dev/null
	stop_peer
	got=$(grep -c "$pattern" "$TMPD/out")
	lost=$($lost_cmd)
	bench "e2e_${name}_delivered $got events"
	bench "e2e_${name}_lost_reported ${lost:-0} events"
	bench "e2e_${name}_opens_per_sec ${rate%.*} opens/s"
	RATE=${rate%.*} GOT=$got LOST=${lost:-0}
}

# emf-agent --stats: the LOST and READS columns of opensnoop's row.
emf_lost() { awk '$1 == "opensnoop" && $3 ~ /^[0-9]+$/ { print $3; exit }' "$TMPD/err"; }
tools_lost() {
	sed -n 's/^Lost \([0-9]*\) events.*/\1/p' "$TMPD/err" "$TMPD/out" | awk '{ s += $1 } END { print s + 0 }'
}

coproc GENP { exec timeout -k 2 "$PEER_SECONDS" "$GEN" open "$target" "$E2E_N"; }
printf g >&"${GENP[1]}"
read -r rate <&"${GENP[0]}"
eval "exec ${GENP[1]}>&-"
wait "$GENP_PID"
bench "e2e_untraced_opens_per_sec ${rate%.*} opens/s"
bench "e2e_events $E2E_N events"

declare -A R OK
for mode in text json; do
	json=
	[ $mode = json ] && json=--json
	if run "emf_$mode" link emf_lost "$AGENT" $json --stats -p opensnoop \
		-a opensnoop.target_pid=@PID@; then
		R[emf_$mode]=$RATE
		OK[emf_$mode]=$((GOT + LOST == E2E_N))
		reads=$(awk '$1 == "opensnoop" && $5 ~ /^[0-9]+$/ { print $5; exit }' "$TMPD/err")
		[ -n "$reads" ] && [ "$reads" -gt 0 ] &&
			bench "e2e_emf_${mode}_events_per_read $((GOT / reads)) events"
	fi
done
if [ -x /usr/sbin/opensnoop ]; then
	run libbpf_tools link tools_lost /usr/sbin/opensnoop -p @PID@ && R[libbpf_tools]=$RATE
else
	skipped e2e_libbpf_tools "libbpf-tools not installed (apt-get install libbpf-tools)"
fi
if command -v bpftrace > /dev/null; then
	run bpftrace "^ready" tools_lost bpftrace -e "
BEGIN { printf(\"ready\\n\"); }
tracepoint:syscalls:sys_enter_openat /pid == @PID@/ { @f[tid] = args->filename; }
tracepoint:syscalls:sys_exit_openat /@f[tid]/ { printf(\"%d %d %s\\n\", pid, args->ret, str(@f[tid])); delete(@f[tid]); }"
else
	skipped e2e_bpftrace "bpftrace not installed (apt-get install bpftrace)"
fi
if [ -n "${R[libbpf_tools]:-}" ] && [ -n "${R[emf_text]:-}" ] && [ -n "${R[emf_json]:-}" ]; then
	lo=$((R[emf_text] < R[emf_json] ? R[emf_text] : R[emf_json]))
	ratio=$(awk -v a="$lo" -v b="${R[libbpf_tools]}" 'BEGIN { printf "%.2f", a / b }')
	bench "e2e_emf_vs_libbpf_tools_ratio $ratio x (the slower of text and JSON)"
	bench "target_e2e_emf_ge_2x_libbpf_tools $(awk -v r="$ratio" 'BEGIN { print (r >= 2) }') bool"
fi
[ -n "${OK[emf_text]:-}" ] && [ -n "${OK[emf_json]:-}" ] &&
	bench "target_e2e_emf_counts_every_event $((OK[emf_text] && OK[emf_json])) bool"
exit 0
