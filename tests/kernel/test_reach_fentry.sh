#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Kernel reach, fentry and fexit: the fexittest plugin through emf-agent sees a child's
# sleep at hrtimer_nanosleep's entry and exit, its two tracing links are in the kernel
# while it runs. SKIPs naming what this kernel lacks.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/reach.sh"
need_root

# The agent's links: one fentry and one fexit.
attached() {
	local types
	types=$(owned_objects "$AGENT_PID" | awk '$1 == "link" { print $2 }' | while read -r id; do
		bpftool -j link show id "$id" | jq -r '.attach_type // empty'
	done | sort | tr '\n' ' ')
	[ "$types" = "trace_fentry trace_fexit " ] ||
		fail "want the agent's links to be trace_fentry and trace_fexit, have: $types"
	echo "ok: while fexittest runs the agent holds links $types"
}
sleep_plugin fexittest fentry attached
