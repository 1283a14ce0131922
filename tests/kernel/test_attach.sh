#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Declared attach targets (<emf/attach.bpf.h>), no C code: attachkinds has a program of
# each kind libbpf cannot attach from its section alone, its target given by option. TC
# ingress and egress on the host end of a veth pair (a TCX link where the kernel has
# TCX, a netlink filter otherwise), cgroup_skb egress on a cgroup made for the test,
# sk_lookup on the test's network namespace, perf_event sampling on every CPU, a uprobe
# on libc's nanosleep, USDT probe emftest:tick of tests/kernel/usdt_gen, a socket filter
# on a packet socket of the veth, sk_msg and sk_skb stream parser and verdict programs on
# a sockmap that a sockops program on the cgroup fills with both ends of a TCP connection
# over the namespace's loopback, an sk_skb/verdict program on a second sockmap and
# connection, cgroup sock_addr programs (connect4, connect6, bind4, sendmsg4) on the
# cgroup, and two iter/task programs run every 100 ms whose records, and
# whose lines of text, for one process come out as events. Each must deliver decoded events; after the agent exits no
# link, program, tc filter or clsact qdisc of ours is left, and the cgroup goes away.
. "${top_srcdir:-.}/tests/kernel/lib.sh"
need_root
command -v ip > /dev/null || skip "needs ip (iproute2) to make network namespaces"
command -v tc > /dev/null || skip "needs tc (iproute2) to check what is left on the interface"
command -v python3 > /dev/null || skip "needs python3 for the TCP echoes, UDP sendto and an IPv6 connect"
so="$top_builddir/tests/plugins/attachkinds/attachkinds.emf.so"
[ -f "$so" ] || fail "test plugin not built: $so"
libc=$(ldd "$(type -P sleep)" | awk '/libc.so/ { print $3 }')
[ -f "$libc" ] || skip "cannot find the libc sleep uses"
NS=emf-attach-$$
make_netns $NS
make_veth_pair emfat$$ emfat$$p $NS
IF=emfat$$
# TC needs TCX (Linux 6.6) or the clsact qdisc (sch_ingress), which a kernel may lack.
tc_why=
if ! tc qdisc add dev $IF clsact 2> "$TMPD/tc.err"; then
	tc_why="the clsact qdisc ($(head -1 "$TMPD/tc.err"))"
else
	tc qdisc del dev $IF clsact
fi
tc_arg=(-a attachkinds.ifname=$IF)
usdt_gen="$(cd "$top_builddir" && pwd)/tests/kernel/usdt_gen"
usdt_arg=(-a attachkinds.usdt_binary="$usdt_gen")
usdt_why=$("$usdt_gen" 0 2>&1) || { usdt_arg=(); }

# A cgroup of the test's own, in the cgroup v2 hierarchy (mounted for the test if needed).
cg2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts)
if [ -z "$cg2" ]; then
	mkdir -p "$TMPD/cg2" && mount -t cgroup2 none "$TMPD/cg2" 2> /dev/null || skip "needs cgroup v2"
	cg2="$TMPD/cg2"
	NET_UNDO=("umount $cg2" "${NET_UNDO[@]}")
fi
CG="$cg2/emf-attach-$$"
mkdir "$CG" || fail "cannot create cgroup $CG"
NET_UNDO+=("rmdir $CG")

# Without clsact, TCX may still do: try; the agent says which it used.
"$AGENT" --plugin "$so" -p attachkinds "${tc_arg[@]}" -d 0.1 > /dev/null 2> "$TMPD/probe" 9>&-
if grep -q "neither TCX nor the clsact qdisc" "$TMPD/probe"; then
	tc_arg=()
else
	tc_why=
fi
# The task the iterator reports, alive the whole run.
"$(type -P sleep)" 60 &
itpid=$!
NET_UNDO+=("kill $itpid")
start_agent --json --plugin "$so" -p attachkinds "${tc_arg[@]}" "${usdt_arg[@]}" \
	-a attachkinds.cgroup="$CG" -a attachkinds.netns=/run/netns/$NS -a attachkinds.port=9 \
	-a attachkinds.binary="$libc" -a attachkinds.function=nanosleep \
	-a attachkinds.sockif=$IF -a attachkinds.tcp_port=7077 -a attachkinds.tcp_port2=7078 \
	-a attachkinds.iter_pid=$itpid
