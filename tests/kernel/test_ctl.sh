#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The control socket against a running emf-agent, from other processes: emf-ctl list,
# call, listen, signal, plugin hot plug, maps and stats; a plugin loaded and unloaded while
# execsnoop keeps delivering and a listener is subscribed to it; a filter map changed
# mid-run changes what the plugin reports; malformed, oversized
# and truncated frames, clients vanishing mid-call and mid-stream, a stopped listener,
# 100 concurrent clients, non-root and wrong-group peers; the socket path checks.
. "$(dirname "$0")/lib.sh"
need_root
command -v python3 > /dev/null || skip "needs python3 to write raw frames"
command -v setpriv > /dev/null || skip "needs setpriv (util-linux) to run a client as nobody"

CTL="$top_builddir/apps/emf-ctl"
DYN="$top_builddir/tests/plugins/dyntest/dyntest.emf.so"
[ -x "$CTL" ] && [ -f "$DYN" ] || fail "emf-ctl or the test plugin is not built"
chmod 755 "$TMPD"
S="$TMPD/run/emf.sock"
export EMF_CTL_SOCKET="$S"

# ctl ARGS...: emf-ctl, its stdout in $TMPD/c.out, stderr in $TMPD/c.err; returns its status.
ctl() {
	"$CTL" "$@" > "$TMPD/c.out" 2> "$TMPD/c.err" 9>&-
}
ctl_ok() {
	ctl "$@" || { cat "$TMPD/c.err"; fail "emf-ctl $*: exit status $?"; }
}
# ctl_refused "message" ARGS...: emf-ctl fails with exit 1 and says why.
ctl_refused() {
	local want=$1 rc
	shift
	ctl "$@"
	rc=$?
	[ $rc = 1 ] || { cat "$TMPD/c.out" "$TMPD/c.err"; fail "emf-ctl $*: exit status $rc, want 1"; }
	grep -qF -- "$want" "$TMPD/c.err" || { cat "$TMPD/c.err"; fail "emf-ctl $*: no message '$want'"; }
	echo "ok: refused: $(head -1 "$TMPD/c.err")"
}
# A JSON field of emf-ctl's last output, by a python expression on "j".
jq_py() {
	python3 -c "import json,sys; j=json.load(open('$TMPD/c.out')); print($1)"
}
# wait_file FILE PATTERN what: up to 5 s for a line of FILE to match.
wait_file() {
	for _ in $(seq 1 50); do
		grep -q -- "$2" "$1" 2> /dev/null && return 0
		sleep 0.1
	done
	fail "$3"
}

# --- socket path checks, before any agent runs ------------------------------------------
mkdir -m 777 "$TMPD/open"
"$AGENT" -p execsnoop -d 1 --control="$TMPD/open/s" > /dev/null 2> "$TMPD/e1" && fail "a world-writable socket directory was accepted"
grep -q "refusing socket directory $TMPD/open: writable by others" "$TMPD/e1" || { cat "$TMPD/e1"; fail "no message for a world-writable directory"; }
echo "ok: refused: $(grep refusing "$TMPD/e1")"
mkdir -m 755 "$TMPD/real" && ln -s "$TMPD/real" "$TMPD/link"
"$AGENT" -p execsnoop -d 1 --control="$TMPD/link/s" > /dev/null 2> "$TMPD/e1" && fail "a symlinked socket directory was accepted"
grep -q "symbolic link" "$TMPD/e1" || { cat "$TMPD/e1"; fail "no message for a symlinked directory"; }
[ -e "$TMPD/real/s" ] && fail "the socket was created through a symlink"
echo "ok: refused: $(grep 'symbolic link' "$TMPD/e1")"
echo data > "$TMPD/real/file"
"$AGENT" -p execsnoop -d 1 --control="$TMPD/real/file" > /dev/null 2> "$TMPD/e1" && fail "a regular file at the socket path was replaced"
grep -q "is not a socket" "$TMPD/e1" || { cat "$TMPD/e1"; fail "no message for a file at the path"; }
[ "$(cat "$TMPD/real/file")" = data ] || fail "the file at the socket path was touched"
echo "ok: refused: $(grep 'not a socket' "$TMPD/e1")"
# A stale socket (its server gone) is replaced; a live one is not.
python3 -c "import socket; s=socket.socket(socket.AF_UNIX); s.bind('$TMPD/real/stale')"
[ -S "$TMPD/real/stale" ] || fail "could not make a stale socket"
"$AGENT" -p execsnoop -d 0.5 --control="$TMPD/real/stale" > /dev/null 2> "$TMPD/e1" || { cat "$TMPD/e1"; fail "a stale socket was not replaced"; }
[ -e "$TMPD/real/stale" ] && fail "the agent left its socket behind at exit"
python3 -c "
import socket, time
s = socket.socket(socket.AF_UNIX); s.bind('$TMPD/real/live'); s.listen(1); time.sleep(4)" &
LIVE=$!
sleep 0.5
"$AGENT" -p execsnoop -d 1 --control="$TMPD/real/live" > /dev/null 2> "$TMPD/e1" && fail "a live socket was taken over"
grep -q "another server is listening" "$TMPD/e1" || { cat "$TMPD/e1"; fail "no message for a live socket"; }
echo "ok: refused: $(grep 'another server' "$TMPD/e1")"
kill $LIVE 2> /dev/null; wait $LIVE 2> /dev/null

