#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The kernel tests' clean-up (tests/kernel/lib.sh) runs once, in the test itself:
# bash 5.2 may run an EXIT trap in a $(...) subshell forked after a background job
# was killed, and a clean-up there would stop the test's agent and remove its files
# while the test goes on. Needs no root.
: "${top_srcdir:=.}"
. "$top_srcdir/tests/kernel/lib.sh"

touch "$TMPD/mine" || fail "lib.sh made no directory of the test's own"
for _ in 1 2 3 4 5; do
	sleep 5 &
	kill $!
	x=$(echo hi)
	[ "$x" = hi ] || fail "a command substitution printed '$x'"
done
wait 2> /dev/null
[ -e "$TMPD/mine" ] || fail "$TMPD was removed by a subshell while the test ran"
echo "PASS: the clean-up ran in no subshell; $TMPD is the test's until it exits"
