#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# A plugin the kernel refuses does not stop the others. badverify (rejected by the
# verifier) comes from a plugin directory as a dynamic plugin: a plain emf-agent
# reports it once, in one line naming the plugin, the step and the verifier's reason
# (no libbpf lines, no verifier log unless -v), says what to do, runs every other
# plugin (events arrive), names it in a summary at exit and exits with status 3.
# --strict refuses to start, and so does -p FILE.so naming the refused plugin (exit
# 1), with nothing left in the kernel.
. "$(dirname "$0")/lib.sh"
need_root
so="$top_builddir/tests/plugins/badverify/badverify.emf.so"
[ -f "$so" ] || fail "$so is not built"
dir="$TMPD/plugins"
mkdir -m 755 "$dir"
cp "$so" "$dir/badverify.so"
chmod 644 "$dir/badverify.so"

once() { # $1 pattern: exactly one line of stderr matches it
	local n
	n=$(grep -c -- "$1" "$TMPD/err")
	[ "$n" = 1 ] || { cat "$TMPD/err"; fail "$n lines of stderr match '$1', want exactly 1"; }
}
none() { # $1 pattern: no line of stderr matches it
	! grep -q -- "$1" "$TMPD/err" || { cat "$TMPD/err"; fail "stderr shows '$1'"; }
}

# Degraded: the others run, the refusal is said once.
child="emfdeg$$"
cp /bin/true "$TMPD/$child"
start_agent --json -x bashreadline --plugin-dir "$dir"
for _ in 1 2 3; do "$TMPD/$child"; done
wait_out "\"comm\":\"$child\""
stop_agent
[ "$AGENT_RC" = 3 ] || { cat "$TMPD/err"; fail "emf-agent exited with $AGENT_RC, want 3 (a plugin skipped)"; }
grep -q "^{\"plugin\":\"execsnoop\",.*\"comm\":\"$child\"" "$TMPD/out" ||
	{ cat "$TMPD/err"; fail "execsnoop delivered no event while badverify was skipped"; }
once "plugin 'badverify' failed to load: the kernel verifier rejected program count(): .*invalid mem access"
# Newer kernels (6.18) add the source line ("at badverify.bpf.c:28"); 6.1 does not.
[ "$(grep -c 'badverify\.bpf\.c:[0-9]' "$TMPD/err")" -le 1 ] ||
	{ cat "$TMPD/err"; fail "the source line is shown more than once"; }
once "^emf-agent: skipping badverify, the others run (-x badverify leaves it out, -v shows the verifier log"
once "^emf-agent: 1 plugin did not run: badverify (load); exit status 3$"
none "^libbpf:"
none "verifier log (tail)"
none "invalid mem access.*invalid mem access"
# Each line of stderr once: nothing is printed twice.
dups=$(sort "$TMPD/err" | uniq -d)
[ -z "$dups" ] || { cat "$TMPD/err"; fail "printed more than once: $dups"; }
[ "$(grep -c badverify "$TMPD/err")" -le 4 ] || { cat "$TMPD/err"; fail "badverify is reported in more than 3 lines"; }
check_no_leak
echo "ok: refused plugin reported once, the others ran, exit status 3"

# -v adds the verifier log, once.
"$AGENT" -v -d 0.5 -p execsnoop --plugin-dir "$dir" -p badverify --keep-going \
	> /dev/null 2> "$TMPD/err" 9>&-
rc=$?
[ "$rc" = 3 ] || { cat "$TMPD/err"; fail "emf-agent -v --keep-going exited with $rc, want 3"; }
once "verifier log (tail)"
once "^R0 invalid mem access"

# --strict: all or nothing.
"$AGENT" --strict -d 2 --plugin-dir "$dir" > "$TMPD/out" 2> "$TMPD/err" 9>&-
rc=$?
[ "$rc" = 1 ] || { cat "$TMPD/err"; fail "emf-agent --strict exited with $rc, want 1"; }
once "plugin 'badverify' failed to load"
once "^emf-agent: nothing started: --strict runs every plugin or none"
none "^emf-agent: running"
[ ! -s "$TMPD/out" ] || fail "emf-agent --strict printed events"

# Asked for by file: its failure is an error.
"$AGENT" -d 2 -p "$dir/badverify.so" > "$TMPD/out" 2> "$TMPD/err" 9>&-
rc=$?
[ "$rc" = 1 ] || { cat "$TMPD/err"; fail "emf-agent -p badverify.so exited with $rc, want 1"; }
once "plugin 'badverify' failed to load"
once "^emf-agent: nothing started: badverify was asked for with -p"
none "^emf-agent: running"
echo "PASS: degraded start, -v, --strict and -p FILE.so behave as documented"