# --- a running agent ------------------------------------------------------------------
start_agent -p execsnoop -p execcount --json --control="$S"
[ "$(stat -c %a "$TMPD/run")" = 755 ] || fail "socket directory mode $(stat -c %a "$TMPD/run"), want 755"
[ "$(stat -c '%a %U' "$S")" = "600 root" ] || fail "socket mode $(stat -c '%a %U' "$S"), want 600 root"

ctl_ok list
grep -q "^execsnoop .*attached .*events(ringbuf)" "$TMPD/c.out" || { cat "$TMPD/c.out"; fail "list: no execsnoop"; }
grep -q "^emf.plugins .*list load unload reload start stop signal" "$TMPD/c.out" || { cat "$TMPD/c.out"; fail "list: no emf.plugins"; }
grep -q "^execcount .*by_comm" "$TMPD/c.out" || { cat "$TMPD/c.out"; fail "list: no execcount service"; }
grep -q "^execsnoop.event$" "$TMPD/c.out" || { cat "$TMPD/c.out"; fail "list: no topic"; }
echo "ok: list"

# call: a plugin's own service, across processes, with a real count of execs.
/bin/true; /bin/true; /bin/true
sleep 0.3
ctl_ok call execcount.by_comm
[ "$(jq_py "j.get('true', 0)")" -ge 3 ] || { cat "$TMPD/c.out"; fail "call: execcount counted fewer than 3 execs of true"; }
ctl_refused "no such service or method" call nosuch.method
ctl call execcount.by_comm '{bad'
[ $? = 2 ] && grep -q "arguments are not JSON" "$TMPD/c.err" || fail "call: bad JSON not a usage error"
echo "ok: call"

# listen: two patterns, one the bus matches, one a glob.
"$CTL" listen 'execsnoop.*' '*.event' > "$TMPD/l1" 2> "$TMPD/l1.err" 9>&- &
L1=$!
sleep 0.5
/bin/uname > /dev/null
wait_file "$TMPD/l1" '"comm":"uname"' "listen: no uname event"
head -1 "$TMPD/l1" | python3 -c "import json,sys; m=json.loads(sys.stdin.readline()); assert m['topic']=='execsnoop.event' and 'pid' in m['data']" || fail "listen: not a JSON line of topic and data"
# One rendering of an event serves the agent's --json line and the listener's frame.
wait_file "$TMPD/out" '"comm":"uname"' "agent: no uname event"
python3 - "$TMPD/out" "$TMPD/l1" <<'PY' || fail "listen: the listener's uname event is not the agent's"
import json, sys
agent = [json.loads(l) for l in open(sys.argv[1]) if '"comm":"uname"' in l]
ctl = [json.loads(l)["data"] for l in open(sys.argv[2]) if '"comm":"uname"' in l]
for a in agent:
    fields = {k: v for k, v in a.items() if k not in ("plugin", "event", "time")}
    same = [c for c in ctl if c.get("pid") == fields.get("pid")]
    assert same and all(c == fields for c in same), (fields, same)
