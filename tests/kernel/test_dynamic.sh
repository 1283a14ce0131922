#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Dynamic plugins: a .so built from a plugin directory runs in emf-agent after the
# static plugins; unsafe, foreign, wrong-ABI and duplicate files are refused with a
# message (also a directory a symlink passes through); a plugin directory is rescanned
# on SIGHUP (load, unload, reload, also after an overwrite in place) while the other
# plugins keep delivering, and -p/-x still apply; a plugin this kernel refuses is
# explained, rolled back, or skipped with --keep-going.
. "$(dirname "$0")/lib.sh"
need_root

B="$top_builddir/tests/plugins"
DYN="$B/dyntest/dyntest.emf.so"
FENTRY="$B/fentrytest/fentrytest.emf.so"
[ -f "$DYN" ] && [ -f "$FENTRY" ] && [ -f "$B/badso/abi.so" ] || fail "test plugins not built ($DYN)"
PD="$TMPD/plugins"
mkdir -m 755 "$PD"
chmod 755 "$TMPD"

# expect_refusal FILE "message": emf-agent --list with FILE exits 1 and says why.
expect_refusal() {
	"$AGENT" --plugin "$1" --list > /dev/null 2> "$TMPD/err.r"
	local rc=$?
	[ $rc = 1 ] || { cat "$TMPD/err.r"; fail "$1: exit status $rc, want 1"; }
	grep -qF -- "$2" "$TMPD/err.r" || { cat "$TMPD/err.r"; fail "$1: no message '$2'"; }
	echo "ok: refused: $(grep -F -- "$2" "$TMPD/err.r" | head -1)"
}

# Static plugins first, whatever the dynamic one's priority (1).
cp "$DYN" "$PD/dyntest.so"
"$AGENT" --plugin "$PD/dyntest.so" --list > "$TMPD/list" || fail "--list with a dynamic plugin"
# The plugin rows start with the priority; option rows and the closing hint do not.
grep -E '^[0-9]+ ' "$TMPD/list" | tail -n 1 | grep -q "^1 .*dyntest" ||
	{ cat "$TMPD/list"; fail "dyntest is not last"; }

# Refusals.
cp "$DYN" "$PD/gw.so" && chmod 664 "$PD/gw.so"
expect_refusal "$PD/gw.so" "is writable by its group"
mkdir -m 777 "$TMPD/open" && cp "$DYN" "$TMPD/open/x.so"
expect_refusal "$TMPD/open/x.so" "directory $TMPD/open is writable by others"
echo "not a plugin" > "$PD/text.so"
expect_refusal "$PD/text.so" "not a loadable shared object"
cp "$B/badso/noentry.so" "$PD/noentry.so"
expect_refusal "$PD/noentry.so" "has no emf_plugin_entry symbol"
cp "$B/badso/abi.so" "$PD/abi.so"
expect_refusal "$PD/abi.so" "built for ABI version 999"
rm -f "$PD"/gw.so "$PD"/text.so "$PD"/noentry.so "$PD"/abi.so
# A directory on the way that others may write is refused, also when only a symlink
# passes through it to a safe file.
mkdir -m 777 "$TMPD/ww" && ln -s "$PD/dyntest.so" "$TMPD/ww/link.so"
expect_refusal "$TMPD/ww/link.so" "directory $TMPD/ww is writable by others (mode 0777)"
mkdir -m 775 "$TMPD/gw" && ln -s "$PD" "$TMPD/gw/plugins"
mkdir -m 755 "$TMPD/safe" && ln -s "$TMPD/gw/plugins/dyntest.so" "$TMPD/safe/link.so"
expect_refusal "$TMPD/safe/link.so" "directory $TMPD/gw is writable by its group"
# The duplicate: the file refused is named, and the one kept.
"$AGENT" --plugin "$DYN" --plugin "$PD/dyntest.so" --list > /dev/null 2> "$TMPD/err.d"
want="refusing $PD/dyntest.so: a plugin named 'dyntest' is already present (loaded from $DYN), which is kept"
[ "$(grep -cF "$want" "$TMPD/err.d")" = 1 ] ||
	{ cat "$TMPD/err.d"; fail "duplicate dyntest not refused once, naming both files"; }
echo "ok: refused: $(grep -F "$want" "$TMPD/err.d")"

