# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Shared helpers of the shell benchmarks: sourced, not run. make bench runs them under
# the kernel tests' lock (and the benchmarks themselves never take it). Every peer
# process runs under timeout(1); a mode that cannot run prints "BENCH <name> skipped
# <why>" and the others go on.
set -u

: "${top_builddir:=.}"
AGENT="$top_builddir/apps/emf-agent"
TMPD=$(mktemp -d /tmp/emf-bench.XXXXXX)
PEERS=()
bench_cleanup() {
	local p
	# Only the benchmark itself, not a $(...) subshell bash ran the trap in.
	[ "$BASHPID" = "$$" ] || return 0
	for p in "${PEERS[@]}"; do
		kill -INT "$p" 2> /dev/null && wait "$p" 2> /dev/null
	done
	rm -rf "$TMPD"
}
trap bench_cleanup EXIT

bench() {
	echo "BENCH $*"
}

skipped() {
	local name=$1
	shift
	echo "BENCH $name skipped $*"
}

need_root() {
	[ "$(id -u)" = 0 ] || { skipped "$1" "needs root to load BPF programs"; exit 77; }
}

# Start "$@" in the background (stdout to $TMPD/out, stderr to $TMPD/err), bounded by
# timeout(1) to $PEER_SECONDS; sets PEER_PID (timeout's, which passes signals on).
PEER_SECONDS=60
start_peer() {
	: > "$TMPD/out"
	: > "$TMPD/err"
	timeout -k 2 "$PEER_SECONDS" "$@" > "$TMPD/out" 2> "$TMPD/err" &
	PEER_PID=$!
	PEERS+=("$PEER_PID")
}

# The pid of the program timeout(1) runs as PEER_PID.
peer_child() {
	pgrep -P "$PEER_PID" | head -1
}

# Wait up to $3 s for a line matching $2 in file $1; returns 1 if the peer died or time ran out.
wait_for() {
	local i
	for i in $(seq 1 $(($3 * 20))); do
		grep -q "$2" "$1" 2> /dev/null && return 0
		kill -0 "$PEER_PID" 2> /dev/null || return 1
		sleep 0.05
	done
	return 1
}

# Stop the peer with SIGINT, as a user would; sets PEER_RC.
stop_peer() {
	kill -INT "$PEER_PID" 2> /dev/null
	wait "$PEER_PID"
	PEER_RC=$?
}

# Context switches of every thread of process $1 so far: each is a wake-up or a preemption.
ctx_switches() {
	cat /proc/"$1"/task/*/status 2> /dev/null |
		awk '/^(non)?voluntary_ctxt_switches:/ { s += $2 } END { print s + 0 }'
}

# CPU time of process $1 so far (all threads, as the scheduler counts it), in ns: finer
# than /proc/PID/stat's clock ticks, one of which is 0.2% of a 5 s window.
cpu_ns() {
	cat /proc/"$1"/task/*/schedstat 2> /dev/null | awk '{ s += $1 } END { printf "%.0f", s }'
}