PY
echo "ok: listen"

# signal: execcount stops counting on pause and counts again on resume.
ctl_ok signal pause --to execcount
ctl_ok call execcount.reset
/bin/true; /bin/true
sleep 0.3
ctl_ok call execcount.by_comm
[ "$(jq_py "j.get('true', 0)")" = 0 ] || { cat "$TMPD/c.out"; fail "signal pause: execcount still counted"; }
ctl_ok signal resume
/bin/true
sleep 0.3
ctl_ok call execcount.by_comm
[ "$(jq_py "j.get('true', 0)")" -ge 1 ] || { cat "$TMPD/c.out"; fail "signal resume: execcount did not count"; }
ctl_refused "has no signal hook" signal pause --to execsnoop
ctl_refused "no plugin named" signal pause --to nosuch
echo "ok: signal (broadcast and to one plugin)"

# plugin: hot load while execsnoop delivers and a listener waits for the new topic.
mkdir -m 755 "$TMPD/pd" && cp "$DYN" "$TMPD/pd/dyntest.so"
"$CTL" listen 'dyntest.*' > "$TMPD/l2" 2> "$TMPD/l2.err" 9>&- &
L2=$!
sleep 0.3
ctl_ok plugin load "$TMPD/pd/dyntest.so"
grep -q "^dyntest attached" "$TMPD/c.out" || { cat "$TMPD/c.out"; fail "plugin load: not attached"; }
prog_id=$(bpftool prog show name handle_mkdir | sed -n 's/^\([0-9]*\):.*/\1/p' | head -1)
[ -n "$prog_id" ] || fail "dyntest's program is not in the kernel"
mkdir "$TMPD/ctl-one"
/bin/hostname > /dev/null
wait_file "$TMPD/l2" "ctl-one" "listen: no dyntest event after the hot load"
wait_file "$TMPD/out" '"comm":"hostname"' "execsnoop stopped delivering during the load"
ctl_ok plugin unload dyntest
for _ in $(seq 1 50); do
	bpftool prog show id "$prog_id" > /dev/null 2>&1 || break
	sleep 0.1
done
bpftool prog show id "$prog_id" > /dev/null 2>&1 && fail "dyntest's program stayed in the kernel after unload"
mkdir "$TMPD/ctl-two"
/bin/uname -a > /dev/null
sleep 0.3
{ grep -q "ctl-two" "$TMPD/l2" || grep '"plugin":"dyntest"' "$TMPD/out" | grep -q "ctl-two"; } &&
	fail "dyntest delivered after its unload"
kill -0 $L2 || fail "the listener of the unloaded plugin's topic died"
n_before=$(grep -c '"comm":"uname"' "$TMPD/out")
/bin/uname > /dev/null
sleep 0.3
[ "$(grep -c '"comm":"uname"' "$TMPD/out")" -gt "$n_before" ] || fail "execsnoop stopped delivering after the unload"
# Load again, reload, stop and start.
ctl_ok plugin load "$TMPD/pd/dyntest.so"
ctl_ok plugin reload dyntest
grep -q "^dyntest attached" "$TMPD/c.out" || fail "plugin reload: not attached"
mkdir "$TMPD/ctl-three"
wait_file "$TMPD/l2" "ctl-three" "no dyntest event after reload"
ctl_ok plugin stop dyntest
grep -q "^dyntest new" "$TMPD/c.out" || { cat "$TMPD/c.out"; fail "plugin stop: state"; }
ctl_ok plugin start dyntest
mkdir "$TMPD/ctl-four"
wait_file "$TMPD/l2" "ctl-four" "no dyntest event after stop and start"
ctl_ok plugin unload dyntest
echo "ok: plugin load, unload, reload, stop, start; execsnoop delivered throughout"
# The loader's file checks, and its rollback: nothing of a refused file stays.
cp "$DYN" "$TMPD/pd/gw.so" && chmod 664 "$TMPD/pd/gw.so"
ctl_refused "is writable by its group" plugin load "$TMPD/pd/gw.so"
echo "not a plugin" > "$TMPD/pd/text.so"
ctl_refused "not a loadable shared object" plugin load "$TMPD/pd/text.so"
ctl_refused "no plugin named" plugin unload nosuch
ctl_ok list
grep -q "dyntest" "$TMPD/c.out" && fail "a refused or unloaded plugin is still listed"

