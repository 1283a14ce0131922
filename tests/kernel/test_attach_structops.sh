#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# A struct_ops map registered from its declaration, no C code: structops is a TCP
# congestion control, emf_cc. While the agent runs it is in the kernel's list; a TCP
# connection over loopback that asks for it (TCP_CONGESTION) runs its programs, which
# report the connection's ports and congestion window as decoded events; after the
# agent exits emf_cc is gone from the list and no BPF object of ours is left.
. "${top_srcdir:-.}/tests/kernel/lib.sh"
need_root
so="$top_builddir/tests/plugins/structops/structops.emf.so"
[ -f "$so" ] || fail "test plugin not built: $so"
command -v python3 > /dev/null || skip "needs python3 to open a TCP connection with TCP_CONGESTION"
bpftool feature probe kernel 2> /dev/null | grep -q "program_type struct_ops is available" ||
	skip "this kernel has no struct_ops programs (CONFIG_BPF_JIT, BTF)"
avail=/proc/sys/net/ipv4/tcp_available_congestion_control
grep -qw emf_cc "$avail" && skip "a congestion control named emf_cc is registered already"

start_agent --json --plugin "$so" -p structops
grep -qw emf_cc "$avail" || fail "emf_cc not in $avail while the agent runs: $(cat "$avail")"
grep "never run" "$TMPD/err" && fail "a struct_ops program was reported idle"
# 100 kB from a client on emf_cc to a server on the default: enough for the window to grow.
python3 - > "$TMPD/py" << 'PY' || fail "TCP connection with emf_cc failed: $(cat "$TMPD/py")"
import socket
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(1)
c = socket.socket()
c.setsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, b"emf_cc")
c.connect(("127.0.0.1", srv.getsockname()[1]))
s, _ = srv.accept()
c.sendall(b"x" * 100000)
got = 0
while got < 100000:
    got += len(s.recv(65536))
cc = c.getsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, 16).rstrip(b"\0").decode()
print(c.getsockname()[1], srv.getsockname()[1], cc, got)
c.close()
s.close()
PY
read -r cport sport cc got < "$TMPD/py"
[ "$cc" = emf_cc ] || fail "the client's congestion control is '$cc', not emf_cc"
[ "$got" = 100000 ] || fail "the server got $got bytes of 100000"
want() { # PATTERN MESSAGE
	for _ in $(seq 1 50); do
		grep -q "$1" "$TMPD/out" && return 0
		sleep 0.1
	done
	cat "$TMPD/out"
	fail "no event $1: $2"
}
want "\"what\":\"CC_INIT\",\"lport\":$cport,\"dport\":$sport,\"cwnd\":[1-9]" "emf_cc's init for the client $cport -> $sport"
want "\"what\":\"CC_RELEASE\",\"lport\":[0-9]*,\"dport\":$sport," "emf_cc's release at close"
# The server side kept the default: one connection only took emf_cc.
[ "$(grep -c CC_INIT "$TMPD/out")" = 1 ] || fail "want one CC_INIT, got: $(cat "$TMPD/out")"
echo "ok: emf_cc ran for $cport -> $sport: $(grep -o '"what":"CC_[A-Z]*"[^}]*' "$TMPD/out" | tr '\n' ' ')"
stop_agent
[ "$AGENT_RC" = 0 ] || { cat "$TMPD/err"; fail "emf-agent exited with $AGENT_RC"; }
check_no_leak
grep -qw emf_cc "$avail" && fail "emf_cc still registered after the agent exited: $(cat "$avail")"
echo "PASS: struct_ops tcp_congestion_ops registered from its map, ran for a connection, unregistered"
