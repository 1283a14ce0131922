#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Every bundled plugin at once (emf-agent --json -d 6, no -p), under a workload that
# makes each one fire: a child exec'd and exiting, a file opened, a signal sent with
# kill(), a TCP connection over loopback, a line typed into an interactive bash,
# syscalls, and pings across two veth pairs to a network namespace the test makes,
# whose host sides netcount and xdpdispatch watch. Each plugin of "emf-agent --list" must deliver
# at least one event or sampled-map reading (sysdispatch and xdpdispatch, which send
# none, through the events of killsnoop and icmpsnoop that pass through their slots;
# execcount through its bus service),
# and nothing may be left in the kernel afterwards.
# Needs ip (iproute2), ping (iputils-ping), socat, script (bsdutils) and jq.
. "$(dirname "$0")/lib.sh"
need_root
for t in ip:iproute2 ping:iputils-ping socat:socat script:bsdutils jq:jq; do
	command -v "${t%%:*}" > /dev/null || skip "needs ${t%%:*} (Debian package ${t#*:})"
done
[ -c /dev/ptmx ] || skip "needs pseudo-terminals (/dev/ptmx) for bashreadline's bash"
nm -D /bin/bash 2> /dev/null | grep -q ' T readline$' ||
	skip "/bin/bash does not export readline (or nm from binutils is missing)"

NS="emf-all-$$"
# Two veth pairs to the namespace: an interface takes one XDP program, and both
# netcount and xdpdispatch attach one.
NCIF="emfall$$c"
XDIF="emfall$$x"
make_netns "$NS"
make_veth_pair "$NCIF" "${NCIF}n" "$NS"
ncnet=$net
make_veth_pair "$XDIF" "${XDIF}n" "$NS"
xdnet=$net

plugins=$("$AGENT" --list 9>&- | awk 'NR > 1 && $1 ~ /^-?[0-9]+$/ { print $2 }')
[ -n "$plugins" ] || fail "emf-agent --list names no plugin"

child="emfall$$"
cp /bin/true "$TMPD/$child"
start_agent --json -d 6 --pin-root "$PIN_ROOT" --arg "netcount.ifname=$NCIF" --arg "xdpdispatch.ifname=$XDIF" \
	--call execcount.by_comm
t0=$SECONDS

"$TMPD/$child"                                  # execsnoop, exitsnoop, execcount
echo data > "$TMPD/opened"
cat "$TMPD/opened" > /dev/null                  # opensnoop
sleep 60 &                                      # sigsnoop, killsnoop via sysdispatch
victim=$!
for _ in $(seq 1 50); do
	[ "$(cat /proc/$victim/comm 2> /dev/null)" = sleep ] && break
	sleep 0.02
done
kill -USR1 "$victim"
wait "$victim" 2> /dev/null
port=$((20000 + RANDOM % 12000))                # tcpstates
socat -u "TCP4-LISTEN:$port,bind=127.0.0.1,reuseaddr" STDOUT > /dev/null 2> "$TMPD/socat.err" &
listener=$!
for _ in $(seq 1 100); do
	[ -n "$(ss -Hltn "sport = :$port")" ] && break
	sleep 0.02
done
bash -c 'echo hello > "/dev/tcp/127.0.0.1/$1"' sh "$port" ||
	{ cat "$TMPD/socat.err"; fail "connection to 127.0.0.1 port $port failed"; }
wait "$listener"
printf 'true # emfall%s\nexit\n' "$$" |          # bashreadline
	script -qc 'bash --norc --noprofile -i' /dev/null > /dev/null 2>&1
for net in "$ncnet" "$xdnet"; do                # netcount; icmpsnoop via xdpdispatch
	ip netns exec "$NS" ping -c 2 -i 0.2 -W 2 "$net.1" > "$TMPD/ping" 2>&1 ||
		{ cat "$TMPD/ping"; fail "pings from $NS to $net.1 were not all answered"; }
done
# syscount counts all of the above.

wait "$AGENT_PID"
rc=$?
AGENT_PID=
[ "$rc" = 0 ] || { cat "$TMPD/err"; fail "emf-agent with every plugin exited with $rc"; }
[ $((SECONDS - t0)) -le 10 ] || fail "emf-agent -d 6 ran for $((SECONDS - t0)) s"

# Lines of plugin $1 matching jq filter $2.
count() {
	grep "^{\"plugin\":\"$1\"," "$TMPD/out" | jq -c "select($2)" 2> /dev/null | wc -l
}

passed=
for p in $plugins; do
	case $p in
	execsnoop) n=$(count "$p" ".comm == \"$child\"") ;;
	exitsnoop) n=$(count "$p" ".comm == \"$child\" and .exit_code == 0") ;;
	opensnoop) n=$(count "$p" ".comm == \"cat\" and .path == \"$TMPD/opened\" and .ret >= 0") ;;
	sigsnoop) n=$(count "$p" ".target_pid == $victim and .sig == 10") ;;
	killsnoop | sysdispatch)
		n=$(count killsnoop ".target == $victim and .sig == 10 and .syscall == \"kill\"") ;;
	tcpstates) n=$(count "$p" ".raddr.port == $port and .newstate == \"TCPS_ESTABLISHED\"") ;;
	bashreadline) n=$(count "$p" ".line == \"true # emfall$$\"") ;;
	execcount) n=$(grep -v '^{"plugin"' "$TMPD/out" | grep -c "\"$child\":1") ;;
	syscount) n=$(count "$p" '.map == "syscalls" and (.entries | length > 0)') ;;
	icmpsnoop | xdpdispatch)
		n=$(count icmpsnoop ".saddr == \"$xdnet.2\" and .daddr == \"$xdnet.1\" and .type == 8") ;;
	netcount) n=$(count "$p" '.map == "counts" and any(.entries[]; .key.proto == "ICMP" and .value.packets >= 2)') ;;
	*) fail "plugin '$p' has no workload in $0: add one that makes it deliver an event or reading" ;;
	esac
	[ "$n" -ge 1 ] || { cat "$TMPD/err"; fail "plugin '$p' delivered nothing for the workload (see the checks in $0)"; }
	passed="$passed $p"
done
check_no_leak
for dev in "$NCIF" "$XDIF"; do
	ip -d link show dev "$dev" | grep -q 'prog/xdp' &&
		fail "an XDP program is still on $dev after the agent stopped"
done
echo "PASS: every plugin delivered:$passed"