# stats
ctl_ok --json stats
[ "$(jq_py "[p['events'] for p in j['plugins'] if p['name']=='execsnoop'][0]")" -gt 0 ] || fail "stats: no execsnoop events"
[ "$(jq_py "j['control']['accepted']")" -gt 10 ] || fail "stats: control counters"
echo "ok: stats"

# --- hostile clients ------------------------------------------------------------------
python3 - "$S" <<'EOP' || fail "raw frames"
import json, socket, struct, sys, time
path = sys.argv[1]
def conn():
    s = socket.socket(socket.AF_UNIX); s.connect(path); s.settimeout(5); return s
def frame(obj):
    b = json.dumps(obj).encode(); return struct.pack(">I", len(b)) + b
def read(s):
    h = b""
    while len(h) < 4:
        c = s.recv(4 - len(h))
        if not c: return None
        h += c
    n = struct.unpack(">I", h)[0]; b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c: return None
        b += c
    return json.loads(b)
def closed(s):
    try:
        return s.recv(1) == b""
    except ConnectionResetError:
        return True
# Not JSON, not an object, unknown op, no method: an error each, the connection stays.
s = conn()
for bad in (b"{nope", b"[1,2]", b"\0\0\0"):
    s.sendall(struct.pack(">I", len(bad)) + bad)
    m = read(s); assert m["type"] == "error" and m["errno"] == 74, m
s.sendall(frame({"id": 7, "op": "dance"}))
m = read(s); assert m["type"] == "error" and m["id"] == 7, m
s.sendall(frame({"id": 8, "op": "call"}))
m = read(s); assert m["type"] == "error" and m["errno"] == 22, m
s.sendall(frame({"id": 9, "op": "call", "method": "emf.stats.get"}))
m = read(s); assert m["type"] == "reply" and m["id"] == 9, m
# Several frames in one write, and one frame split across writes.
s.sendall(frame({"id": 10, "op": "call", "method": "emf.bus.list"}) * 3)
assert [read(s)["id"] for _ in range(3)] == [10, 10, 10]
f = frame({"id": 11, "op": "call", "method": "emf.bus.list"})
for i in range(len(f)):
    s.sendall(f[i:i + 1])
assert read(s)["id"] == 11
# Oversized: an error, then the server closes.
s.sendall(struct.pack(">I", (1 << 20) + 1))
m = read(s); assert m["type"] == "error" and m["errno"] == 90, m
assert closed(s)
# A huge length and a truncated frame, then gone.
s = conn(); s.sendall(struct.pack(">I", 0xffffffff)); s.close()
s = conn(); s.sendall(frame({"id": 1, "op": "call", "method": "emf.stats.get"})[:9]); s.close()
# Vanishing mid-call and mid-stream.
for _ in range(20):
    s = conn(); s.sendall(frame({"id": 1, "op": "call", "method": "execcount.by_comm"})); s.close()
    s = conn(); s.sendall(frame({"id": 1, "op": "subscribe", "patterns": ["*"]})); s.close()
