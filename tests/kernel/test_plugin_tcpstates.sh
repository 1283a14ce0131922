#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# tcpstates decodes a loopback TCP connection over IPv4 (127.0.0.1) and over IPv6 (::1):
# the client's CLOSE -> SYN_SENT -> ESTABLISHED with its endpoints (address and port, and
# their text "127.0.0.1:PORT", "[::1]:PORT") and pid, and the server side reaching
# ESTABLISHED on the listening port.
# Needs socat (Debian package socat) for the listener; the client is bash's /dev/tcp.
. "$(dirname "$0")/lib.sh"
need_root
command -v socat > /dev/null || skip "needs socat (Debian package socat) for a TCP listener"
command -v ss > /dev/null || skip "needs ss (Debian package iproute2)"
grep -q '^00000000000000000000000000000001 .* lo$' /proc/net/if_inet6 2> /dev/null ||
	skip "needs IPv6 on the loopback (::1 on lo)"

# A free local port, away from the ephemeral range the clients' ports come from.
free_port() {
	local p
	for _ in $(seq 1 20); do
		p=$((20000 + RANDOM % 12000))
		[ -z "$(ss -Htan "sport = :$p or dport = :$p")" ] && echo $p && return 0
	done
	return 1
}

# The addresses as decoded now (byte arrays) or as addresses.
V4_LO='"127\.0\.0\.1"'
V6_LO='"::1"'

start_agent --json -p tcpstates

# $1 socat listen address, $2 /dev/tcp host, $3 port
connect_once() {
	local listener
	socat -u "$1" STDOUT > /dev/null 2> "$TMPD/socat.err" &
	listener=$!
	for _ in $(seq 1 100); do
		[ -n "$(ss -Hltn "sport = :$3")" ] && break
		sleep 0.02
	done
	[ -n "$(ss -Hltn "sport = :$3")" ] || { cat "$TMPD/socat.err"; fail "socat did not listen on $3"; }
	bash -c 'echo hello > "/dev/tcp/$1/$2"' sh "$2" "$3" &
	client=$!
	wait $client || fail "connection to $2 port $3 failed"
	wait $listener
}

p4=$(free_port) || fail "found no free TCP port"
connect_once "TCP4-LISTEN:$p4,bind=127.0.0.1,reuseaddr" 127.0.0.1 "$p4"
client4=$client
p6=$(free_port) || fail "found no free TCP port"
connect_once "TCP6-LISTEN:$p6,bind=[::1],reuseaddr" ::1 "$p6"
client6=$client
sleep 0.5
stop_agent
[ "$AGENT_RC" = 0 ] || { cat "$TMPD/err"; fail "emf-agent exited with $AGENT_RC"; }

# A struct emf_endpoint in JSON: $1 address regex, $2 port regex, $3 its text regex.
endpoint() {
	echo "{\"addr\":$1,\"port\":$2,\"text\":\"$3\"}"
}

# $1 family, $2 server port, $3 client pid, $4 loopback address regex, $5 text of it
check_connection() {
	local family=$1 port=$2 pid=$3 addr=$4 text=$5 line sk cport

	# Connecting: the local port is not chosen yet.
	line=$(grep "\"family\":$family,\"laddr\":$(endpoint "$addr" 0 "$text:0"),\"raddr\":$(endpoint "$addr" "$port" "$text:$port"),.*\"oldstate\":\"TCPS_CLOSE\",\"newstate\":\"TCPS_SYN_SENT\"" "$TMPD/out")
	[ -n "$line" ] || { grep "$port" "$TMPD/out"; fail "no CLOSE -> SYN_SENT to port $port"; }
	[ "$(echo "$line" | wc -l)" = 1 ] || fail "more than one SYN_SENT to port $port: $line"
	echo "$line" | grep -q "^{\"plugin\":\"tcpstates\",\"event\":\"event\"," || fail "bad prefix: $line"
	echo "$line" | grep -q "\"pid\":$pid," || fail "wrong pid (want $pid): $line"
	echo "$line" | grep -q '"comm":"bash"' || fail "wrong comm (want bash): $line"
	sk=$(echo "$line" | grep -o '"skaddr":"[^"]*"')
	[ -n "$sk" ] || fail "no socket address: $line"
	passed="$passed
  $line"

	# Connected: the same socket, now with its local port.
	line=$(grep "$sk,.*\"family\":$family,\"laddr\":$(endpoint "$addr" '[1-9][0-9]*' "$text:[1-9][0-9]*"),\"raddr\":$(endpoint "$addr" "$port" "$text:$port"),.*\"oldstate\":\"TCPS_SYN_SENT\",\"newstate\":\"TCPS_ESTABLISHED\"" "$TMPD/out")
	[ -n "$line" ] || { grep "$port" "$TMPD/out"; fail "no SYN_SENT -> ESTABLISHED to port $port"; }
	cport=$(echo "$line" | grep -o '"laddr":{"addr":"[^"]*","port":[0-9]*' | grep -o '[0-9]*$')
	passed="$passed
  $line"

	# The server's socket for this connection reaches ESTABLISHED too.
	line=$(grep "\"family\":$family,\"laddr\":$(endpoint "$addr" "$port" "$text:$port"),\"raddr\":$(endpoint "$addr" "$cport" "$text:$cport"),.*\"newstate\":\"TCPS_ESTABLISHED\"" "$TMPD/out")
	[ -n "$line" ] || { grep "$port" "$TMPD/out"; fail "no server ESTABLISHED on port $port from $cport"; }
	passed="$passed
  $line"
}
passed=
check_connection 2 "$p4" "$client4" "$V4_LO" '127\.0\.0\.1'
check_connection 10 "$p6" "$client6" "$V6_LO" '\[::1\]'
check_no_leak
echo "PASS: loopback TCP connections to 127.0.0.1:$p4 and [::1]:$p6 decoded:$passed"
