#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# emf-agent --metrics under bad input and load: malformed and unknown --metric rules
# and bad addresses are usage errors (exit 2, one message, nothing loaded), a port in
# use is a runtime error (exit 1); scrapes go on while a dynamic plugin is reloaded
# on SIGHUP, each answered, and a rule on that plugin keeps counting across reloads;
# 100 concurrent scrapes and a scraper reading slowly are all served.
# Needs curl.
. "$(dirname "$0")/lib.sh"
need_root
command -v curl > /dev/null || skip "needs curl (Debian package curl)"
grep -q -- '--metrics' < <("$AGENT" --help) || fail "emf-agent has no --metrics option"

# expect_usage "message" ARGS...: the agent exits 2 saying "message", once.
expect_usage() {
	local msg=$1 rc n
	shift
	"$AGENT" "$@" -d 1 > /dev/null 2> "$TMPD/err.u"
	rc=$?
	[ $rc = 2 ] || { cat "$TMPD/err.u"; fail "'$*': exit status $rc, want 2"; }
	n=$(grep -cF -- "$msg" "$TMPD/err.u")
	[ "$n" = 1 ] || { cat "$TMPD/err.u"; fail "'$*': message '$msg' printed $n times, want once"; }
	grep -q "running" "$TMPD/err.u" && fail "'$*': plugins started before the usage error"
	echo "ok: exit 2: $(grep -F -- "$msg" "$TMPD/err.u")"
}

expect_usage "expected NAME=PLUGIN.EVENT:count" -p opensnoop --metric 'opens'
expect_usage "expected NAME=PLUGIN.EVENT:count" -p opensnoop --metric 'o=opensnoop.event:avg ret'
expect_usage "no plugin named 'nosuch'" -p opensnoop --metric 'o=nosuch.event:count'
expect_usage "no plugin named 'execsnoop'" -p opensnoop --metric 'o=execsnoop.event:count'
expect_usage "sends no event 'evt' (events: event)" -p opensnoop --metric 'o=opensnoop.evt:count'
expect_usage "has no field 'file' (fields: ts, pid, tid, uid, ret, flags, mode, comm, path)" \
	-p opensnoop --metric 'o=opensnoop.event:count by comm,file'
expect_usage "field 'comm' is a string, not a number to sum" -p opensnoop \
	--metric 'o=opensnoop.event:sum comm'
expect_usage "not a metric name of its own" -p opensnoop --metric 'emf_o=opensnoop.event:count'
expect_usage "a rule named 'o_total' exists already" -p opensnoop \
	--metric 'o=opensnoop.event:count' --metric 'o_total=opensnoop.event:count by ret'
expect_usage "invalid listen address 'localhost:9'" -p opensnoop --metrics localhost:9
expect_usage "invalid listen address '70000'" -p opensnoop --metrics 70000

# The plugin directory: dyntest (mkdir events), reloaded while scraped.
DYN="$top_builddir/tests/plugins/dyntest/dyntest.emf.so"
[ -f "$DYN" ] || fail "test plugin not built ($DYN)"
PD="$TMPD/plugins"
mkdir -m 755 "$PD"
chmod 755 "$TMPD"
cp "$DYN" "$PD/dyntest.so"
start_agent --plugin-dir "$PD" -p execsnoop -p dyntest --metrics 0 \
	--metric 'dirs_total=dyntest.event:count by comm'
wait_err "serving metrics on" 1 "emf-agent did not say where it serves metrics"
PORT=$(sed -n 's|.*serving metrics on http://127.0.0.1:\([0-9]*\)/metrics|\1|p' "$TMPD/err")
URL="http://127.0.0.1:$PORT/metrics"

# A port in use: a second agent refuses it before loading anything.
"$AGENT" -p execsnoop --metrics "$PORT" -d 1 > /dev/null 2> "$TMPD/err.p"
rc=$?
[ $rc = 1 ] && grep -q "failed to listen on $PORT: Address already in use" "$TMPD/err.p" ||
	{ cat "$TMPD/err.p"; fail "a second agent on port $PORT: exit $rc, want 1 with 'Address already in use'"; }
grep -q running "$TMPD/err.p" && fail "the second agent started plugins before refusing the port"
echo "ok: exit 1: $(grep "failed to listen" "$TMPD/err.p")"