# Idle only where this machine lacks the target: tc without TCX or clsact, USDT without sdt.h.
idle=$(grep "never run" "$TMPD/err")
[ -z "$tc_why" ] || idle=$(grep -v "program tc_" <<< "$idle")
[ -z "$usdt_why" ] || idle=$(grep -v "program on_tick" <<< "$idle")
[ -z "$idle" ] || { cat "$TMPD/err"; fail "a declared program was reported idle"; }
# A netlink attach shows as a tc filter of ours; a TCX link does not.
how=TCX
if tc filter show dev $IF ingress | grep -q "tc_in"; then
	how=netlink
	tc filter show dev $IF egress | grep -q "tc_out" || fail "tc_in is a filter on $IF, tc_out is not"
	tc qdisc show dev $IF | grep -q clsact || fail "no clsact qdisc on $IF with filters on it"
fi

ping -c 2 -i 0.2 -W 1 "$net.2" > /dev/null || fail "no ping reply from $net.2 over $IF"
# From inside the cgroup: UDP out (cgroup_skb), and to the namespace's port 9 (sk_lookup there).
bash -c "echo \$\$ > '$CG/cgroup.procs' && echo x > /dev/udp/$net.2/9" &
sender=$!
wait $sender
# UDP from the cgroup with an address on each send (sendmsg4), and an IPv6 connect (connect6).
bash -c "echo \$\$ > '$CG/cgroup.procs' && exec python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.sendto(b\"xy\", (\"$net.2\", 9))
s6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s6.connect((\"::1\", 9))
'" || fail "python3 UDP sendto and connect from the cgroup failed"
# TCP echoes over the namespace's loopback, both ends in the cgroup (bind4, connect4): sockops
# puts them in a sockmap, whose sk_msg program sees each send and sk_skb programs each receive:
# port 7077 to socks (stream parser and verdict), 7078 to socks2 (verdict).
ip netns exec $NS ip link set lo up
# Python on both ends: with a stream parser, a read the socket's wake-up announced can
# still find nothing yet (EAGAIN), which socat took for an error; Python's sockets with a
# timeout wait again.
echo_through() { # PORT
	local srv reply
	bash -c "echo \$\$ > '$CG/cgroup.procs' && exec ip netns exec $NS python3 -c '
import socket
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((\"127.0.0.1\", $1))
s.listen(1)
s.settimeout(10)
c, _ = s.accept()
c.settimeout(5)
c.sendall(c.recv(64))
c.close()
'" &
	srv=$!
	for _ in $(seq 1 50); do
		ip netns exec $NS ss -ltn | grep -q "127.0.0.1:$1" && break
		sleep 0.1
	done
	reply=$(bash -c "echo \$\$ > '$CG/cgroup.procs' && exec ip netns exec $NS python3 -c '
import socket, sys
c = socket.create_connection((\"127.0.0.1\", $1), timeout=5)
c.sendall(b\"hello\\n\")
sys.stdout.write(c.recv(64).decode())
'")
	wait $srv 2> /dev/null
	[ "$reply" = hello ] || fail "the TCP echo on port $1 through the sockmap replied '$reply', not hello"
}
echo_through 7077
echo_through 7078
"$(type -P sleep)" 0.123 &
sleeper=$!
wait $sleeper
if [ -z "$usdt_why" ]; then
	"$usdt_gen" 3 &
	ticker=$!
	wait $ticker || fail "usdt_gen 3 failed"
fi
# Something running for the sampler to see.
timeout 0.3 sh -c 'while :; do :; done'
want() { # KIND [MORE] [MESSAGE]
	for _ in $(seq 1 50); do
		grep -q "\"kind\":\"$1\"$2" "$TMPD/out" && return 0
		sleep 0.1
	done
	grep -o '"kind":"[A-Z_]*"' "$TMPD/out" | sort | uniq -c
	fail "no $1 event$2: $3"
}
if [ -z "$tc_why" ]; then
	want HIT_TC_EGRESS ',"pid":0,"len":[0-9]*,"proto":8' "ping out of $IF"
	want HIT_TC_INGRESS ',"pid":0,"len":[0-9]*,"proto":8' "ping reply into $IF"
fi
want HIT_CGROUP_SKB ',"pid":0,"len":30,"proto":8' "UDP (2 bytes) sent from cgroup $CG"
want HIT_SK_LOOKUP ',"pid":0,"len":9,"proto":17' "UDP to port 9 in namespace $NS"
want HIT_PERF ',"pid":[1-9]' "CPU clock samples"
want HIT_SOCKET ',"pid":0,"len":98,"proto":8' "ping (98-byte frames) seen by the packet socket on $IF"
want HIT_SK_MSG ',"pid":0,"len":6,"proto":[1-9]' "the client's send of hello (6 bytes) through the sockmap"
want HIT_SK_MSG ',"pid":0,"len":6,"proto":7077' "the echo server's send of hello back"
want HIT_SK_SKB ',"pid":0,"len":6,"proto":7077' "the server's receive of hello through the sockmap"
want HIT_SK_PARSER ',"pid":0,"len":6,"proto":7077' "the stream parser's look at hello on port 7077"
want HIT_SK_VERDICT ',"pid":0,"len":6,"proto":7078' "the server's receive of hello through socks2"
grep -q '"kind":"HIT_SK_VERDICT","pid":0,"len":[0-9]*,"proto":7077' "$TMPD/out" &&
	fail "sk_skb/verdict of socks2 saw port 7077, whose sockets are in socks"
want HIT_CONNECT4 ',"pid":[1-9][0-9]*,"len":9,"proto":17' "bash's connect of UDP to port 9 from the cgroup"
want HIT_CONNECT4 ',"pid":[1-9][0-9]*,"len":7077,"proto":6' "the client's connect to 127.0.0.1:7077"
want HIT_BIND4 ',"pid":[1-9][0-9]*,"len":7077,"proto":6' "the echo server's bind of 127.0.0.1:7077"
want HIT_SENDMSG4 ',"pid":[1-9][0-9]*,"len":9,"proto":17' "python's sendto port 9"
want HIT_CONNECT6 ',"pid":[1-9][0-9]*,"len":9,"proto":17' "python's connect to [::1]:9"
want HIT_UPROBE ",\"pid\":$sleeper,\"len\":123000000," "nanosleep of sleep 0.123"
if [ -z "$usdt_why" ]; then
	want HIT_USDT ",\"pid\":$ticker,\"len\":3," "emftest:tick of usdt_gen"
	[ "$(grep -c "\"kind\":\"HIT_USDT\",\"pid\":$ticker," "$TMPD/out")" = 3 ] || fail "want 3 USDT hits of pid $ticker"
fi
want HIT_ITER ",\"pid\":$itpid,\"len\":[1-9]" "iter/task's record of pid $itpid"
# Every 100 ms, each run a new iterator over all tasks: several runs by now.
sleep 0.3
n_iter=$(grep -c "\"kind\":\"HIT_ITER\",\"pid\":$itpid," "$TMPD/out")
[ "$n_iter" -ge 3 ] || fail "iter/task ran $n_iter times, want at least 3 at 100 ms"
echo "ok: every kind delivered:"; grep -o '"kind":"[A-Z_]*"' "$TMPD/out" | sort | uniq -c
stop_agent
[ "$AGENT_RC" = 0 ] || { cat "$TMPD/err"; fail "emf-agent exited with $AGENT_RC"; }
grep "\"kind\":\"HIT_ITER\"" "$TMPD/out" | grep -v "\"pid\":$itpid," && fail "iter/task reported other tasks"
# The text iterator's lines (BPF_SEQ_PRINTF), one event each, as many runs; counted
# once the agent has written all it will.
grep '"event":"line"' "$TMPD/out" > "$TMPD/lines"
n_line=$(grep -c "\"event\":\"line\",\"time\":\"[^\"]*\",\"text\":\"task $itpid sleep\"}" "$TMPD/lines")
[ "$n_line" -ge 3 ] || fail "the text iterator gave $n_line lines 'task $itpid sleep', want at least 3"
[ "$(wc -l < "$TMPD/lines")" = "$n_line" ] ||
	fail "the text iterator printed other lines than 'task $itpid sleep': $(grep -v "\"text\":\"task $itpid sleep\"" "$TMPD/lines" | head -3)"
check_no_leak
[ -z "$(tc filter show dev $IF ingress)$(tc filter show dev $IF egress)" ] ||
	fail "tc filters left on $IF: $(tc filter show dev $IF ingress) $(tc filter show dev $IF egress)"
tc qdisc show dev $IF | grep -q clsact && fail "clsact qdisc left on $IF"
bpftool cgroup show "$CG" 2> /dev/null | grep -q cg_out && fail "cg_out still attached to $CG"
echo "ok: TC attached with $how; nothing left on $IF or $CG"
[ -z "$tc_why" ] || skip "tc: this kernel has neither TCX nor $tc_why; the other kinds passed"
[ -z "$usdt_why" ] || skip "USDT: $usdt_why; the other kinds passed"

# An empty interface option: those programs attach nowhere; a warning, and --strict refuses.
"$AGENT" --plugin "$so" -p attachkinds -d 0.3 -a attachkinds.binary="$libc" \
	-a attachkinds.function=nanosleep -a attachkinds.cgroup="$CG" > /dev/null 2> "$TMPD/err2" 9>&-
rc=$?
[ "$rc" = 0 ] || { cat "$TMPD/err2"; fail "attachkinds without ifname: exit $rc, expected 0"; }
grep -q "warning: plugin 'attachkinds': program tc_in (section tc) attaches to the interface that option ifname names, and it is empty, so it will never run: set attachkinds.ifname" "$TMPD/err2" ||
	{ cat "$TMPD/err2"; fail "no warning for tc_in without an interface"; }
"$AGENT" --strict --plugin "$so" -p attachkinds -d 0.3 -a attachkinds.binary="$libc" \
	-a attachkinds.function=nanosleep > /dev/null 2> "$TMPD/err3" 9>&-
[ $? = 1 ] || { cat "$TMPD/err3"; fail "--strict ran attachkinds without ifname"; }
# An iterator that writes a stray byte after its record: a warning naming the plugin, the
# program and the record size, once; no event from those runs, and the agent runs on.
"$AGENT" --json --plugin "$so" -p attachkinds -d 0.5 -a attachkinds.iter_pid=$itpid \
	-a attachkinds.iter_bad=1 > "$TMPD/out5" 2> "$TMPD/err5" 9>&-
rc=$?
[ "$rc" = 0 ] || { cat "$TMPD/err5"; fail "attachkinds with a bad iterator: exit $rc, expected 0"; }
grep -q "HIT_ITER" "$TMPD/out5" && fail "records of a bad iterator run were delivered"
[ "$(grep -c "iter: plugin 'attachkinds': iterator tasks wrote 17 bytes, not a whole number of struct hit records (16 bytes each)" "$TMPD/err5")" = 1 ] ||
	{ cat "$TMPD/err5"; fail "no single warning for an iterator writing 17 bytes"; }
# A missing interface: refused, saying which.
"$AGENT" --plugin "$so" -p attachkinds -d 0.3 -a attachkinds.ifname=nosuchif0 > /dev/null 2> "$TMPD/err4" 9>&-
[ $? = 1 ] || fail "attachkinds with a missing interface did not fail"
grep -q "no network interface 'nosuchif0' (option attachkinds.ifname)" "$TMPD/err4" ||
	{ cat "$TMPD/err4"; fail "no clear refusal of a missing interface"; }
echo "PASS: tc ($how), cgroup_skb, cgroup sock_addr, sk_lookup, perf_event, uprobe, USDT, socket filter, sockops with sk_msg and sk_skb (stream parser, stream verdict, verdict) on sockmaps, iter/task attached from declarations, events decoded, nothing left"
