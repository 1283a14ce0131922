#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# netcount counts, per IP protocol, the packets an interface receives. The test
# makes a network namespace joined to this one by a veth pair (private 10.x
# addresses on those two veths only), puts netcount's XDP program on the host side
# and, from the namespace, sends 3 pings and 1 UDP datagram across. The sampled map
# must count exactly 3 ICMP packets of 98 bytes (56 bytes of ping data + ICMP, IPv4
# and Ethernet headers) and 1 UDP packet of 45 bytes ("hi\n"), and every ping must
# be answered (XDP_PASS). Without an interface the plugin attaches nothing and says
# how to give one; an unknown one fails the start. Nothing is left in the kernel,
# and the namespace and veths go in the EXIT trap.
# Needs ip (iproute2), ping (iputils-ping) and jq.
. "$(dirname "$0")/lib.sh"
need_root
command -v ip > /dev/null || skip "needs ip (Debian package iproute2)"
command -v ping > /dev/null || skip "needs ping (Debian package iputils-ping)"
command -v jq > /dev/null || skip "needs jq (Debian package jq) to read the JSON lines"

NS="emf-nc-$$"
HOSTIF="emfnc$$h"
NSIF="emfnc$$n"
make_netns "$NS"
make_veth_pair "$HOSTIF" "$NSIF" "$NS"

# The totals so far of protocol $1 in the last reading: "packets bytes".
counts() {
	grep '"map":"counts"' "$TMPD/out" | tail -1 |
		jq -r --arg p "$1" '[.entries[] | select(.key.proto == $p) | .value] |
			if length == 0 then "0 0" else "\(.[0].packets) \(.[0].bytes)" end' 2> /dev/null
}

# 1. On the host side of the pair: exact counts.
start_agent --json -p netcount --arg "netcount.ifname=$HOSTIF"
# The program on the interface is the agent's.
xdp_id=$(ip -d link show dev "$HOSTIF" | sed -n 's/.*prog\/xdp id \([0-9]*\).*/\1/p')
[ -n "$xdp_id" ] || { ip -d link show dev "$HOSTIF"; fail "no XDP program on $HOSTIF after netcount attached"; }
grep -q "^prog $xdp_id\$" "$TMPD/owned" || fail "XDP program $xdp_id on $HOSTIF is not the agent's"

ip netns exec "$NS" ping -c 3 -i 0.2 -W 2 "$net.1" > "$TMPD/ping" 2>&1 ||
	{ cat "$TMPD/ping"; fail "pings from $NS to $net.1 over $HOSTIF were not all answered"; }
ip netns exec "$NS" bash -c 'echo hi > "/dev/udp/$1/9"' sh "$net.1" ||
	fail "failed to send a UDP datagram from $NS to $net.1"
for _ in $(seq 1 40); do
	[ "$(counts ICMP)" = "3 294" ] && [ "$(counts UDP)" = "1 45" ] && break
	sleep 0.1
done
stop_agent
[ "$AGENT_RC" = 0 ] || { cat "$TMPD/err"; fail "emf-agent exited with $AGENT_RC"; }
[ "$(counts ICMP)" = "3 294" ] ||
	{ tail -2 "$TMPD/out"; fail "netcount on $HOSTIF counted ICMP '$(counts ICMP)' (packets bytes), want '3 294'"; }
[ "$(counts UDP)" = "1 45" ] ||
	{ tail -2 "$TMPD/out"; fail "netcount on $HOSTIF counted UDP '$(counts UDP)' (packets bytes), want '1 45'"; }
line=$(grep '"map":"counts"' "$TMPD/out" | tail -1)
echo "$line" | grep -q '^{"plugin":"netcount","map":"counts","entries":\[{"key":{"proto":' ||
	fail "bad reading: $line"
ip -d link show dev "$HOSTIF" | grep -q 'prog/xdp' &&
	fail "an XDP program is still on $HOSTIF after the agent stopped"
check_no_leak

# 2. No interface: nothing attached, one hint, a normal run.
"$AGENT" -p netcount --json -d 1 > "$TMPD/out2" 2> "$TMPD/err2" 9>&-
rc=$?
[ "$rc" = 0 ] || { cat "$TMPD/err2"; fail "netcount without an interface: exit $rc, want 0"; }
n=$(grep -c '^netcount: no interface given, counting nothing; choose one with --arg netcount.ifname=NAME$' "$TMPD/err2")
[ "$n" = 1 ] || { cat "$TMPD/err2"; fail "netcount without an interface said how to give one $n times, want once"; }

# 3. An interface that does not exist: the start fails, naming it.
"$AGENT" -p netcount --arg netcount.ifname=emfnc-none -d 1 > /dev/null 2> "$TMPD/err3" 9>&-
rc=$?
[ "$rc" = 1 ] || { cat "$TMPD/err3"; fail "netcount on a missing interface: exit $rc, want 1"; }
grep -q "netcount: no network interface 'emfnc-none'" "$TMPD/err3" ||
	{ cat "$TMPD/err3"; fail "netcount on a missing interface: no message naming it"; }

echo "PASS: netcount on $HOSTIF: ICMP 3 packets 294 bytes, UDP 1 packet 45 bytes"
echo "  $line"
