#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The scaffold keeps up, without the kernel: the agent "emf-new agent" writes takes
# --help (listing its plugins' options with their descriptions), --arg with a value
# checked against the option's type, --filter checked against the event's fields, and
# --json; the plugin Makefile "emf-new plugin"
# writes includes NAME.emf.d, so touching a header the BPF code includes runs
# emf-codegen again, and nothing else does; emf-new's hint runs only the new plugin.
set -u
: "${top_builddir:=.}"
: "${top_srcdir:=.}"
top_builddir=$(cd "$top_builddir" && pwd)
top_srcdir=$(cd "$top_srcdir" && pwd)
NEW="$top_builddir/templates/emf-new"
export EMF_TEMPLATES="$top_srcdir/templates"
export PKG_CONFIG_PATH="$top_builddir/pkgconfig"
unset MAKEFLAGS MFLAGS MAKELEVEL
MAKE=${EMF_MAKE:-make}
TMPD=$(mktemp -d /tmp/emf-agent-cli.XXXXXX)
trap 'rm -rf "$TMPD"' EXIT
failed=0
fail() {
	echo "FAIL: $*"
	failed=$((failed + 1))
}

(cd "$TMPD" && "$NEW" plugin cliplug) > "$TMPD/new.out" || fail "emf-new plugin cliplug failed"
grep -qF "sudo emf-agent -p cliplug -p ./cliplug/cliplug.so" "$TMPD/new.out" ||
	fail "emf-new's hint does not run only the new plugin: $(grep 'Run it' "$TMPD/new.out")"
# An option with a description, and a header of its own that the BPF code includes.
p="$TMPD/cliplug"
printf '#define CLIPLUG_EXTRA 1\n' > "$p/extra.h"
sed -i 's|^#include "cliplug.h"$|#include "cliplug.h"\n#include "extra.h"\n\nconst volatile __u16 cli_port = 7; /* only this port, for the test */|' "$p/cliplug.bpf.c"
grep -q '^#include "extra.h"$' "$p/cliplug.bpf.c" || fail "cliplug.bpf.c has no #include \"cliplug.h\" to add to"
"$MAKE" -C "$p" > "$TMPD/make1.log" 2>&1 || { cat "$TMPD/make1.log"; fail "make in cliplug failed"; }
grep -q "extra.h" "$p/.output/cliplug.emf.d" || fail "cliplug.emf.d does not name extra.h"
runs() { grep -c "emf-codegen" "$1"; }
"$MAKE" -C "$p" > "$TMPD/make2.log" 2>&1 || fail "second make failed"
[ "$(runs "$TMPD/make2.log")" = 0 ] || fail "make with nothing changed ran emf-codegen"
sleep 1
touch "$p/extra.h"
"$MAKE" -C "$p" > "$TMPD/make3.log" 2>&1 || { cat "$TMPD/make3.log"; fail "make after touching extra.h failed"; }
[ "$(runs "$TMPD/make3.log")" = 1 ] || fail "touching extra.h ran emf-codegen $(runs "$TMPD/make3.log") times, want 1"
echo "ok: touching an included header re-ran emf-codegen once; nothing changed ran it 0 times"

(cd "$TMPD" && "$NEW" agent cliagent --plugin cliplug > /dev/null) || fail "emf-new agent failed"
"$MAKE" -C "$TMPD/cliagent" > "$TMPD/agent.log" 2>&1 || { cat "$TMPD/agent.log"; fail "make in cliagent failed"; }
A="$TMPD/cliagent/cliagent"
help=$("$A" --help) || fail "cliagent --help failed"
for o in --json --duration --arg --filter --help; do
	grep -q -- "$o" <<< "$help" || fail "cliagent --help lacks $o"
done
grep -A1 -x -- '  -a cliplug.cli_port=u16 0-65535' <<< "$help" |
	grep -qE '^ {25}only this port, for the test \(default: 7\)$' ||
	{ echo "$help"; fail "cliagent --help does not list cliplug's option with its description"; }
err=$("$A" --arg cliplug.cli_port=70000 -d 1 2>&1)
rc=$?
[ $rc = 2 ] || fail "--arg cliplug.cli_port=70000: exit $rc, want 2"
grep -q "invalid value '70000' for option cli_port (--cli-port, u16 0-65535) of plugin 'cliplug': expected an integer from 0 to 65535" <<< "$err" ||
	fail "--arg out of range: $err"
# --filter: checked against the plugin's event fields before anything loads.
err=$("$A" --filter 'cliplug: nope == 1' -d 1 2>&1)
rc=$?
[ $rc = 2 ] || fail "--filter 'cliplug: nope == 1': exit $rc, want 2"
grep -q "cliagent: --filter: plugin 'cliplug': filter 'nope == 1', at column 1: event type 'event' has no field 'nope' (it has pid, ppid, uid, comm, filename)" <<< "$err" ||
	fail "--filter with an unknown field: $err"
err=$("$A" --filter 'pid == 1' -d 1 2>&1)
[ $? = 2 ] && grep -q "invalid --filter 'pid == 1': expected 'PLUGIN: EXPR'" <<< "$err" ||
	fail "--filter without a plugin: $err"
err=$("$A" --filter 'nosuch: pid == 1' -d 1 2>&1)
[ $? = 2 ] && grep -q "no plugin named 'nosuch'" <<< "$err" || fail "--filter for no plugin: $err"
err=$("$A" --bogus 2>&1)
[ $? = 2 ] && grep -q "Try '$A --help'" <<< "$err" || fail "cliagent --bogus: $err"
echo "ok: the template agent takes --help, --arg and --filter (checked) and --json"
[ "$failed" = 0 ] || { echo "FAIL: $failed problems"; exit 1; }
echo "PASS"
