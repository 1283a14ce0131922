#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Never silently idle. tcpkt, a tc classifier taken unchanged from a tool directory,
# loads but nothing attaches a SEC("tc") program: emf-agent warns at start, naming the
# plugin, each program, its section and what would attach it; --strict refuses to run
# it. minimal (libbpf-bootstrap's printk-only example) is usable with --printk: its
# bpf_printk() lines come out of a tracefs instance of the agent's own, which is gone
# after the agent exits, and the top-level trace_pipe is left to whoever reads it.
# iteridle, an iterator without EMF_ATTACH_ITER() that libbpf links and nothing reads,
# is warned about the same way.
. "${top_srcdir:-.}/tests/kernel/lib.sh"
need_root
tc_so="$top_builddir/tests/codegen/realworld/tcpkt/tcpkt.emf.so"
min_so="$top_builddir/tests/plugins/minimal/minimal.emf.so"
iter_so="$top_builddir/tests/plugins/iteridle/iteridle.emf.so"
[ -f "$tc_so" ] && [ -f "$min_so" ] && [ -f "$iter_so" ] ||
	fail "test plugins not built: $tc_so $min_so $iter_so"

# Idle: a warning per program, and it runs.
"$AGENT" --plugin "$tc_so" -p tcpkt -d 0.5 > /dev/null 2> "$TMPD/err" 9>&-
rc=$?
[ "$rc" = 0 ] || { cat "$TMPD/err"; fail "idle tcpkt: exit $rc, expected 0 (a warning only)"; }
for prog in tc_ingress tc_egress; do
	grep -q "warning: plugin 'tcpkt': program $prog (section tc) is loaded but attached nowhere, so it will never run: .*EMF_ATTACH_" "$TMPD/err" ||
		{ cat "$TMPD/err"; fail "no warning naming idle program $prog of tcpkt and what to declare"; }
done
[ "$(grep -c "attached nowhere" "$TMPD/err")" = 2 ] || { cat "$TMPD/err"; fail "want one warning per idle program, printed once"; }
echo "ok: idle programs of tcpkt warned: $(grep -m1 "attached nowhere" "$TMPD/err")"

# --strict: an error, nothing started, nothing left.
"$AGENT" --strict --plugin "$tc_so" -p tcpkt -d 0.5 > /dev/null 2> "$TMPD/err" 9>&-
rc=$?
[ "$rc" = 1 ] || { cat "$TMPD/err"; fail "idle tcpkt with --strict: exit $rc, expected 1"; }
grep -q "^emf: runtime: plugin 'tcpkt': program tc_ingress (section tc) is loaded but attached nowhere" "$TMPD/err" ||
	{ cat "$TMPD/err"; fail "--strict does not say which program is idle"; }
grep -q "emf-agent: running" "$TMPD/err" && fail "--strict ran with an idle program"
echo "ok: --strict refuses idle tcpkt: $(grep -m1 "^emf-agent" "$TMPD/err")"

# --printk: minimal's line for a write of ours.
tracing=/sys/kernel/tracing
before=$(ls "$tracing/instances" 2> /dev/null | grep -c '^emf-agent-')
start_agent --printk --plugin "$min_so" -p minimal
inst="$tracing/instances/emf-agent-$AGENT_PID"
[ -d "$inst" ] || fail "no tracefs instance $inst while --printk runs"
grep -q 1 "$inst/events/bpf_trace/bpf_trace_printk/enable" || fail "bpf_trace_printk is not enabled in $inst"
bash -c 'for i in 1 2 3; do echo x > /dev/null; sleep 0.1; done' &
writer=$!
wait $writer
wait_out "^PRINTK .*bpf_trace_printk: BPF triggered from PID $writer\.$"
stop_agent
[ "$AGENT_RC" = 0 ] || { cat "$TMPD/err"; fail "emf-agent --printk exited with $AGENT_RC"; }
grep -q "^PRINTK .*bpf_trace_printk: BPF triggered from PID $writer\.$" "$TMPD/out" ||
	{ head -5 "$TMPD/out"; cat "$TMPD/err"; fail "--printk does not show minimal's line for pid $writer"; }
grep -q "attached nowhere" "$TMPD/err" && fail "minimal's tracepoint program was reported idle"
[ -d "$inst" ] && fail "tracefs instance $inst left after the agent exited"
[ "$(ls "$tracing/instances" 2> /dev/null | grep -c '^emf-agent-')" = "$before" ] || fail "an emf-agent tracefs instance was left behind"
check_no_leak
echo "ok: --printk: $(grep -m1 "PID $writer\." "$TMPD/out")"
# An iterator nobody reads: linked by libbpf, never run; warned, and --strict refuses.
"$AGENT" --plugin "$iter_so" -p iteridle -d 0.3 > /dev/null 2> "$TMPD/err" 9>&-
rc=$?
[ "$rc" = 0 ] || { cat "$TMPD/err"; fail "idle iteridle: exit $rc, expected 0 (a warning only)"; }
[ "$(grep -c "warning: plugin 'iteridle': program dump_task (section iter/task) is loaded but nothing reads its iterator, so it will never run: .*EMF_ATTACH_ITER(ms)" "$TMPD/err")" = 1 ] ||
	{ cat "$TMPD/err"; fail "no single warning for the unread iterator of iteridle"; }
"$AGENT" --strict --plugin "$iter_so" -p iteridle -d 0.3 > /dev/null 2> "$TMPD/err" 9>&-
rc=$?
[ "$rc" = 1 ] || { cat "$TMPD/err"; fail "idle iteridle with --strict: exit $rc, expected 1"; }
echo "ok: unread iterator warned: $(grep -m1 -o "program dump_task.*never run" "$TMPD/err")"
echo "PASS: idle programs warned (failed with --strict), bpf_printk shown with --printk, nothing left"