# A kernel that refuses fentry: said plainly, nothing left, exit 1; --keep-going runs the rest.
"$AGENT" --plugin "$FENTRY" -p fentrytest -p execsnoop -d 1 > /dev/null 2> "$TMPD/err.f"
rc=$?
if grep -q "this kernel refuses fentry" "$TMPD/err.f"; then
	[ $rc = 1 ] || fail "fentry refusal: exit status $rc, want 1"
	grep -q "plugin 'fentrytest' failed to load" "$TMPD/err.f" || fail "fentry: plugin not named"
	grep -q "ulimit" "$TMPD/err.f" && fail "fentry: libbpf's misleading ulimit hint shown"
	echo "ok: $(grep "this kernel refuses" "$TMPD/err.f")"
	start_agent --plugin "$FENTRY" -p fentrytest -p execsnoop --keep-going --json
	grep -q "running 1 plugin" "$TMPD/err" || fail "--keep-going: execsnoop did not run alone"
	/bin/true
	sleep 0.3
	stop_agent
	grep -q '"plugin":"execsnoop"' "$TMPD/out" || fail "--keep-going: no execsnoop event"
	check_no_leak
	echo "ok: --keep-going skipped fentrytest and ran execsnoop"
else
	echo "note: this kernel loads fentry programs; the refusal checks do not apply"
fi

# -p and -x hold across rescans: a plugin of the directory they leave out does not start
# on SIGHUP, whether its file was there at start or changed since.
rm -f "$PD"/*.so
cp "$DYN" "$PD/dyntest.so"
start_agent --plugin-dir "$PD" -p execsnoop --json
grep -q "^emf-agent: running 1 plugin" "$TMPD/err" || fail "-p execsnoop ran more than execsnoop"
kill -HUP "$AGENT_PID"
wait_err "^emf-agent: rescanning" 1 "SIGHUP did not rescan"
touch "$PD/dyntest.so"
kill -HUP "$AGENT_PID"
wait_err "not starting plugin 'dyntest' from $PD/dyntest.so" 1 "a changed file left out by -p was not reported"
mkdir "$TMPD/emfdyn-sel"
/bin/uname > /dev/null
sleep 0.3
grep '"plugin":"dyntest"' "$TMPD/out" | grep -q "emfdyn-sel" && fail "-p execsnoop: dyntest started on SIGHUP"
grep -q "loaded plugin 'dyntest'" "$TMPD/err" && { cat "$TMPD/err"; fail "-p execsnoop: dyntest loaded on SIGHUP"; }
grep -q '"comm":"uname"' "$TMPD/out" || fail "execsnoop stopped delivering during the rescans"
bpftool prog show name handle_mkdir 2> /dev/null | grep -q . && fail "-p execsnoop: dyntest's program is in the kernel"
stop_agent
[ "$AGENT_RC" = 0 ] || fail "emf-agent exited with $AGENT_RC"
echo "ok: -p execsnoop holds across SIGHUP"
# -x wins over -p, at start and on every rescan.
start_agent --plugin-dir "$PD" -p execsnoop -p dyntest -x dyntest --json
grep -q "^emf-agent: running 1 plugin" "$TMPD/err" || fail "-x dyntest: dyntest runs"
kill -HUP "$AGENT_PID"
wait_err "^emf-agent: rescanning" 1 "SIGHUP did not rescan"
touch "$PD/dyntest.so"
kill -HUP "$AGENT_PID"
wait_err "not starting plugin 'dyntest'" 1 "a changed file left out by -x was not reported"
mkdir "$TMPD/emfdyn-excl"
sleep 0.3
grep '"plugin":"dyntest"' "$TMPD/out" | grep -q "emfdyn-excl" && fail "-x dyntest: dyntest started on SIGHUP"
grep -q "loaded plugin 'dyntest'" "$TMPD/err" && { cat "$TMPD/err"; fail "-x dyntest: dyntest loaded on SIGHUP"; }
stop_agent
[ "$AGENT_RC" = 0 ] || fail "emf-agent exited with $AGENT_RC"
check_no_leak
echo "ok: -x dyntest holds across SIGHUP"

# Hot unload, load and reload through the plugin directory, execsnoop running throughout.
start_agent --plugin-dir "$PD" -p execsnoop -p dyntest --json
grep -q "^emf-agent: running 2 plugins" "$TMPD/err" || fail "-p execsnoop -p dyntest: not both running"
prog_id=$(bpftool prog show name handle_mkdir | sed -n 's/^\([0-9]*\):.*/\1/p' | head -1)
[ -n "$prog_id" ] || fail "dyntest's program is not in the kernel"
mkdir "$TMPD/emfdyn-one"
sleep 0.3
grep -q "\"plugin\":\"dyntest\".*\"path\":\"$TMPD/emfdyn-one\"" "$TMPD/out" || fail "no dyntest event"

