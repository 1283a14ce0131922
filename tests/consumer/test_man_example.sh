#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The embedding example of libemfsdk(3) works as printed: take the program out
# of the page's EXAMPLE section, build it with the command the page gives
# (against the build tree's libemfsdk-uninstalled.pc and the bundled execsnoop),
# run it, start a program of a name of the test's own and expect its JSON line,
# stop it with SIGINT and expect the counts it prints and nothing left behind.
. "$(dirname "$0")/../kernel/lib.sh"

CC=${EMF_CC:-cc}
PKG_CONFIG=${EMF_PKG_CONFIG:-pkg-config}
PAGE="$top_srcdir/man/libemfsdk.3"

# The .EX block holding main(), with roff's escapes undone.
awk '/^\.EX/ { blk = ""; inex = 1; next }
     /^\.EE/ { if (blk ~ /int main\(/) printf "%s", blk; inex = 0; next }
     inex { blk = blk $0 "\n" }' "$PAGE" |
	sed -e 's/\\-/-/g' -e 's/\\e/\\/g' -e 's/\\&//g' > "$TMPD/host.c"
grep -q "emf_runtime__start" "$TMPD/host.c" || fail "no example program found in $PAGE"
grep -q 'pkg\\-config \\-\\-cflags \\-\\-libs \\-\\-static libemfsdk' "$PAGE" ||
	fail "$PAGE no longer gives the build command this test runs"

flags=$(PKG_CONFIG_PATH="$top_builddir/pkgconfig" "$PKG_CONFIG" --cflags --libs --static libemfsdk) ||
	fail "pkg-config does not find the build tree's libemfsdk-uninstalled.pc"
# shellcheck disable=SC2086
"$CC" -Wall -Wextra -Werror -o "$TMPD/host" "$TMPD/host.c" \
	"$top_builddir/plugins/execsnoop/execsnoop.emf.o" $flags 2> "$TMPD/cc.err" ||
	fail "the example of libemfsdk(3) does not build: $(head -20 "$TMPD/cc.err")"
echo "ok: the example of libemfsdk(3) builds with -Wall -Wextra -Werror"

need_root
cp /bin/true "$TMPD/emfmanex"
"$TMPD/host" > "$TMPD/out" 2> "$TMPD/err" 9>&- &
AGENT_PID=$!
for _ in $(seq 1 100); do
	[ -n "$(owned_objects "$AGENT_PID")" ] && break
	kill -0 "$AGENT_PID" 2> /dev/null || break
	sleep 0.1
done
kill -0 "$AGENT_PID" 2> /dev/null || { cat "$TMPD/err"; fail "the example host exited at start"; }
# The programs are loaded before they are attached: exec until an event arrives.
for _ in $(seq 1 50); do
	"$TMPD/emfmanex"
	grep -q '"comm":"emfmanex"' "$TMPD/out" && break
	sleep 0.1
done
record_owned "$AGENT_PID"
stop_agent
[ "$AGENT_RC" = 0 ] || { cat "$TMPD/err"; fail "the example host exited $AGENT_RC on SIGINT, want 0"; }
line=$(grep -m1 '"comm":"emfmanex"' "$TMPD/out") || { head "$TMPD/out"; fail "no event of emfmanex's exec"; }
jq -e '.plugin == "execsnoop" and (.pid | type) == "number"' <<< "$line" > /dev/null ||
	fail "the example's line is not the JSON the page shows: $line"
grep -qE '^execsnoop: [1-9][0-9]* events, 0 lost$' "$TMPD/err" ||
	fail "the example's closing counts are missing: $(cat "$TMPD/err")"
check_no_leak
echo "PASS: the example of libemfsdk(3) builds, delivers execsnoop events and stops clean"