# Scrapes every 20 ms through three reloads.
(
	while [ ! -e "$TMPD/stop-scraping" ]; do
		curl -s -m 5 -o /dev/null -w '%{http_code}\n' "$URL"
		sleep 0.02
	done
) > "$TMPD/codes" 9>&- &
scraper=$!
for r in 1 2 3; do
	mkdir "$TMPD/before-reload-$r"
	touch "$PD/dyntest.so"
	kill -HUP "$AGENT_PID"
	wait_err "reloaded plugin 'dyntest'" "$r" "reload $r of dyntest did not happen"
done
N=12
for ((i = 0; i < N; i++)); do
	mkdir "$TMPD/after-reload-$i"
done
sleep 1.5
# At least 10 scrapes in all, however slow the machine (an emulated guest is).
for _ in $(seq 1 300); do
	[ "$(wc -l < "$TMPD/codes")" -ge 10 ] && break
	sleep 0.1
done
touch "$TMPD/stop-scraping"
wait "$scraper"
total=$(wc -l < "$TMPD/codes")
good=$(grep -c '^200$' "$TMPD/codes")
[ "$total" -ge 10 ] && [ "$good" = "$total" ] ||
	{ sort "$TMPD/codes" | uniq -c; fail "$good of $total scrapes during reloads answered 200"; }
curl -sf "$URL" > "$TMPD/scrape" || fail "scrape after the reloads failed"
grep -q '^emf_plugin_state{plugin="dyntest",state="attached"} 1$' "$TMPD/scrape" ||
	{ grep dyntest "$TMPD/scrape"; fail "dyntest is not attached in the metrics after its reloads"; }
dirs=$(sed -n 's/^dirs_total{comm="mkdir"} \([0-9]*\)$/\1/p' "$TMPD/scrape")
[ -n "$dirs" ] && [ "$dirs" -ge $((N + 3)) ] ||
	{ grep dirs_total "$TMPD/scrape"; fail "dirs_total{comm=\"mkdir\"} is '$dirs' after $N mkdirs and 3 before the reloads"; }
echo "ok: $total scrapes during 3 reloads all answered; the rule counted $dirs mkdirs across them"

# A scraper that sends its request a byte every 50 ms holds up nobody: a scrape
# meanwhile is quick, and the slow one gets the whole exposition in the end.
(
	exec 3<> "/dev/tcp/127.0.0.1/$PORT" || exit 1
	req=$'GET /metrics HTTP/1.0\r\n\r\n'
	for ((k = 0; k < ${#req}; k++)); do
		printf '%s' "${req:k:1}" >&3
		sleep 0.05
	done
	cat <&3
) > "$TMPD/slow" 9>&- &
slow=$!
sleep 0.3
start=$(date +%s%N)
curl -sf -m 5 -o /dev/null "$URL" || fail "a scrape during a slow one failed"
ms=$((($(date +%s%N) - start) / 1000000))
kill -0 "$slow" 2> /dev/null || fail "the slow scraper was done already (not slow enough to test)"
[ "$ms" -lt 2000 ] || fail "a scrape during a slow one took $ms ms"
echo "ok: a scrape took $ms ms while a scraper sent its request a byte every 50 ms"

# 100 concurrent scrapes.
pids=()
for ((i = 0; i < 100; i++)); do
	curl -s -m 20 -o "$TMPD/c$i" -w '%{http_code}\n' "$URL" > "$TMPD/code$i" 9>&- &
	pids+=($!)
done
start=$(date +%s%N)
wait "${pids[@]}"
ms=$((($(date +%s%N) - start) / 1000000))
ok=0
for ((i = 0; i < 100; i++)); do
	[ "$(cat "$TMPD/code$i")" = 200 ] && tail -1 "$TMPD/c$i" | grep -q '^emf_metrics_overflow_total' &&
		ok=$((ok + 1))
done
[ "$ok" = 100 ] || fail "$ok of 100 concurrent scrapes got a whole exposition"
wait "$slow"
tail -1 "$TMPD/slow" | grep -q '^emf_metrics_overflow_total' || fail "the slow scraper got a cut exposition"
echo "ok: 100 concurrent scrapes whole in $ms ms; the slow scraper read $(wc -c < "$TMPD/slow") bytes whole"

stop_agent
[ "$AGENT_RC" = 0 ] || { cat "$TMPD/err"; fail "emf-agent exited with $AGENT_RC"; }
check_no_leak
echo "PASS: bad rules and addresses refused; scrapes served through reloads, 100 at once and slowly"
