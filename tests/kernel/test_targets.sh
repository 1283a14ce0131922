#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Hooks a tool's user space would have decided, for tracepoints and uprobes (kprobes and
# fentry: test_targets_kprobe.sh). hookskip's on_missing is on a tracepoint no kernel
# has: it is left out with one note naming it, and the others deliver a child's 123 ms
# sleep: on_enter at sys_enter_clock_nanosleep, and the placeholders set by --attach-to,
# on_exit_placeholder at sys_exit_clock_nanosleep (of the alternatives given, the one
# this kernel has) and the bare SEC("uprobe") on_libc at libc's nanosleep. A target that
# is not there, a program that is not there, --strict, and a plugin whose only program
# has no hook (hooknone) each fail with one message naming plugin, program and target.
. "${top_srcdir:-.}/tests/kernel/lib.sh"
need_root
so="$top_builddir/tests/plugins/hookskip/hookskip.emf.so"
none="$top_builddir/tests/plugins/hooknone/hooknone.emf.so"
[ -f "$so" ] && [ -f "$none" ] || fail "test plugins not built: $so $none"
# The libc this shell runs with, which the copied sleep below uses too.
libc=$(awk '$6 ~ /\/libc[.-]/ { print $6; exit }' /proc/$$/maps)
[ -n "$libc" ] || fail "no libc in /proc/$$/maps"
note_missing="note: plugin 'hookskip': program on_missing() (section 'tp/syscalls/sys_enter_nonexistent_emf') is left out: this kernel has no tracepoint syscalls/sys_enter_nonexistent_emf"
child="emftgt$$"
cp "$(type -P sleep)" "$TMPD/$child"

start_agent --json --plugin "$so" -p hookskip \
	--attach-to hookskip.on_exit_placeholder=syscalls/sys_exit_nonexistent_emf,syscalls/sys_exit_clock_nanosleep \
	--attach-to "hookskip.on_libc=$libc:nanosleep"
[ "$(grep -c "$note_missing" "$TMPD/err")" = 1 ] || { cat "$TMPD/err"; fail "no single note naming on_missing"; }
grep -q "on_exit_placeholder\|on_libc" "$TMPD/err" && { cat "$TMPD/err"; fail "a message about a program whose target was set"; }
"$TMPD/$child" 0.123 &
pid=$!
wait $pid || fail "$child 0.123 failed"
wait_out "\"pid\":$pid,.*HOOK_TP_EXIT"
stop_agent
[ "$AGENT_RC" = 0 ] || { cat "$TMPD/err"; fail "emf-agent exited with $AGENT_RC"; }
want_events hookskip $pid "$child" HOOK_TP_ENTER:123000000 HOOK_UPROBE:123000000 HOOK_TP_EXIT:0
check_no_leak
echo "ok: on_missing left out, the tracepoint, the placeholder tracepoint and the uprobe saw the sleep of pid $pid:"
echo "$events"

# Without targets the placeholder tracepoint is left out too, and the others run.
start_agent --json --plugin "$so" -p hookskip
grep -q "note: plugin 'hookskip': program on_exit_placeholder() (section 'tp/syscalls/dummy_syscall_exit') is left out: this kernel has no tracepoint syscalls/dummy_syscall_exit .*--attach-to hookskip.on_exit_placeholder=CATEGORY/NAME)$" "$TMPD/err" ||
	{ cat "$TMPD/err"; fail "no note for the placeholder on_exit_placeholder and how to set it"; }
"$TMPD/$child" 0.05 &
pid=$!
wait $pid
wait_out "\"pid\":$pid,.*HOOK_TP_ENTER" || { cat "$TMPD/out"; fail "on_enter did not run beside the programs left out"; }
stop_agent
[ "$AGENT_RC" = 0 ] || { cat "$TMPD/err"; fail "emf-agent without targets exited with $AGENT_RC"; }
check_no_leak
echo "ok: without targets the placeholders are left out with a note and on_enter runs"

# Failures: exit 1, one line of the SDK's naming plugin, program and target.
refused_start "plugin 'hookskip' failed to load: tp target 'syscalls/sys_exit_nonexistent_emf' of program on_exit_placeholder() is not a tracepoint of this kernel" \
	--plugin "$so" -p hookskip --attach-to hookskip.on_exit_placeholder=syscalls/sys_exit_nonexistent_emf
refused_start "plugin 'hookskip' failed to attach: uprobe target '$libc:no_such_symbol_emf' of program on_libc(): $libc has no symbol no_such_symbol_emf" \
	--plugin "$so" -p hookskip --attach-to "hookskip.on_libc=$libc:no_such_symbol_emf"
refused_start "plugin 'hookskip' failed to load: uprobe target '/nonexistent/emf:f' of program on_libc() is not a binary on this machine" \
	--plugin "$so" -p hookskip --attach-to hookskip.on_libc=/nonexistent/emf:f
refused_start "plugin 'hookskip' failed to load: it has no program 'nosuch' to set the attach target of" \
	--plugin "$so" -p hookskip --attach-to hookskip.nosuch=x
refused_start "plugin 'hookskip' failed to load: program on_missing() (section 'tp/syscalls/sys_enter_nonexistent_emf') has no hook on this kernel: this kernel has no tracepoint syscalls/sys_enter_nonexistent_emf" \
	--plugin "$so" -p hookskip --strict
refused_start "plugin 'hooknone' failed to load: none of its programs has its hook on this kernel (on_missing() (section 'tp/syscalls/sys_enter_nonexistent_emf'): this kernel has no tracepoint syscalls/sys_enter_nonexistent_emf" \
	--plugin "$none" -p hooknone
grep -q "note:" "$TMPD/err2" && { cat "$TMPD/err2"; fail "hooknone: a note beside its failure"; }
# Bad usage: exit 2, one line, nothing loaded.
refused --plugin "$so" -p hookskip --attach-to hookskip.on_libc
refused --plugin "$so" -p hookskip --attach-to hookskip.on_libc=
echo "PASS: missing tracepoints left out with a note, placeholder tracepoint and uprobe attached by --attach-to, failures name plugin, program and target"