s = conn(); s.sendall(frame({"id": 1, "op": "subscribe", "patterns": ["a..b"]}))
m = read(s); assert m["type"] == "reply", m  # a glob: matched by the server, legal
s.sendall(frame({"id": 2, "op": "subscribe", "patterns": []}))
m = read(s); assert m["type"] == "error" and m["errno"] == 22, m
s.close()
print("ok: raw frames: malformed, oversized, split, truncated, vanishing clients")
EOP
kill -0 "$AGENT_PID" || fail "the agent died on hostile frames"

# map: a filter changed mid-run changes what the plugin reports.
ctl_ok plugin load "$TMPD/pd/dyntest.so"
mkdir "$TMPD/tick"
python3 -c "
import os, sys, time
print(os.getpid(), flush=True)
for i in range(400):
    os.mkdir('$TMPD/tick/t'); os.rmdir('$TMPD/tick/t'); time.sleep(0.02)" > "$TMPD/tick.pid" &
TICK=$!
wait_file "$TMPD/tick.pid" "^[0-9]" "the ticker did not start"
tpid=$(cat "$TMPD/tick.pid")
[ -n "$tpid" ] || fail "the ticker did not start"
ticks() { grep -c "\"pid\":$tpid,.*tick/t" "$TMPD/out"; }
wait_file "$TMPD/out" "\"pid\":$tpid,.*tick/t" "dyntest reports no tick"
ctl_ok map dyntest.muted set "$tpid" 1
[ "$(cat "$TMPD/c.out")" = 1 ] || { cat "$TMPD/c.out"; fail "map set: reply"; }
ctl_ok map dyntest.muted get "$tpid"
[ "$(cat "$TMPD/c.out")" = 1 ] || { cat "$TMPD/c.out"; fail "map get: reply"; }
ctl_ok map dyntest.muted dump
grep -q "{\"key\":$tpid,\"value\":1}" "$TMPD/c.out" || { cat "$TMPD/c.out"; fail "map dump: no entry"; }
bpftool map dump name muted | grep -q "\"key\": $tpid," || fail "the kernel's map does not hold the key"
sleep 0.3
n1=$(ticks)
sleep 1
n2=$(ticks)
[ "$n1" = "$n2" ] || fail "dyntest still reported ticks after the filter was set ($n1 -> $n2)"
ctl_ok map dyntest.muted set "$tpid" 0
sleep 1
[ "$(ticks)" -gt "$n2" ] || fail "dyntest reported no tick after the filter was cleared"
echo "ok: map: a filter set mid-run muted the ticker ($n1 ticks, then none), cleared it again"
ctl_refused "no such key" map dyntest.muted get 1
ctl_refused "expected an integer" map dyntest.muted set '"x"' 1
ctl_refused "integer out of range" map dyntest.muted set 1 300
ctl_refused "has no map named" map dyntest.nosuch dump
ctl_refused "no running plugin named" map nosuch.muted dump
ctl map dyntest.events dump && fail "a ring buffer was dumped"
kill $TICK 2> /dev/null; wait $TICK 2> /dev/null
ctl_ok plugin unload dyntest

# A stopped listener: the agent goes on, the listener is told what it lost.
ctl_ok plugin load "$TMPD/pd/dyntest.so"
"$CTL" listen 'dyntest.*' > "$TMPD/l3" 2> "$TMPD/l3.err" 9>&- &
L3=$!
sleep 0.3
kill -STOP $L3
mkdir "$TMPD/storm"
python3 -c "
import os
for i in range(100000):
    os.mkdir('$TMPD/storm/d'); os.rmdir('$TMPD/storm/d')"
