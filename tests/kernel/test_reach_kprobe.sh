#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Kernel reach, kprobe and kretprobe: the kprobetest plugin through emf-agent sees a
# child's sleep at hrtimer_nanosleep's entry and return, its two kprobes are in the
# kernel's list while it runs and gone after. SKIPs naming what this kernel lacks.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/reach.sh"
need_root

# Without debugfs these checks are left out; the events and the leak check remain.
KPROBES=/sys/kernel/debug/kprobes/list
count_kprobes() {
	grep -c ' hrtimer_nanosleep+0x0' "$KPROBES" 2> /dev/null
}
before=$(count_kprobes)
attached() {
	[ -r "$KPROBES" ] || return 0
	[ "$(count_kprobes)" = $((before + 2)) ] ||
		{ grep hrtimer_nanosleep "$KPROBES"; fail "want $((before + 2)) kprobes on hrtimer_nanosleep in $KPROBES"; }
	echo "ok: while kprobetest runs $KPROBES lists:"
	grep ' hrtimer_nanosleep+0x0' "$KPROBES"
}
detached() {
	[ -r "$KPROBES" ] || return 0
	[ "$(count_kprobes)" = "$before" ] ||
		{ grep hrtimer_nanosleep "$KPROBES"; fail "kprobes on hrtimer_nanosleep left after the agent exited"; }
	echo "ok: no kprobe on hrtimer_nanosleep left in $KPROBES"
}
sleep_plugin kprobetest kprobe attached detached
