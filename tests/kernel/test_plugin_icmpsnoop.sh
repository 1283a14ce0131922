#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The bundled XDP slot pair on a veth between two network namespaces: xdpdispatch,
# attached to the interface its ifname option names, parses each packet, shares the
# offsets through the per-CPU map xdp_parsed and tail-calls the slot of its protocol;
# icmpsnoop fills slot xdp_icmp. A UDP datagram to a closed port in the other
# namespace brings back an ICMP port unreachable: one icmpsnoop event. UDP arriving
# finds slot xdp_udp empty: a miss, counted. Without ifname the plugin attaches
# nowhere and does not fail. Nothing is left in the kernel or the namespaces.
. "${top_srcdir:-.}/tests/kernel/lib.sh"
need_root
command -v ip > /dev/null || skip "needs ip (iproute2) to make network namespaces"
command -v nsenter > /dev/null || skip "needs nsenter (util-linux) to run the agent in a network namespace"
NSA=emf-slots-a$$
NSB=emf-slots-b$$
IPA=10.211.0.1
IPB=10.211.0.2
trap '[ "$BASHPID" = "$$" ] && { cleanup; ip netns del $NSA 2> /dev/null; ip netns del $NSB 2> /dev/null; }' EXIT
ip netns add $NSA && ip netns add $NSB || skip "cannot create network namespaces"
ip link add emfva netns $NSA type veth peer name emfvb netns $NSB ||
	skip "cannot create a veth pair (CONFIG_VETH)"
ip -n $NSA addr add $IPA/24 dev emfva && ip -n $NSB addr add $IPB/24 dev emfvb &&
	ip -n $NSA link set emfva up && ip -n $NSB link set emfvb up || fail "cannot set up the veth pair"

# The agent in namespace B; nsenter execs it, so its pid is the agent's.
nsenter --net=/run/netns/$NSB "$AGENT" --json --stats --pin-root "$PIN_ROOT" -p xdpdispatch -p icmpsnoop \
	--arg xdpdispatch.ifname=emfvb > "$TMPD/out" 2> "$TMPD/err" 9>&- &
AGENT_PID=$!
for _ in $(seq 1 300); do
	grep -q "^emf-agent: running" "$TMPD/err" && break
	kill -0 "$AGENT_PID" 2> /dev/null || { cat "$TMPD/err"; fail "emf-agent did not start"; }
	sleep 0.1
done
record_owned "$AGENT_PID"
ip -n $NSB link show dev emfvb | grep -q "prog/xdp id [0-9]* name xdpdispatch_rx" ||
	fail "xdpdispatch_rx is not attached to emfvb: $(ip -n $NSB link show dev emfvb)"

# B -> A, to a closed port: A's port unreachable comes in on emfvb, through slot xdp_icmp.
nsenter --net=/run/netns/$NSB bash -c "echo x > /dev/udp/$IPA/9"
# A -> B: UDP comes in on emfvb and finds slot xdp_udp empty.
for _ in 1 2 3; do nsenter --net=/run/netns/$NSA bash -c "echo x > /dev/udp/$IPB/9"; done
want="\"saddr\":\"$IPA\",\"daddr\":\"$IPB\",\"family\":4,\"type\":3,\"code\":3"
wait_out "$want"
grep -q "$want" "$TMPD/out" || { cat "$TMPD/out"; fail "no icmpsnoop event for the port unreachable from $IPA"; }
stop_agent
[ "$AGENT_RC" = 0 ] || { cat "$TMPD/err"; fail "emf-agent exited with $AGENT_RC"; }
grep -Eq '^xdp_icmp +xdp +[0-9]+ icmpsnoop +[0-9]+ +0$' "$TMPD/err" ||
	{ cat "$TMPD/err"; fail "--stats does not show slot xdp_icmp filled by icmpsnoop"; }
missed=$(awk '$1 == "xdp_udp" { print $NF }' "$TMPD/err")
[ -n "$missed" ] && [ "$missed" -ge 3 ] ||
	{ cat "$TMPD/err"; fail "--stats does not count the UDP datagrams that missed slot xdp_udp (got '$missed')"; }
ip -n $NSB link show dev emfvb | grep -q "prog/xdp" && fail "XDP is still attached to emfvb after the agent exited"
check_no_leak

# No interface given: loaded, attached nowhere, no failure.
"$AGENT" --pin-root "$PIN_ROOT" -p xdpdispatch -p icmpsnoop -d 1 > /dev/null 2> "$TMPD/err2" 9>&-
rc=$?
[ "$rc" = 0 ] || { cat "$TMPD/err2"; fail "xdpdispatch without ifname: exit $rc, expected 0"; }
grep -q "xdpdispatch: no interface given" "$TMPD/err2" || fail "xdpdispatch without ifname does not say it attached nowhere"
# An interface that does not exist: refused, saying which.
"$AGENT" --pin-root "$PIN_ROOT" -p xdpdispatch -a xdpdispatch.ifname=nosuchif0 -d 1 > /dev/null 2> "$TMPD/err3" 9>&-
rc=$?
[ "$rc" = 1 ] || fail "xdpdispatch with a missing interface: exit $rc, expected 1"
grep -q "no interface 'nosuchif0'" "$TMPD/err3" || { cat "$TMPD/err3"; fail "no clear refusal of a missing interface"; }
echo "PASS: icmpsnoop behind xdpdispatch's slot on a veth in a network namespace, misses counted, nothing left"
