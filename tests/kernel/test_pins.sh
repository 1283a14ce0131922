#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Who owns the pin root, through emf-agent with the slot pair sysdispatch + killsnoop:
# 1. a root, or a subdirectory, made beforehand by another user (uid 65534, mode 0777),
#    made writable by others, or a symlink, is refused with what to remove, and nothing
#    is pinned in it; what the agent creates is 0700;
# 2. a second agent on the same root is refused, naming the running owner's pid, and
#    the first keeps delivering, while it runs and after the second is gone; two agents
#    on two roots both deliver;
# 3. after SIGKILL, the prog array keeps the dead agent's program alive; the next agent
#    says it removed the stale pins, the dead agent's objects are gone, its slot works,
#    and after a normal stop no program, map, link or pin is left; --cleanup-pins does
#    the same by hand and refuses while the owner runs.
. "${top_srcdir:-.}/tests/kernel/lib.sh"
need_root
[ -d "$PIN_PARENT" ] || skip "bpffs is not mounted on $PIN_PARENT"
ROOT="$PIN_ROOT"
NOBODY=65534

# Programs, maps and links in the kernel, as "kind id" lines.
kernel_ids() {
	local kind
	for kind in prog map link; do
		bpftool "$kind" list -j 2> /dev/null | grep -o '"id":[0-9]*' | sed "s/^\"id\":/$kind /"
	done | sort -u
}