rm "$PD/dyntest.so"
kill -HUP "$AGENT_PID"
wait_err "unloaded plugin 'dyntest'" 1 "SIGHUP did not unload"
for _ in $(seq 1 50); do
	bpftool prog show id "$prog_id" > /dev/null 2>&1 || break
	sleep 0.1
done
bpftool prog show id "$prog_id" > /dev/null 2>&1 && fail "dyntest's program stayed in the kernel"
mkdir "$TMPD/emfdyn-two"
/bin/hostname > /dev/null
sleep 0.3
grep '"plugin":"dyntest"' "$TMPD/out" | grep -q "emfdyn-two" && fail "dyntest delivered after its unload"
grep -q '"comm":"hostname"' "$TMPD/out" || fail "execsnoop stopped delivering after the unload"

cp "$DYN" "$PD/dyntest.so"
kill -HUP "$AGENT_PID"
wait_err "^emf-agent: loaded plugin 'dyntest'" 1 "SIGHUP did not load dyntest again"
mkdir "$TMPD/emfdyn-three"
/bin/uname > /dev/null
sleep 0.3
grep '"plugin":"dyntest"' "$TMPD/out" | grep -q "emfdyn-three" || { cat "$TMPD/err"; fail "dyntest did not come back"; }
grep -q '"comm":"uname"' "$TMPD/out" || fail "execsnoop stopped delivering during the load"
touch "$PD/dyntest.so"
kill -HUP "$AGENT_PID"
wait_err "reloaded plugin 'dyntest'" 1 "a changed file was not reloaded"
mkdir "$TMPD/emfdyn-four"
sleep 0.3
grep '"plugin":"dyntest"' "$TMPD/out" | grep -q "emfdyn-four" || fail "dyntest did not deliver after its reload"

# Overwritten in place (same inode, as cp does), with other code each time, then
# reloaded: the agent runs a copy, so nothing it has mapped changes under it.
cp "$B/dyntest/dyntest-O0.so" "$TMPD/dyntest-O0.so" || fail "dyntest at -O0 not built"
cmp -s "$DYN" "$TMPD/dyntest-O0.so" && fail "the -O0 build is the same file"
ino=$(stat -c %i "$PD/dyntest.so")
RELOADS=${EMF_INPLACE_RELOADS:-6}
for i in $(seq 1 "$RELOADS"); do
	if [ $((i % 2)) = 1 ]; then cp "$TMPD/dyntest-O0.so" "$PD/dyntest.so"; else cp "$DYN" "$PD/dyntest.so"; fi
	[ "$(stat -c %i "$PD/dyntest.so")" = "$ino" ] || fail "cp did not overwrite in place"
	kill -HUP "$AGENT_PID"
	wait_err "reloaded plugin 'dyntest'" $((i + 1)) "in-place overwrite $i was not reloaded"
	kill -0 "$AGENT_PID" 2> /dev/null || fail "emf-agent died at in-place reload $i"
	mkdir "$TMPD/emfdyn-inplace-$i"
	sleep 0.3
	grep '"plugin":"dyntest"' "$TMPD/out" | grep -q "emfdyn-inplace-$i\"" || fail "dyntest did not deliver after in-place reload $i"
done
echo "ok: $RELOADS in-place overwrites reloaded, the agent alive and delivering"
stop_agent
[ "$AGENT_RC" = 0 ] || fail "emf-agent exited with $AGENT_RC"
bpftool prog show name handle_mkdir > "$TMPD/left" 2>&1
[ -s "$TMPD/left" ] && sleep 2 && bpftool prog show name handle_mkdir | grep -q . &&
	fail "dyntest's program left after exit"
check_no_leak
echo "PASS: dynamic plugins load, refuse, hot load, unload and reload"
