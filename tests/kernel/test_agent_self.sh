#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The agent leaves its own process out of the plugins that use EMF_HOST_FILTER
# (opensnoop here): its rescan of a plugin directory on SIGHUP opens that directory,
# which opensnoop reports only with --include-self. Another process's open of the
# same directory shows either way.
. "$(dirname "$0")/lib.sh"
need_root
command -v jq > /dev/null || skip "needs jq to read the JSON lines"

mkdir "$TMPD/pd"
# run [AGENT ARGS...]: a rescan and an open by a shell; sets agent, seen_self, seen_other.
run() {
	start_agent --json -p opensnoop --plugin-dir "$TMPD/pd" "$@"
	agent=$AGENT_PID
	kill -HUP "$agent"
	wait_err "^emf-agent: rescanning $TMPD/pd" 1 "SIGHUP did not rescan"
	ls "$TMPD/pd" > /dev/null
	sleep 0.5
	stop_agent
	[ "$AGENT_RC" = 0 ] || { cat "$TMPD/err"; fail "emf-agent exited with $AGENT_RC"; }
	seen_self=$(jq -r --argjson a "$agent" 'select(.pid == $a) | .path' "$TMPD/out" | wc -l)
	seen_other=$(jq -r --arg d "$TMPD/pd" --argjson a "$agent" \
		'select(.pid != $a and .path == $d) | .comm' "$TMPD/out" | grep -c '^ls$')
	check_no_leak
}

run
[ "$seen_other" -ge 1 ] || fail "the open of $TMPD/pd by ls was not reported"
[ "$seen_self" = 0 ] || fail "the agent's own opens were reported ($seen_self) without --include-self"
run --include-self
[ "$seen_other" -ge 1 ] || fail "--include-self: the open of $TMPD/pd by ls was not reported"
jq -e -s --arg d "$TMPD/pd" --argjson a "$agent" 'any(.[]; .pid == $a and .path == $d)' "$TMPD/out" > /dev/null ||
	fail "--include-self: the agent's open of $TMPD/pd on rescan was not reported"
echo "PASS: the agent's own opens left out by default, shown with --include-self ($seen_self)"