# The program id in slot 0 of the root's raw_tracepoint prog array, empty for none.
slot_prog() {
	set -- $(bpftool map dump pinned "$ROOT/slots/raw_tracepoint" 2> /dev/null | sed -n 's/.*value: //p')
	[ $# = 4 ] && echo $((0x$1 | 0x$2 << 8 | 0x$3 << 16 | 0x$4 << 24))
}

# kill(2) of a process that exists, signal 0; the event must reach file $1 within 5 s.
kill_seen() {
	local target
	sleep 30 &
	target=$!
	kill -0 "$target"
	for _ in $(seq 1 50); do
		grep -q "\"target\":$target,\"sig\":0,\"sig_name\":\"0\",\"ret\":0," "$1" && { kill "$target"; wait "$target" 2> /dev/null; return 0; }
		sleep 0.1
	done
	kill "$target"
	wait "$target" 2> /dev/null
	return 1
}

run_refused() { # what, expected words...
	local what=$1 w
	shift
	"$AGENT" --pin-root "$ROOT" -p sysdispatch -p killsnoop -d 1 > /dev/null 2> "$TMPD/ref" 9>&-
	rc=$?
	[ "$rc" = 1 ] || { cat "$TMPD/ref"; fail "$what: exit $rc, expected 1 (refused)"; }
	for w in "$@"; do
		grep -qF -- "$w" "$TMPD/ref" || { cat "$TMPD/ref"; fail "$what: the message lacks '$w'"; }
	done
	echo "  $what: $(grep -m1 '^emf-agent: ' "$TMPD/ref")"
}

before=$(kernel_ids)

# 1. Pin directories made by someone else.
setpriv --reuid $NOBODY --regid $NOBODY --clear-groups mkdir -m 777 "$ROOT" "$ROOT/slots" "$ROOT/maps" ||
	fail "uid $NOBODY cannot create $ROOT (mode $(stat -c %a "$PIN_PARENT") of $PIN_PARENT)"
run_refused "root made by uid $NOBODY" "refusing pin directory $ROOT:" "owned by uid $NOBODY" "rm -r $ROOT"
[ -z "$(find "$ROOT" -mindepth 2)" ] || fail "pins were made under $ROOT, which uid $NOBODY owns: $(ls -R "$ROOT")"
rm -r "$ROOT"
mkdir -m 700 "$ROOT" && mkdir -m 700 "$ROOT/slots" && chown $NOBODY "$ROOT/slots"
run_refused "subdirectory owned by uid $NOBODY" "refusing pin directory $ROOT/slots:" "owned by uid $NOBODY"
[ "$(stat -c %u "$ROOT/slots" 2> /dev/null)" = $NOBODY ] || fail "the refused agent changed $ROOT/slots, which it refused"
rm -r "$ROOT"
mkdir -m 700 "$ROOT" && mkdir "$ROOT/maps" && chmod 777 "$ROOT/maps"
run_refused "subdirectory of mode 0777" "refusing pin directory $ROOT/maps:" "writable by group or others (mode 0777)"
[ "$(stat -c %a "$ROOT/maps" 2> /dev/null)" = 777 ] || fail "the refused agent changed $ROOT/maps, which it refused"
rm -r "$ROOT"
mkdir -m 700 "$TMPD/elsewhere"
ln -s "$TMPD/elsewhere" "$ROOT"
run_refused "root that is a symlink" "refusing pin directory $ROOT: it is a symlink" "rm $ROOT"
[ -z "$(ls -A "$TMPD/elsewhere")" ] || fail "the agent followed the symlink $ROOT"
rm "$ROOT"

# What the agent creates is its own, 0700.
start_agent --json --pin-root "$ROOT" -p sysdispatch -p killsnoop
for d in "$ROOT" "$ROOT/slots" "$ROOT/maps"; do
	[ "$(stat -c '%a %u' "$d")" = "700 0" ] || fail "$d is $(stat -c '%a %u' "$d"), expected mode 700 owned by uid 0"
done
[ "$(readlink "$ROOT/owner")" = "$AGENT_PID" ] || fail "$ROOT/owner does not name the agent's pid $AGENT_PID: $(ls -l "$ROOT")"
A_PID=$AGENT_PID
cp "$TMPD/owned" "$TMPD/owned.a"

# 2. A second agent on the same root: refused, naming the owner; the owner keeps its slot.
kill_seen "$TMPD/out" || fail "agent A delivers no kill event"
a_slot=$(slot_prog)
run_refused "second agent on the root" "belong to emf-agent (pid $A_PID), which is running" "--pin-root"
[ "$(slot_prog)" = "$a_slot" ] || fail "the second agent changed slot sys_signal: program ${a_slot:-none} -> $(slot_prog)"
kill_seen "$TMPD/out" || fail "agent A delivers no kill event after a second agent was refused"
"$AGENT" --cleanup-pins --pin-root "$ROOT" 2> "$TMPD/cl" 9>&- && fail "--cleanup-pins removed the pins of a running agent"
grep -q "emf-agent (pid $A_PID) is running" "$TMPD/cl" || { cat "$TMPD/cl"; fail "--cleanup-pins does not name the running owner"; }
# On a root of its own, a second agent runs beside the first: both see the same kill().
"$AGENT" --json --pin-root "$ROOT-b" -p sysdispatch -p killsnoop > "$TMPD/out.b" 2> "$TMPD/err.b" 9>&- &
B_PID=$!
for _ in $(seq 1 300); do
	grep -q "^emf-agent: running" "$TMPD/err.b" && break
	kill -0 $B_PID 2> /dev/null || break
	sleep 0.1
done
grep -q "^emf-agent: running" "$TMPD/err.b" || { cat "$TMPD/err.b"; fail "agent B on $ROOT-b did not start"; }
owned_objects $B_PID > "$TMPD/owned.b"
sleep 30 &
target=$!
kill -0 $target
for _ in $(seq 1 50); do
	grep -q "\"target\":$target,\"sig\":0" "$TMPD/out" && grep -q "\"target\":$target,\"sig\":0" "$TMPD/out.b" && break
	sleep 0.1
done
kill $target
wait $target 2> /dev/null
grep -q "\"target\":$target,\"sig\":0" "$TMPD/out" || fail "agent A missed kill($target) while agent B ran"
grep -q "\"target\":$target,\"sig\":0" "$TMPD/out.b" || fail "agent B missed kill($target)"
kill -INT $B_PID
wait $B_PID || fail "agent B exited with $?"
[ -e "$ROOT-b" ] && fail "agent B left $(ls -R "$ROOT-b")"
kill_seen "$TMPD/out" || fail "agent A delivers no kill event after agent B exited"

# 3. SIGKILL: the prog array keeps the dead agent's program alive.
dead_prog=$(slot_prog)
[ -n "$dead_prog" ] || fail "slot sys_signal is empty while agent A runs"
kill -KILL $A_PID
wait $A_PID 2> /dev/null
AGENT_PID=
bpftool prog show id "$dead_prog" > /dev/null 2>&1 || fail "program $dead_prog should outlive its agent in the pinned prog array"
left=$(ls -R "$ROOT" | tr '\n' ' ')
echo "  after SIGKILL: program $dead_prog alive in the slot; $ROOT holds: $left"
start_agent --json --pin-root "$ROOT" -p sysdispatch -p killsnoop
grep -q "process $A_PID died without removing its pins; removed them: 1 slot emptied, 4 pins removed" "$TMPD/err" ||
	{ cat "$TMPD/err"; fail "the next agent does not say it removed what agent $A_PID left"; }
echo "  $(grep 'died without' "$TMPD/err")"
[ "$(grep -c 'died without' "$TMPD/err")" = 1 ] || fail "the stale pins are reported more than once"
cp "$TMPD/owned.a" "$TMPD/owned" && check_no_leak # the dead agent's objects are gone
record_owned "$AGENT_PID"
[ "$(slot_prog)" != "$dead_prog" ] && [ -n "$(slot_prog)" ] || fail "slot sys_signal does not hold the new agent's program"
kill_seen "$TMPD/out" || fail "no kill event through the slot after the stale pins were removed"
stop_agent
[ "$AGENT_RC" = 0 ] || { cat "$TMPD/err"; fail "emf-agent exited with $AGENT_RC"; }
check_no_leak
[ -e "$ROOT" ] && fail "pins left after a normal stop: $(ls -R "$ROOT")"

# --cleanup-pins by hand after a SIGKILL.
start_agent --json --pin-root "$ROOT" -p sysdispatch -p killsnoop
dead_prog=$(slot_prog)
kill -KILL "$AGENT_PID"
wait "$AGENT_PID" 2> /dev/null
AGENT_PID=
"$AGENT" --cleanup-pins --pin-root "$ROOT" 2> "$TMPD/cl" 9>&- || { cat "$TMPD/cl"; fail "--cleanup-pins failed"; }
grep -q "^emf-agent: $ROOT: 4 pins removed" "$TMPD/cl" || { cat "$TMPD/cl"; fail "--cleanup-pins does not say what it removed"; }
[ -e "$ROOT" ] && fail "--cleanup-pins left $(ls -R "$ROOT")"
check_no_leak
"$AGENT" --cleanup-pins --pin-root "$ROOT" 2> "$TMPD/cl" 9>&- || fail "--cleanup-pins without a root failed"
grep -q "0 pins removed" "$TMPD/cl" || { cat "$TMPD/cl"; fail "--cleanup-pins without a root says $(cat "$TMPD/cl")"; }

# Nothing of ours is left in the kernel: compare the id lists (the kernel frees late).
for _ in $(seq 1 50); do
	new=$(comm -13 <(echo "$before") <(kernel_ids))
	ours=
	while read -r kind id; do
		[ -n "$kind" ] || continue
		bpftool "$kind" show id "$id" 2> /dev/null | grep -Eq 'sysdispatch|killsnoop|emf_slot|inflight' &&
			ours="$ours $kind:$id"
	done <<< "$new"
	[ -z "$ours" ] && break
	sleep 0.1
done
[ -z "$ours" ] || fail "objects of the test's agents left in the kernel:$ours"
echo "  objects left: 0 (new ids since the start, of anyone: $(echo "$new" | grep -c .))"
echo "PASS: foreign pin roots refused, one owner per root, stale pins of a killed agent removed, nothing left"
