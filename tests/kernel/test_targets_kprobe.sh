#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Kernel functions a tool's user space would have chosen (tracepoints and uprobes:
# test_targets.sh). hookalt's kretprobes on hrtimer_nanosleep under its name (on_sleep)
# and under a name this kernel lacks (on_sleep_renamed): only the first attaches, the
# other is left out with a note. Its placeholders fentry/dummy_file_read and
# kretprobe/dummy_kretprobe, set by --attach-to to hrtimer_nanosleep (for the fentry,
# the second of two alternatives), see a child's 123 ms sleep at entry and return.
# Without targets they are left out; a target the kernel lacks fails the start with
# one message naming plugin, program and target. The fsslower of tests/codegen/realworld,
# placeholders in kprobe and fentry variants, runs with its read ones set to the file
# system's read function: one event per read. Needs kprobes and fentry (the 6.1
# guest of tests/vm has both): SKIPs naming what this kernel lacks.
. "$(dirname "$0")/lib.sh"
need_root
why=$("$top_builddir/tests/kernel/kfeature" kprobe hrtimer_nanosleep) || skip "$why"
why=$("$top_builddir/tests/kernel/kfeature" fentry hrtimer_nanosleep) || skip "$why"
so="$top_builddir/tests/plugins/hookalt/hookalt.emf.so"
[ -f "$so" ] || fail "test plugin not built: $so"
child="emfalt$$"
cp "$(type -P sleep)" "$TMPD/$child"

start_agent --json --plugin "$so" -p hookalt \
	--attach-to hookalt.on_placeholder=hrtimer_nanosleep_emf_missing,hrtimer_nanosleep \
	--attach-to hookalt.on_ret_placeholder=hrtimer_nanosleep
[ "$(grep -c "note: plugin 'hookalt': program on_sleep_renamed() (section 'kretprobe/hrtimer_nanosleep_emf_renamed') is left out: this kernel has no function hrtimer_nanosleep_emf_renamed (not in available_filter_functions nor /proc/kallsyms)" "$TMPD/err")" = 1 ] ||
	{ cat "$TMPD/err"; fail "no single note naming on_sleep_renamed"; }
grep -q "on_placeholder\|on_ret_placeholder\|on_sleep()" "$TMPD/err" && { cat "$TMPD/err"; fail "a message about a program that attaches"; }
"$TMPD/$child" 0.123 &
pid=$!
wait $pid || fail "$child 0.123 failed"
wait_out "\"pid\":$pid,.*HOOK_KRETPROBE_PLACEHOLDER"
stop_agent
[ "$AGENT_RC" = 0 ] || { cat "$TMPD/err"; fail "emf-agent exited with $AGENT_RC"; }
want_events hookalt $pid "$child" HOOK_KRETPROBE:0 HOOK_FENTRY:123000000 HOOK_KRETPROBE_PLACEHOLDER:0
check_no_leak
echo "ok: on_sleep_renamed left out; the kretprobe and the placeholders set by --attach-to saw the sleep of pid $pid:"
echo "$events"

# Without targets the placeholders are left out with a note each, on_sleep runs.
start_agent --json --plugin "$so" -p hookalt
grep -q "note: plugin 'hookalt': program on_placeholder() (section 'fentry/dummy_file_read') is left out: this kernel has no function dummy_file_read in its BTF; .*--attach-to hookalt.on_placeholder=FUNCTION)$" "$TMPD/err" ||
	{ cat "$TMPD/err"; fail "no note for the fentry placeholder"; }
grep -q "note: plugin 'hookalt': program on_ret_placeholder() (section 'kretprobe/dummy_kretprobe') is left out: this kernel has no function dummy_kretprobe " "$TMPD/err" ||
	{ cat "$TMPD/err"; fail "no note for the kretprobe placeholder"; }
"$TMPD/$child" 0.05 &
pid=$!
wait $pid
wait_out "\"pid\":$pid,.*HOOK_KRETPROBE\",\"value\":0" || { cat "$TMPD/out"; fail "on_sleep did not run beside the programs left out"; }
stop_agent
[ "$AGENT_RC" = 0 ] || { cat "$TMPD/err"; fail "emf-agent without targets exited with $AGENT_RC"; }
check_no_leak
echo "ok: without targets the placeholders are left out with a note and on_sleep runs"

