#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# What a tracer costs when nothing happens, side by side in one run: wake-ups (context
# switches of all its threads) per second and CPU over $IDLE_SECONDS once it runs, of
#   emf_all                emf-agent with every bundled plugin, each filter it has set
#                          to pid 1 (netcount and xdpdispatch on a veth pair of their own)
#   emf_opensnoop          emf-agent -p opensnoop, filtered to pid 1
#   libbpf_tools_opensnoop libbpf-tools' opensnoop -p 1
#   bpftrace_opensnoop     bpftrace, openat exits of pid 1
# The machine is whatever it is: plugins without a filter (execsnoop, tcpstates) see
# what other processes do. Targets: emf_all <= 10 wake-ups/s and <= 0.1% CPU.
. "$(dirname "$0")/benchlib.sh"
need_root idle
IDLE_SECONDS=${EMF_BENCH_IDLE_SECONDS:-5}

# measure NAME READY_FILE READY_PATTERN CMD... : prints its figures, sets WPS and CPU.
measure() {
	local name=$1 file=$2 pattern=$3 pid s0 s1 c0 c1
	shift 3
	WPS= CPU=
	start_peer "$@"
	if ! wait_for "$TMPD/$file" "$pattern" 30; then
		stop_peer
		skipped "idle_${name}" "it did not start: $(head -c 300 "$TMPD/err" | tr '\n' ' ')"
		return 1
	fi
	pid=$(peer_child)
	sleep 1
	s0=$(ctx_switches "$pid") c0=$(cpu_ns "$pid")
	sleep "$IDLE_SECONDS"
	s1=$(ctx_switches "$pid") c1=$(cpu_ns "$pid")
	stop_peer
	WPS=$(awk -v n=$((s1 - s0)) -v t="$IDLE_SECONDS" 'BEGIN { printf "%.1f", n / t }')
	CPU=$(awk -v n=$((c1 - c0)) -v t="$IDLE_SECONDS" 'BEGIN { printf "%.3f", n / 1e9 / t * 100 }')
	bench "idle_${name}_wakeups_per_sec $WPS wakeups/s"
	bench "idle_${name}_cpu_percent $CPU %"
}

IF="emfidle$$"
ip link add "${IF}a" type veth peer name "${IF}b" 2> /dev/null && trap '[ "$BASHPID" = "$$" ] && ip link del "${IF}a" 2> /dev/null; bench_cleanup' EXIT
args=()
for o in $("$AGENT" --list 2> /dev/null | awk '$1 ~ /^--arg$/ && $2 ~ /_pid=/ { sub(/=.*/, "", $2); print $2 }'); do
	args+=(--arg "$o=1")
done
if measure all err "^emf-agent: running" "$AGENT" --stats "${args[@]}" \
	--arg "netcount.ifname=${IF}a" --arg "xdpdispatch.ifname=${IF}b"; then
	# What the machine did meanwhile: each event is a wake-up the agent owed it.
	bench "idle_all_events_seen $(awk '$1 == "PLUGIN" { t = 1; next } $1 == "SLOT" { t = 0 } t && $1 !~ /^ / && $2 ~ /^[0-9]+$/ { s += $2 } END { print s + 0 }' "$TMPD/err") events"
	bench "idle_all_plugins_running $(sed -n 's/^emf-agent: running \([0-9]*\) plugin.*/\1/p' "$TMPD/err")"
	bench "idle_wakeups_per_sec $WPS wakeups/s"
	bench "idle_cpu_percent $CPU %"
	bench "target_idle_le_10_wakeups_per_sec $(awk -v w="$WPS" 'BEGIN { print (w <= 10) }') bool"
	bench "target_idle_le_0.1_cpu_percent $(awk -v c="$CPU" 'BEGIN { print (c <= 0.1) }') bool"
	grep -q "skipped\|failed" "$TMPD/err" && echo "bench_idle: emf-agent: $(grep -m3 'skipped\|failed' "$TMPD/err")" >&2
fi
measure emf_opensnoop err "^emf-agent: running" "$AGENT" -p opensnoop -a opensnoop.target_pid=1
emf=$WPS
if command -v opensnoop > /dev/null && [ -x "$(command -v opensnoop)" ]; then
	measure libbpf_tools_opensnoop out "PID" stdbuf -oL opensnoop -p 1 &&
		bench "idle_emf_vs_libbpf_tools_wakeups_ratio $(awk -v a="$emf" -v b="$WPS" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }') x"
else
	skipped idle_libbpf_tools_opensnoop "libbpf-tools not installed (apt-get install libbpf-tools)"
fi
if command -v bpftrace > /dev/null; then
	measure bpftrace_opensnoop out "^ready" bpftrace -e \
		'BEGIN { printf("ready\n"); } tracepoint:syscalls:sys_exit_openat /pid == 1/ { printf("%d\n", args->ret); }'
else
	skipped idle_bpftrace_opensnoop "bpftrace not installed (apt-get install bpftrace)"
fi
exit 0
