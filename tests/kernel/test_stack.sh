#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Stacks carried in events, symbolised: the stacktest plugin records this shell's
# forks with bpf_get_stack(); emf-agent must name the kernel frames from
# /proc/kallsyms (kernel_clone, on every kernel since 5.10, then the syscall entry)
# and the innermost user frame from the C library's ELF symbols, with its file,
# in JSON (an array of strings) and in text (frames joined by ';').
. "$(dirname "$0")/lib.sh"
need_root
so="$top_builddir/tests/plugins/stacktest/stacktest.emf.so"
[ -f "$so" ] || fail "test plugin not built: $so"
grep -qw kernel_clone /proc/kallsyms || skip "needs kernel_clone in /proc/kallsyms (Linux 5.10 or later)"
[ "$(awk '$3 == "kernel_clone" { print $1; exit }' /proc/kallsyms)" != 0000000000000000 ] ||
	skip "needs kernel addresses in /proc/kallsyms (kptr_restrict hides them)"

# A name of our own for what the shell forks, so its events are ours alone.
cp "$(type -P true)" "$TMPD/emfstk$$"
for mode in --json ""; do
	start_agent $mode --plugin "$so" -p stacktest -a stacktest.target_pid=$$
	"$TMPD/emfstk$$"
	"$TMPD/emfstk$$"
	sleep 0.5
	stop_agent
	[ "$AGENT_RC" = 0 ] || { cat "$TMPD/err"; fail "emf-agent${mode:+ $mode} exited with $AGENT_RC"; }
	if [ -n "$mode" ]; then cp "$TMPD/out" "$TMPD/out.json"; else cp "$TMPD/out" "$TMPD/out.text"; fi
done

# JSON: both stacks as arrays of frames, the kernel's through kernel_clone, the
# user's starting in the C library.
line=$(grep "^{\"plugin\":\"stacktest\",\"event\":\"event\",.*\"pid\":$$," "$TMPD/out.json" | head -1)
[ -n "$line" ] || { head -5 "$TMPD/out.json"; fail "no fork event of pid $$"; }
echo "$line" | grep -Eq '"kstack":\["[^]]*"kernel_clone\+0x[0-9a-f]+"' ||
	fail "kernel stack without kernel_clone+0x...: $line"
echo "$line" | grep -Eq '"kstack":\["[^]]*"(do_syscall_64|x64_sys_call|__x64_sys_clone)\+0x[0-9a-f]+"' ||
	fail "kernel stack without the syscall entry: $line"
echo "$line" | grep -Eq '"ustack":\["[A-Za-z_][A-Za-z0-9_.]*\+0x[0-9a-f]+ \(/[^"]*libc\.so\.6\)"' ||
	fail "innermost user frame is not a named libc function with its file: $line"
# The frames are the bytes the event carried, in a JSON array of strings.
echo "$line" | grep -Eq '"ustack":\[("[^"]+",?)+\]' || fail "user stack is not an array of strings: $line"

# Text: the same frames, joined by ';'.
text=$(grep -E "^[0-9:.]+ +stacktest +$$ " "$TMPD/out.text" | head -1)
[ -n "$text" ] || { head -5 "$TMPD/out.text"; fail "no text line for pid $$"; }
echo "$text" | grep -Eq ';kernel_clone\+0x[0-9a-f]+;' || fail "text kernel stack without ;kernel_clone+0x...;: $text"
echo "$text" | grep -Eq ' [A-Za-z_][A-Za-z0-9_.]*\+0x[0-9a-f]+ \(/[^)]*libc\.so\.6\)' ||
	fail "text user stack does not start with a libc function: $text"
check_no_leak
echo "PASS: the forks of pid $$ came with symbolised stacks:"
echo "  $line"
echo "  $text"
