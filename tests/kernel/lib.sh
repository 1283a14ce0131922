# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Shared helpers of the kernel tests: sourced, not run. Each test is a real-kernel
# test: it loads real programs and triggers real events, and exits 77 (SKIP) saying
# which feature is missing when this machine cannot run it.
set -u

: "${top_builddir:=.}"
: "${top_srcdir:=.}"
AGENT="$top_builddir/apps/emf-agent"
TMPD=$(mktemp -d /tmp/emf-test.XXXXXX)
AGENT_PID=
NET_UNDO=()
# A pin root of the test's own (emf-agent --pin-root): an agent running on this
# machine owns the default one, and a test must neither disturb it nor be refused.
PIN_PARENT=/sys/fs/bpf
PIN_ROOT="$PIN_PARENT/emf-test-$$"
cleanup() {
	local i
	# Only the test itself: bash 5.2 can run this trap in a $(...) subshell forked
	# after a background job was killed, which would stop the test's agent and remove
	# its files while the test goes on.
	[ "$BASHPID" = "$$" ] || return 0
	# A failed check must not leave an agent (and its BPF objects) running.
	[ -n "$AGENT_PID" ] && kill -INT "$AGENT_PID" 2>/dev/null && wait "$AGENT_PID" 2>/dev/null
	# Test networks, last made first undone.
	for ((i = ${#NET_UNDO[@]} - 1; i >= 0; i--)); do
		${NET_UNDO[i]} 2> /dev/null
	done
	rm -rf "$TMPD"
	rm -rf "$PIN_ROOT" "$PIN_ROOT-b" 2> /dev/null
}
trap cleanup EXIT

skip() {
	echo "SKIP: $*"
	exit 77
}

fail() {
	echo "FAIL: $*"
	exit 1
}

need_root() {
	[ "$(id -u)" = 0 ] || skip "needs root to load BPF programs"
	[ -r /sys/kernel/btf/vmlinux ] || skip "kernel has no BTF (/sys/kernel/btf/vmlinux)"
	# Kernel tests compare the kernel's objects before and after: one at a time.
	exec 9> /tmp/emf-kernel-tests.lock
	flock 9
}

# The BPF programs, maps and links process $1 holds fds of, as "kind id" lines
# (from /proc/PID/fdinfo, which names the object behind every BPF fd; a link's also
# names its program). One awk for all fds: an agent holds hundreds, and a process
# each would take seconds on a slow machine (an emulated guest of tests/vm).
owned_objects() {
	awk 'function flush() {
		if (link != "") print "link", link
		else if (prog != "") print "prog", prog
		else if (map != "") print "map", map
		link = prog = map = ""
	     }
	     FNR == 1 { flush() }
	     /^link_id:/ { link = $2 }
	     /^prog_id:/ { prog = $2 }
	     /^map_id:/ { map = $2 }
	     END { flush() }' /proc/"$1"/fdinfo/* 2> /dev/null | sort -u
}

# Record what the running agent holds in the kernel ($TMPD/owned); it must hold something.
record_owned() {
	owned_objects "$1" > "$TMPD/owned"
	[ -s "$TMPD/owned" ] || fail "process $1 holds no BPF object while running"
}

# Fail when any object recorded by record_owned is still in the kernel. The kernel
# frees maps and programs from deferred work after the last fd closes: allow it 5 s.
check_no_leak() {
	local kind id leaked try
	for try in $(seq 1 50); do
		leaked=
		while read -r kind id; do
			bpftool "$kind" show id "$id" > /dev/null 2>&1 && leaked="$leaked $kind:$id"
		done < "$TMPD/owned"
		[ -z "$leaked" ] && return 0
		sleep 0.1
	done
	fail "BPF objects left in the kernel after the agent exited:$leaked"
}

# Start the agent in the background with output to $TMPD/out, wait until it runs.
start_agent() {
	# Empty them first: a previous agent's "running" line must not count.
	: > "$TMPD/out"
	: > "$TMPD/err"
	"$AGENT" "$@" > "$TMPD/out" 2> "$TMPD/err" 9>&- &
	AGENT_PID=$!
	# The agent says on stderr when every plugin is attached.
	for _ in $(seq 1 300); do
		if grep -q "^emf-agent: running" "$TMPD/err" 2>/dev/null; then
			record_owned "$AGENT_PID"
			return 0
		fi
		kill -0 "$AGENT_PID" 2>/dev/null || break
		sleep 0.1
	done
	cat "$TMPD/err"
	fail "emf-agent did not start"
}

stop_agent() {
	kill -INT "$AGENT_PID" 2>/dev/null
	wait "$AGENT_PID"
	AGENT_RC=$?
	AGENT_PID=
}

# A network namespace of the test's own, $1, removed at exit.
make_netns() {
	ip netns add "$1" 2> "$TMPD/ns.err" || skip "needs network namespaces: $(cat "$TMPD/ns.err")"
	NET_UNDO+=("ip netns del $1")
}

# A veth pair, $1 on the host and $2 in namespace $3, on a /24 of 10.0.0.0/8 that no
# route of this machine uses yet (x.1 on the host side, x.2 in the namespace); sets
# $net to the /24's first three bytes. Removed at exit.
make_veth_pair() {
	ip link add "$1" type veth peer name "$2" netns "$3" 2> "$TMPD/veth.err" ||
		skip "needs veth interfaces: $(cat "$TMPD/veth.err")"
	NET_UNDO+=("ip link del $1")
	for _ in $(seq 1 20); do
		net="10.$((200 + RANDOM % 50)).$((RANDOM % 256))"
		[ -z "$(ip -4 route show to match "$net.1" | grep -v '^default')" ] && break
		net=
	done
	[ -n "$net" ] || fail "found no free 10.x.y.0/24 for veth pair $1"
	ip addr add "$net.1/24" dev "$1" && ip link set "$1" up &&
		ip -n "$3" addr add "$net.2/24" dev "$2" && ip -n "$3" link set "$2" up ||
		fail "failed to set up veth pair $1 <-> $3/$2 with $net.1 and $net.2"
}

# Wait up to 5 s until the agent's output ($TMPD/out) has a line matching $1; returns
# non-zero otherwise, for the caller's own check to say what is missing.
wait_out() {
	for _ in $(seq 1 50); do
		grep -q -- "$1" "$TMPD/out" && return 0
		sleep 0.1
	done
	return 1
}

# A plugin directory $PD (for --plugin-dir) holding tests/plugins/dyntest as dyntest.so.
dyntest_dir() {
	DYN="$top_builddir/tests/plugins/dyntest"
	[ -f "$DYN/dyntest.emf.so" ] && [ -f "$DYN/dyntest-O0.so" ] || fail "test plugins not built ($DYN)"
	PD="$TMPD/plugins"
	mkdir -m 755 "$PD" && chmod 755 "$TMPD" && cp "$DYN/dyntest.emf.so" "$PD/dyntest.so" ||
		fail "cannot make the plugin directory $PD"
}

# Replace $PD/dyntest.so with the same plugin built at -O0 (other code, maybe other
# addresses) and have the running agent reload it on SIGHUP.
dyntest_reload() {
	cp "$DYN/dyntest-O0.so" "$PD/new.tmp" && mv "$PD/new.tmp" "$PD/dyntest.so"
	kill -HUP "$AGENT_PID"
	wait_err "reloaded plugin 'dyntest'" 1 "dyntest was not reloaded on SIGHUP"
}

# Wait up to 5 s until the agent's stderr holds $2 (default 1) lines matching $1;
# otherwise show it and fail with $3.
wait_err() {
	local n
	for _ in $(seq 1 50); do
		n=$(grep -c -- "$1" "$TMPD/err")
		[ "$n" -ge "${2:-1}" ] && return 0
		sleep 0.1
	done
	cat "$TMPD/err"
	fail "$3"
}

# Run the agent with "$@" (for 5 s at most) expecting a usage error: exit 2, one
# line on stderr ($TMPD/err3), no events ($TMPD/out3), nothing left in the kernel.
refused() {
	"$AGENT" "$@" -d 5 > "$TMPD/out3" 2> "$TMPD/err3" 9>&-
	local rc=$?
	[ "$rc" = 2 ] || { cat "$TMPD/err3"; fail "$*: exit $rc, expected 2"; }
	[ "$(wc -l < "$TMPD/err3")" = 1 ] || { cat "$TMPD/err3"; fail "$*: want one line"; }
	[ ! -s "$TMPD/out3" ] || { cat "$TMPD/out3"; fail "$*: printed events"; }
	check_no_leak
}

# Run the agent with "$@" (for 2 s at most) expecting its start to fail: exit 1, one
# line of the SDK's saying a plugin failed, holding $1 (a fixed string), no events.
refused_start() {
	local want=$1 rc
	shift
	"$AGENT" "$@" -d 2 > "$TMPD/out2" 2> "$TMPD/err2" 9>&-
	rc=$?
	[ "$rc" = 1 ] || { cat "$TMPD/err2"; fail "$*: exit $rc, expected 1"; }
	[ "$(grep -c "^emf: runtime: plugin '[^']*' failed to" "$TMPD/err2")" = 1 ] ||
		{ cat "$TMPD/err2"; fail "$*: want one failure line"; }
	grep -qF -- "$want" "$TMPD/err2" || { cat "$TMPD/err2"; fail "$*: no message '$want'"; }
	grep "failed to" "$TMPD/err2" | grep -q "No such process\|Unknown error\|strerror_r" &&
		{ cat "$TMPD/err2"; fail "$*: an errno without words"; }
	[ ! -s "$TMPD/out2" ] || { cat "$TMPD/out2"; fail "$*: printed events"; }
	echo "ok: $(grep "failed to" "$TMPD/err2" | head -1)"
}

# The JSON events of plugin $1 from process $2 (its only thread, named $3) in
# $TMPD/out must be exactly one each of "POINT":VALUE for every further argument,
# and nothing else; sets $events to them.
want_events() {
	local plugin=$1 pid=$2 comm=$3 want
	shift 3
	events=$(grep "^{\"plugin\":\"$plugin\",\"event\":\"event\",\"time\":\"[^\"]*\",\"pid\":$pid,\"tid\":$pid," "$TMPD/out")
	for want in "$@"; do
		[ "$(echo "$events" | grep -c "\"point\":\"${want%%:*}\",\"value\":${want#*:},\"comm\":\"$comm\"}$")" = 1 ] ||
			{ echo "$events"; fail "want one event ${want%%:*} with value ${want#*:} of pid $pid"; }
	done
	[ "$(echo "$events" | grep -c .)" = $# ] || { echo "$events"; fail "want $# events of pid $pid"; }
}