sleep 0.5
ctl_ok --json stats
delivered=$(jq_py "[p['events'] for p in j['plugins'] if p['name']=='dyntest'][0]")
[ "$delivered" -ge 50000 ] || fail "the agent delivered $delivered of 100000 events while a listener was stopped"
kill -CONT $L3
sleep 1
grep -q "lost [0-9]* messages" "$TMPD/l3.err" || { cat "$TMPD/l3.err"; fail "the stopped listener was not told of its losses"; }
got=$(grep -c storm "$TMPD/l3")
[ "$got" -lt "$delivered" ] || fail "the stopped listener lost nothing ($got of $delivered)"
told=$(sed -n 's/.*lost [0-9]* messages (\([0-9]*\) in all).*/\1/p' "$TMPD/l3.err" | tail -1)
ctl_ok --json stats
[ "$(jq_py "j['control']['msgs_lost']")" -ge "$told" ] || fail "stats: msgs_lost below the $told the listener was told of"
echo "ok: stopped listener: agent delivered $delivered, listener got $got and: $(tail -1 "$TMPD/l3.err")"
kill -INT $L3; wait $L3
ctl_ok plugin unload dyntest

# 100 clients at once.
pids=()
for i in $(seq 1 100); do
	"$CTL" call emf.stats.get > "$TMPD/m.$i" 2>&1 9>&- &
	pids+=($!)
done
n_ok=0
for j in "${pids[@]}"; do
	wait "$j" && n_ok=$((n_ok + 1))
done
[ "$n_ok" = 100 ] || fail "only $n_ok of 100 concurrent clients succeeded"
grep -L '"plugins"' "$TMPD"/m.* | grep -q . && fail "a concurrent client got no stats"
echo "ok: 100 concurrent clients"

# Peers: nobody cannot reach a root-only socket; with the mode opened, SO_PEERCRED refuses.
setpriv --reuid=65534 --regid=65534 --clear-groups "$CTL" list > "$TMPD/n.out" 2> "$TMPD/n.err" 9>&- && fail "nobody could use a root-only socket"
grep -q "Permission denied" "$TMPD/n.err" || { cat "$TMPD/n.err"; fail "no message for nobody"; }
chmod 666 "$S"
setpriv --reuid=65534 --regid=65534 --clear-groups "$CTL" list > "$TMPD/n.out" 2> "$TMPD/n.err" 9>&- && fail "SO_PEERCRED let nobody in"
grep -q "permission denied: uid 65534 is not root" "$TMPD/n.err" || { cat "$TMPD/n.err"; fail "no refusal message for nobody"; }
echo "ok: refused: $(cat "$TMPD/n.err")"
ctl_ok --json stats
[ "$(jq_py "j['control']['refused']")" -ge 1 ] || fail "the refused peer was not counted"

# The listeners survived all of it, and still receive.
/bin/uname -r > /dev/null
n=$(grep -c '"comm":"uname"' "$TMPD/l1")
[ "$n" -ge 2 ] || fail "the first listener stopped receiving ($n uname events)"
kill -INT $L1 $L2; wait $L1; wait $L2
stop_agent
[ "$AGENT_RC" = 0 ] || fail "emf-agent exited with $AGENT_RC"
[ -e "$S" ] && fail "the agent left its socket behind"
check_no_leak

# A control group: its members get in, other groups do not.
start_agent -p execsnoop --control="$S" --control-group 4242
[ "$(stat -c '%a %g' "$S")" = "660 4242" ] || fail "group socket mode $(stat -c '%a %g' "$S"), want 660 4242"
setpriv --reuid=65534 --regid=65534 --groups=4242 "$CTL" list > "$TMPD/n.out" 2> "$TMPD/n.err" 9>&- || { cat "$TMPD/n.err"; fail "a member of the control group was refused"; }
setpriv --reuid=65534 --regid=4343 --groups=4343 "$CTL" list > "$TMPD/n.out" 2> "$TMPD/n.err" 9>&- && fail "a peer of another group got in"
chmod 666 "$S"
setpriv --reuid=65534 --regid=4343 --groups=4343 "$CTL" list > "$TMPD/n.out" 2> "$TMPD/n.err" 9>&- && fail "SO_PEERGROUPS let another group in"
grep -q "nor a member of the control group" "$TMPD/n.err" || { cat "$TMPD/n.err"; fail "no refusal message for a wrong group"; }
echo "ok: control group: member accepted, other group refused"
stop_agent
check_no_leak
echo "PASS: emf-ctl list, call, listen, signal, plugin, map and stats against a running agent"
