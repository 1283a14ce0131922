#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# A dynamic plugin cannot be swapped between its checks and its load. An unprivileged
# user (nobody) owns a directory on the plugin's path and, as fast as it can, renames a
# symlink there between a good plugin (in a safe directory) and an evil .so of its own
# whose constructor leaves a marker; meanwhile the root agent is asked to load the
# plugin through that symlink, again and again. Every attempt must be refused, naming
# the directory and its owner, and the evil constructor must never run.
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || skip "needs root: the agent must run as root and files be given to nobody"
command -v setpriv > /dev/null || skip "needs setpriv (util-linux) to run as nobody"
DYN="$top_builddir/tests/plugins/dyntest/dyntest.emf.so"
EVIL="$top_builddir/tests/plugins/badso/evil.so"
SWAP="$top_builddir/tests/kernel/race_swap"
[ -f "$DYN" ] && [ -f "$EVIL" ] && [ -x "$SWAP" ] || fail "test plugin, evil.so or race_swap not built"
ATTEMPTS=${EMF_RACE_ATTEMPTS:-300}
NOBODY=65534
chmod 755 "$TMPD"
mkdir -m 755 "$TMPD/good" "$TMPD/attic"
cp "$DYN" "$TMPD/good/dyntest.so"
chown "$NOBODY:$NOBODY" "$TMPD/attic"

# The attacker's .so (tests/plugins/badso/evil.c): its constructor runs at dlopen,
# before any descriptor check, and leaves a line in the marker file.
cp "$EVIL" "$TMPD/attic/evil.so"
chown "$NOBODY:$NOBODY" "$TMPD/attic/evil.so"
export EMF_EVIL_MARKER="$TMPD/marker"
ln -s "$TMPD/good/dyntest.so" "$TMPD/attic/plugin.so"
chown -h "$NOBODY:$NOBODY" "$TMPD/attic/plugin.so"

# Without the race: the directory on the way is refused, with its owner named.
want="directory $TMPD/attic is owned by uid $NOBODY"
"$AGENT" --plugin "$TMPD/attic/plugin.so" --list > /dev/null 2> "$TMPD/err"
rc=$?
[ $rc = 1 ] && grep -qF "$want" "$TMPD/err" || { cat "$TMPD/err"; fail "not refused (exit $rc)"; }
echo "ok: $(cat "$TMPD/err")"

setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups \
	"$SWAP" "$TMPD/attic" "$TMPD/good/dyntest.so" "$TMPD/attic/evil.so" 100000000 \
	> "$TMPD/swaps" &
swapper=$!
refused=0
for i in $(seq 1 "$ATTEMPTS"); do
	"$AGENT" --plugin "$TMPD/attic/plugin.so" --list > /dev/null 2> "$TMPD/err.$i"
	rc=$?
	if [ $rc = 1 ] && grep -qF "$want" "$TMPD/err.$i"; then
		refused=$((refused + 1))
		rm -f "$TMPD/err.$i"
	fi
done
kill -TERM $swapper
wait $swapper || fail "the swapper failed (exit $?)"
swaps=$(cat "$TMPD/swaps")
evil=0
[ -f "$TMPD/marker" ] && evil=$(wc -l < "$TMPD/marker")
echo "swaps tried: $swaps, load attempts: $ATTEMPTS, refused: $refused, evil constructor runs: $evil"
[ "$swaps" -gt "$ATTEMPTS" ] || fail "the swapper made only $swaps swaps: no race was tried"
[ "$evil" = 0 ] || fail "the attacker's constructor ran $evil times as root"
if [ "$refused" != "$ATTEMPTS" ]; then
	cat "$(ls "$TMPD"/err.* | head -1)"
	fail "$((ATTEMPTS - refused)) of $ATTEMPTS attempts were not refused with '$want'"
fi
echo "PASS: a symlink swapped under the agent is never loaded ($swaps swaps, 0 evil runs)"
