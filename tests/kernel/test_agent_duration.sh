#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# emf-agent --json --duration stops by itself with status 0, prints the exec that
# happened meanwhile, and leaves no BPF program, map or link behind.
. "$(dirname "$0")/lib.sh"
need_root

"$AGENT" --json --duration 3 --pin-root "$PIN_ROOT" > "$TMPD/out" 2> "$TMPD/err" 9>&- &
apid=$!
AGENT_PID=$apid
for _ in $(seq 1 300); do
	grep -q "^emf-agent: running" "$TMPD/err" && break
	sleep 0.1
done
record_owned $apid
/bin/uname -a > /dev/null
wait $apid
rc=$?
AGENT_PID=
[ "$rc" = 0 ] || { cat "$TMPD/err"; fail "emf-agent --duration 3 exited with $rc"; }
grep -q '"comm":"uname","filename":"/bin/uname"' "$TMPD/out" ||
	{ head -5 "$TMPD/out"; fail "exec of /bin/uname not reported"; }
check_no_leak

# Usage errors exit 2 with a message.
"$AGENT" --duration abc > /dev/null 2> "$TMPD/err2"
[ $? = 2 ] || fail "bad --duration did not exit 2"
grep -q "invalid --duration" "$TMPD/err2" || fail "no message for a bad --duration"
"$AGENT" -p no_such_plugin > /dev/null 2> "$TMPD/err3"
[ $? = 2 ] || fail "unknown plugin did not exit 2"
grep -q "no plugin named 'no_such_plugin'" "$TMPD/err3" || fail "no message for an unknown plugin"
echo "PASS"