# A tool as libbpf-tools' fsslower wrote it: placeholders in two variants, kprobe and
# fentry; its read ones set to the read function of the file system $TMPD is on. The
# fentry variant runs (never both: one event per read), the write placeholders are left
# out.
fss="$top_builddir/tests/codegen/realworld/fsslower/fsslower.emf.so"
[ -f "$fss" ] || fail "test plugin not built: $fss"
case $(stat -f -c %T "$TMPD") in
tmpfs) fn=shmem_file_read_iter ;;
ext2/ext3) fn=ext4_file_read_iter ;;
*) fn=generic_file_read_iter ;;
esac
head -c 12345 /dev/zero > "$TMPD/emfread.dat"
reader="emfdd$$"
cp "$(type -P dd)" "$TMPD/$reader"
set -- --json --plugin "$fss" -p fsslower
for prog in file_read_entry file_read_exit file_read_fentry file_read_fexit; do
	set -- "$@" --attach-to "fsslower.$prog=$fn"
done
start_agent "$@"
for prog in file_write_fentry file_write_fexit; do
	grep -q "note: plugin 'fsslower': program $prog() (section 'f[a-z]*/dummy_file_write') is left out: this kernel has no function dummy_file_write in its BTF" "$TMPD/err" ||
		{ cat "$TMPD/err"; fail "no note for the placeholder $prog"; }
done
"$TMPD/$reader" if="$TMPD/emfread.dat" of=/dev/null bs=12345 count=1 2> /dev/null || fail "$reader failed"
wait_out "\"file\":\"emfread.dat\",\"task\":\"$reader\""
sleep 0.3
stop_agent
[ "$AGENT_RC" = 0 ] || { cat "$TMPD/err"; fail "emf-agent with fsslower exited with $AGENT_RC"; }
reads=$(grep "\"op\":\"F_READ\",\"file\":\"emfread.dat\",\"task\":\"$reader\"" "$TMPD/out")
[ "$(echo "$reads" | grep -c .)" = 1 ] || { cat "$TMPD/out"; fail "want one read event of $reader, $fn in both variants"; }
echo "$reads" | grep -q "\"offset\":0,\"size\":12345,\"pid\":[0-9]*," || fail "the read event does not hold offset 0 and 12345 bytes: $reads"
check_no_leak
echo "ok: fsslower's read placeholders at $fn, one variant: $reads"

refused_start "plugin 'hookalt' failed to load: fentry target 'no_such_function_emf' of program on_placeholder() is not in this kernel's BTF" \
	--plugin "$so" -p hookalt --attach-to hookalt.on_placeholder=no_such_function_emf
refused_start "plugin 'hookalt' failed to load: none of the fentry targets 'no_such_function_emf,__no_such_function_emf' of program on_placeholder() is in this kernel's BTF" \
	--plugin "$so" -p hookalt --attach-to hookalt.on_placeholder=no_such_function_emf,__no_such_function_emf
refused_start "plugin 'hookalt' failed to load: kretprobe target 'no_such_function_emf' of program on_ret_placeholder() is not a function of this kernel" \
	--plugin "$so" -p hookalt --attach-to hookalt.on_ret_placeholder=no_such_function_emf
# A function in the kernel's BTF that ftrace cannot trace (a tracepoint's BPF stub):
# fentry loads for it and cannot attach, said in words with the target named.
untraceable=$(bpftool btf dump file /sys/kernel/btf/vmlinux |
	awk '$2 == "FUNC" && $3 ~ /^.__bpf_trace_/ { gsub("\047", "", $3); print $3 }' | sort -u |
	comm -23 - <(awk '{ print $1 }' /sys/kernel/tracing/available_filter_functions | sort -u) | head -1)
if [ -n "$untraceable" ]; then
	refused_start "plugin 'hookalt' failed to attach: fentry program on_placeholder() cannot attach to $untraceable: " \
		--plugin "$so" -p hookalt --attach-to "hookalt.on_placeholder=$untraceable"
	grep -q "(it is not in available_filter_functions: this kernel cannot trace it)$" "$TMPD/err2" ||
		{ cat "$TMPD/err2"; fail "the attach failure does not say the function cannot be traced"; }
fi
check_no_leak
echo "PASS: kprobe and fentry targets: the name this kernel has attaches, placeholders set by --attach-to, missing targets named"
