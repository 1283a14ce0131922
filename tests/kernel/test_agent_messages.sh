#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# What emf-agent says when it cannot run, each thing once: without root or
# capabilities it says first that it needs them (not a pin directory's EPERM), and
# --ring-size takes sizes up to 2 GiB with a k, m or g suffix, refusing larger ones
# and ones that would overflow. Without tracefs (in a mount namespace of the test's
# own, with CAP_BPF and CAP_PERFMON but not the CAP_SYS_ADMIN to mount it), tp/
# plugins are skipped with a message naming tracefs and how to mount it, and tp_btf
# ones run.
. "$(dirname "$0")/lib.sh"
need_root
command -v setpriv > /dev/null || skip "needs setpriv (Debian package util-linux)"

# As nobody, without capabilities.
if setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all test -x "$AGENT"; then
	setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
		"$AGENT" -d 1 > "$TMPD/out" 2> "$TMPD/err" 9>&-
	rc=$?
	[ "$rc" = 1 ] || { cat "$TMPD/err"; fail "emf-agent as nobody exited with $rc, want 1"; }
	grep -q "^emf-agent: needs root to load BPF programs (or the capabilities the plugins use: CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN, CAP_SYS_ADMIN)" "$TMPD/err" ||
		{ cat "$TMPD/err"; fail "emf-agent as nobody does not say it needs root"; }
	[ "$(wc -l < "$TMPD/err")" = 1 ] || { cat "$TMPD/err"; fail "emf-agent as nobody said more than that"; }
	# Listing touches no kernel object: it works unprivileged.
	setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
		"$AGENT" --list > /dev/null 2> "$TMPD/err" 9>&- ||
		{ cat "$TMPD/err"; fail "emf-agent --list as nobody failed"; }
	echo "ok: unprivileged: one line saying root or capabilities are needed"
else
	echo "ok: unprivileged check skipped: nobody cannot run $AGENT from this build tree"
fi

for size in 4096 64k 1m 2g 2G 1024m; do
	"$AGENT" --list --ring-size "execsnoop=$size" > /dev/null 2> "$TMPD/err" 9>&- ||
		{ cat "$TMPD/err"; fail "--ring-size execsnoop=$size refused"; }
done
for size in 3g 4096g 1t 4398046511104m 18446744073709551616 k -4096 "1 m"; do
	"$AGENT" --list --ring-size "execsnoop=$size" > /dev/null 2> "$TMPD/err" 9>&-
	rc=$?
	[ "$rc" = 2 ] || { cat "$TMPD/err"; fail "--ring-size execsnoop=$size exited with $rc, want 2"; }
	[ "$(wc -l < "$TMPD/err")" = 1 ] || { cat "$TMPD/err"; fail "--ring-size execsnoop=$size: more than one line"; }
done
if unshare -m --propagation private true 2> /dev/null &&
	setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=+bpf,+perfmon \
		--ambient-caps=+bpf,+perfmon test -x "$AGENT" 2> /dev/null; then
	unshare -m --propagation private sh -c '
		umount /sys/kernel/tracing 2> /dev/null
		exec setpriv --reuid=65534 --regid=65534 --clear-groups \
			--inh-caps=+bpf,+perfmon --ambient-caps=+bpf,+perfmon \
			"$1" -d 0.5 -p execsnoop -p exitsnoop --keep-going' sh "$AGENT" \
		> /dev/null 2> "$TMPD/err" 9>&-
	rc=$?
	[ "$rc" = 3 ] || { cat "$TMPD/err"; fail "emf-agent without tracefs exited with $rc, want 3"; }
	grep -q "^emf: runtime: plugin 'execsnoop' failed to attach: tracefs is not mounted, and tracepoint programs such as handle_execve_enter() (section 'tp/syscalls/sys_enter_execve') need it: mount -t tracefs tracefs /sys/kernel/tracing$" "$TMPD/err" ||
		{ cat "$TMPD/err"; fail "no message naming tracefs and how to mount it"; }
	grep -q "^emf-agent: running 1 plugin;" "$TMPD/err" ||
		{ cat "$TMPD/err"; fail "exitsnoop (tp_btf) did not run without tracefs"; }
	echo "ok: without tracefs: tp/ plugins skipped naming tracefs, tp_btf ones run"
else
	echo "ok: tracefs check skipped: no private mount namespace or ambient capabilities here"
fi
echo "PASS: the privileges message, --ring-size sizes up to 2g, tracefs missing"
