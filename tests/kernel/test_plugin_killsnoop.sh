#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The bundled slot pair through emf-agent: sysdispatch calls slot sys_signal at the
# exit of kill(), killsnoop fills it and reads the arguments sysdispatch left in the
# shared map sys_inflight. Without killsnoop, the calls miss and --stats counts
# them; killsnoop alone is refused; its options target_pid and failed_only keep
# only one sender's signals and only the sends that failed. Nothing is left in the kernel or on bpffs.
. "${top_srcdir:-.}/tests/kernel/lib.sh"
need_root
PINS="$PIN_ROOT"

wait_for() {
	for _ in $(seq 1 50); do
		grep -q "$1" "$TMPD/out" && return 0
		sleep 0.1
	done
	return 1
}

# 1. Both plugins: kill() results arrive through the slot.
start_agent --json --pin-root "$PINS" -p sysdispatch -p killsnoop --stats
[ -e "$PINS/slots/raw_tracepoint" ] || fail "no shared prog array pinned at $PINS/slots/raw_tracepoint"
[ -e "$PINS/maps/sys_inflight" ] || fail "map sys_inflight is not pinned at $PINS/maps/sys_inflight"
# The slot holds killsnoop's program, as the kernel sees it (a prog array dumps the
# program id as bytes, little endian), and that program is the agent's.
set -- $(bpftool map dump pinned "$PINS/slots/raw_tracepoint" | sed -n 's/.*value: //p')
[ $# = 4 ] || fail "the sys_signal slot is empty: $(bpftool map dump pinned "$PINS/slots/raw_tracepoint")"
id=$((0x$1 | 0x$2 << 8 | 0x$3 << 16 | 0x$4 << 24))
bpftool prog show id "$id" | grep -q "name killsnoop_exit" ||
	fail "the sys_signal slot holds program $id, not killsnoop_exit"
grep -q "^prog $id\$" "$TMPD/owned" || fail "program $id in the slot is not the agent's"
sleep 60 &
victim=$!
# Signal it once it is sleep, not the forked shell that would run our EXIT trap.
for _ in $(seq 1 50); do
	[ "$(cat /proc/$victim/comm 2> /dev/null)" = sleep ] && break
	sleep 0.02
done
kill -USR1 "$victim"
wait "$victim" 2> /dev/null
kill -0 999999 2> /dev/null
wait_for "\"target\":$victim,\"sig\":10,\"sig_name\":\"SIGUSR1\",\"ret\":0,\"ret_name\":\"0\"," || { cat "$TMPD/out"; fail "no killsnoop event for kill($victim, SIGUSR1)"; }
wait_for '"target":999999,"sig":0,"sig_name":"0","ret":-3,"ret_name":"ESRCH",' || { cat "$TMPD/out"; fail "no killsnoop event for kill(999999, 0) = -ESRCH"; }
grep "\"target\":$victim," "$TMPD/out" | grep -q '"syscall":"kill"' || fail "the event does not name the syscall"
stop_agent
[ "$AGENT_RC" = 0 ] || { cat "$TMPD/err"; fail "emf-agent exited with $AGENT_RC"; }
grep -Eq '^sys_signal +raw_tracepoint +[0-9]+ killsnoop +[0-9]+ +0$' "$TMPD/err" ||
	{ cat "$TMPD/err"; fail "--stats does not show slot sys_signal filled by killsnoop with no miss"; }
check_no_leak

# 2. Options: failed_only keeps kill(999999, 0) = -ESRCH and drops kill($$, 0) = 0;
# target_pid keeps the signals of the process named, not this shell's.
start_agent --json --pin-root "$PINS" -p sysdispatch -p killsnoop --arg killsnoop.failed_only=true
kill -0 $$
kill -0 999999 2> /dev/null
wait_for '"target":999999,' || { cat "$TMPD/out"; fail "failed_only: no event for kill(999999, 0) = -ESRCH"; }
stop_agent
[ "$AGENT_RC" = 0 ] || { cat "$TMPD/err"; fail "emf-agent with failed_only exited with $AGENT_RC"; }
grep -q "\"target\":$$," "$TMPD/out" && fail "failed_only reported the successful kill($$, 0)"
check_no_leak
mkfifo "$TMPD/go"
bash -c 'read -r _ < "$1"; kill -0 999998' sh "$TMPD/go" 2> /dev/null &
sender=$!
start_agent --json --pin-root "$PINS" -p sysdispatch -p killsnoop --arg killsnoop.target_pid=$sender
kill -0 999997 2> /dev/null
echo go > "$TMPD/go"
wait $sender
wait_for '"target":999998,' || { cat "$TMPD/out"; fail "target_pid=$sender: no event for its kill(999998, 0)"; }
stop_agent
[ "$AGENT_RC" = 0 ] || { cat "$TMPD/err"; fail "emf-agent with target_pid exited with $AGENT_RC"; }
grep -q '"target":999997,' "$TMPD/out" && fail "target_pid=$sender reported this shell's kill(999997, 0)"
check_no_leak

# 3. The dispatcher alone: its calls miss and are counted.
start_agent --pin-root "$PINS" -p sysdispatch --stats
for _ in 1 2 3; do kill -0 $$; done
stop_agent
[ "$AGENT_RC" = 0 ] || { cat "$TMPD/err"; fail "emf-agent exited with $AGENT_RC"; }
missed=$(awk '$1 == "sys_signal" { print $NF }' "$TMPD/err")
[ -n "$missed" ] && [ "$missed" -ge 3 ] ||
	{ cat "$TMPD/err"; fail "--stats does not count the calls that missed slot sys_signal (got '$missed')"; }
grep -Eq '^sys_signal +raw_tracepoint +[0-9]+ - +0 ' "$TMPD/err" ||
	{ cat "$TMPD/err"; fail "--stats shows slot sys_signal filled while no plugin fills it"; }
check_no_leak

# 4. The handler alone: refused, saying what is missing.
"$AGENT" --pin-root "$PINS" -p killsnoop -d 1 > /dev/null 2> "$TMPD/err3" 9>&-
rc=$?
[ "$rc" = 1 ] || fail "killsnoop without sysdispatch: exit $rc, expected 1"
grep -q "plugin 'killsnoop' failed to import map 'sys_inflight': no plugin exports it" "$TMPD/err3" ||
	{ cat "$TMPD/err3"; fail "killsnoop without sysdispatch: no clear refusal"; }

[ -e "$PINS" ] && fail "pins left behind: $(find "$PINS")"
echo "PASS: killsnoop through sysdispatch's slot, its options, misses counted, nothing left"
