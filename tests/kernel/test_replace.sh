#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# A dynamic plugin named like a bundled one: given by name (--plugin FILE.so) it runs
# instead of the bundled execsnoop, with one note, and its events are its own; found
# in a plugin directory it is refused, the bundled one kept, and the message says how
# to run it instead; linked without -Bsymbolic (so that the agent's own execsnoop would
# stand in for it) it is refused, saying how to link it. Nothing is left in the kernel.
. "${top_srcdir:-.}/tests/kernel/lib.sh"
need_root
so="$top_builddir/tests/plugins/replace/execsnoop/execsnoop.emf.so"
[ -f "$so" ] || fail "test plugin not built: $so"
command -v python3 > /dev/null || skip "needs python3 to call getpgid()"
start_agent --json --plugin "$so" -p execsnoop
python3 -c 'import os; [os.getpgid(0) for _ in range(3)]' &
caller=$!
wait $caller
for _ in $(seq 1 50); do
	[ "$(grep -c "\"pid\":$caller,\"marker\":16962" "$TMPD/out")" -ge 3 ] && break
	sleep 0.1
done
stop_agent
[ "$AGENT_RC" = 0 ] || { cat "$TMPD/err"; fail "emf-agent exited with $AGENT_RC"; }
[ "$(grep -c "\"pid\":$caller,\"marker\":16962" "$TMPD/out")" = 3 ] ||
	{ head "$TMPD/out"; fail "want 3 events of the replacement for pid $caller"; }
grep -q '"argv"' "$TMPD/out" && fail "the bundled execsnoop ran too"
[ "$(grep -c "note: plugin 'execsnoop' of $so runs instead of the one built into the program" "$TMPD/err")" = 1 ] ||
	{ cat "$TMPD/err"; fail "no single note that the file replaces the bundled execsnoop"; }
echo "ok: --plugin FILE.so named execsnoop ran instead of the bundled one, with a note"
# The same file linked without -Bsymbolic would run the agent's own execsnoop: refused.
nosym="$top_builddir/tests/plugins/replace/execsnoop/execsnoop-nosym.so"
[ -f "$nosym" ] || fail "test plugin not built: $nosym"
"$AGENT" --plugin "$nosym" -p execsnoop -d 0.5 > /dev/null 2> "$TMPD/err1" 9>&-
rc=$?
[ "$rc" = 1 ] || { cat "$TMPD/err1"; fail "a plugin linked without -Bsymbolic: exit $rc, want 1"; }
[ "$(grep -c "refusing $nosym: its plugin descriptor resolves to the one of plugin 'execsnoop' built into the program" "$TMPD/err1")" = 1 ] ||
	{ cat "$TMPD/err1"; fail "no single refusal of a plugin whose symbols the agent's stand in for"; }
grep -q -- "-Wl,-Bsymbolic" "$TMPD/err1" || fail "the refusal does not say how to link it"
echo "ok: refused: $(grep refusing "$TMPD/err1")"
# From a plugin directory: refused, the bundled one runs, and the message says what to do.
PD="$TMPD/plugins"
mkdir -m 755 "$PD" && chmod 755 "$TMPD" && cp "$so" "$PD/execsnoop.so" && chmod 644 "$PD/execsnoop.so"
"$AGENT" --plugin-dir "$PD" -p execsnoop -d 0.5 > "$TMPD/out2" 2> "$TMPD/err2" 9>&-
grep -q "refusing $PD/execsnoop.so: a plugin named 'execsnoop' is already present (built into the program" "$TMPD/err2" ||
	{ cat "$TMPD/err2"; fail "no refusal of the directory's execsnoop"; }
grep -q "give it by name (emf-agent --plugin $PD/execsnoop.so) to run it instead" "$TMPD/err2" ||
	{ cat "$TMPD/err2"; fail "the refusal does not say how to run it instead"; }
grep -q "running 1 plugin" "$TMPD/err2" || { cat "$TMPD/err2"; fail "the bundled execsnoop did not run"; }
check_no_leak
echo "PASS: a file given by name replaces a bundled plugin of its name; one in a directory does not"
