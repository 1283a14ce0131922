#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# A real Prometheus scrapes emf-agent --metrics. The agent runs opensnoop, execsnoop
# and syscount with two rules: opens per path, execs per command. The test opens a
# file of a unique path N times and runs a binary of a unique name M times, then asks
# Prometheus's HTTP API for the series: they must hold N and M, as many as the
# agent's own event output shows; syscount's histogram must count in _count what its
# +Inf bucket holds, its syscall counter must be labelled by syscall name, and
# promtool must accept the exposition. Everything started is stopped at exit.
# Needs prometheus, promtool (Debian package prometheus), curl and jq.
. "$(dirname "$0")/lib.sh"
need_root
for t in prometheus promtool curl jq; do
	command -v "$t" > /dev/null ||
		skip "needs $t (Debian packages prometheus, curl, jq; scripts/setup-debian.sh installs them)"
done
grep -q -- '--metrics' < <("$AGENT" --help) || fail "emf-agent has no --metrics option"

N=37
M=23
PROM_PID=
stop_prometheus() {
	[ -n "$PROM_PID" ] && kill "$PROM_PID" 2> /dev/null && wait "$PROM_PID" 2> /dev/null
	PROM_PID=
}
trap '[ "$BASHPID" = "$$" ] && { stop_prometheus; cleanup; }' EXIT

# A port nothing listens on, from the ephemeral range's far side.
free_port() {
	local p
	for _ in $(seq 1 50); do
		p=$((20000 + RANDOM % 20000))
		ss -Htln "sport = :$p" 2> /dev/null | grep -q . || { echo "$p"; return 0; }
	done
	return 1
}

uniq_file="$TMPD/emf-metrics-open-$$"
: > "$uniq_file"
bin_name="emfmx$$"
cp /bin/true "$TMPD/$bin_name" || fail "cannot copy /bin/true to $TMPD"

start_agent -p opensnoop -p execsnoop -p syscount --metrics 127.0.0.1:0 \
	--metric 'path_opens_total=opensnoop.event:count by path' \
	--metric 'execs_total=execsnoop.event:count by comm'
wait_err "serving metrics on" 1 "emf-agent did not say where it serves metrics"
AGENT_PORT=$(sed -n 's|.*serving metrics on http://127.0.0.1:\([0-9]*\)/metrics|\1|p' "$TMPD/err")
[ -n "$AGENT_PORT" ] || { cat "$TMPD/err"; fail "no port in the agent's 'serving metrics' line"; }

PROM_PORT=$(free_port) || fail "found no free port for prometheus"
mkdir -p "$TMPD/prom-data"
cat > "$TMPD/prometheus.yml" << EOF
global:
  scrape_interval: 1s
  scrape_timeout: 900ms
scrape_configs:
  - job_name: emf
    static_configs:
      - targets: ['127.0.0.1:$AGENT_PORT']
EOF
promtool check config "$TMPD/prometheus.yml" > "$TMPD/promtool-config" 2>&1 ||
	{ cat "$TMPD/promtool-config"; fail "promtool refuses the test's prometheus.yml"; }
prometheus --config.file="$TMPD/prometheus.yml" --storage.tsdb.path="$TMPD/prom-data" \
	--web.listen-address="127.0.0.1:$PROM_PORT" > "$TMPD/prom.log" 2>&1 9>&- &
PROM_PID=$!
PROM="http://127.0.0.1:$PROM_PORT"
for _ in $(seq 1 100); do
	curl -sf "$PROM/-/ready" > /dev/null 2>&1 && break
	kill -0 "$PROM_PID" 2> /dev/null || { tail -20 "$TMPD/prom.log"; fail "prometheus exited at start"; }
	sleep 0.2
done
curl -sf "$PROM/-/ready" > /dev/null || { tail -20 "$TMPD/prom.log"; fail "prometheus not ready in 20 s"; }

# The known activity.
for ((i = 0; i < N; i++)); do
	: < "$uniq_file"
done
for ((i = 0; i < M; i++)); do
	"$TMPD/$bin_name"
done

# The value of an instant query's first series, or empty.
query() {
	curl -sf --get --data-urlencode "query=$1" "$PROM/api/v1/query" |
		jq -r 'if .status == "success" and (.data.result | length) > 0
			then .data.result[0].value[1] else empty end'
}

# Wait until Prometheus's value of $1 is $2 (20 s at most); set $got.
wait_value() {
	for _ in $(seq 1 100); do
		got=$(query "$1")
		[ "$got" = "$2" ] && return 0
		sleep 0.2
	done
	return 1
}

wait_value "path_opens_total{path=\"$uniq_file\"}" "$N" ||
	{ curl -s "http://127.0.0.1:$AGENT_PORT/metrics" | grep -F "$uniq_file"; fail "prometheus has path_opens_total '$got' for $uniq_file, want $N"; }
wait_value "execs_total{comm=\"$bin_name\"}" "$M" ||
	{ curl -s "http://127.0.0.1:$AGENT_PORT/metrics" | grep execs_total | head; fail "prometheus has execs_total '$got' for $bin_name, want $M"; }

# What the agent counted itself: the lines of its own event output.
seen_opens=$(grep -E '^[0-9:.]+ +opensnoop ' "$TMPD/out" | grep -c -F " $uniq_file")
# Execs by their COMM column: the metric counts by comm (a failed exec's argv may name it too).
seen_execs=$(awk -v c="$bin_name" '$2 == "execsnoop" && $7 == c' "$TMPD/out" | wc -l)
[ "$seen_opens" = "$N" ] || fail "the agent printed $seen_opens opens of $uniq_file, prometheus has $N"
[ "$seen_execs" = "$M" ] || fail "the agent printed $seen_execs execs of $bin_name, prometheus has $M"

# The agent's counter of delivered events is at least what the rules counted.
events=$(query 'emf_output_events_total{plugin="opensnoop",output="events"}')
[ -n "$events" ] && [ "$events" -ge "$N" ] ||
	fail "emf_output_events_total of opensnoop is '$events', want at least $N"
state=$(query 'emf_plugin_state{plugin="syscount",state="attached"}')
[ "$state" = 1 ] || fail "emf_plugin_state of syscount in state attached is '$state', want 1"

# syscount: its counter map by syscall name, its histogram complete (_count = +Inf bucket,
# which is the largest bucket, as buckets are cumulative).
opens=$(query 'emf_syscount_syscalls_count_total{syscall="openat"}')
[ -n "$opens" ] && [ "$opens" -ge "$N" ] ||
	fail "emf_syscount_syscalls_count_total{syscall=\"openat\"} is '$opens', want at least $N"
diff=$(query 'emf_syscount_latency_seconds_count - on() emf_syscount_latency_seconds_bucket{le="+Inf"}')
[ "$diff" = 0 ] || fail "histogram emf_syscount_latency_seconds: _count - bucket{le=\"+Inf\"} is '$diff', want 0"
top=$(query 'max(emf_syscount_latency_seconds_bucket) - on() emf_syscount_latency_seconds_count')
[ "$top" = 0 ] || fail "histogram emf_syscount_latency_seconds: its largest bucket is not its _count ('$top')"
quantile=$(query 'histogram_quantile(0.5, emf_syscount_latency_seconds_bucket)')
[ -n "$quantile" ] && [ "$quantile" != NaN ] || fail "prometheus computes no median of emf_syscount_latency_seconds ('$quantile')"
up=$(query 'up{job="emf"}')
[ "$up" = 1 ] || fail "prometheus's up{job=\"emf\"} is '$up': scrapes failed"

# promtool accepts the exposition, both formats are served.
curl -sf "http://127.0.0.1:$AGENT_PORT/metrics" > "$TMPD/scrape" || fail "curl of /metrics failed"
promtool check metrics < "$TMPD/scrape" > "$TMPD/promtool" 2>&1 ||
	{ cat "$TMPD/promtool"; fail "promtool check metrics refuses the exposition"; }
curl -sf -H 'Accept: application/openmetrics-text; version=1.0.0' -D "$TMPD/om.h" \
	"http://127.0.0.1:$AGENT_PORT/metrics" > "$TMPD/om" || fail "curl of /metrics as OpenMetrics failed"
grep -qi '^content-type: application/openmetrics-text' "$TMPD/om.h" && [ "$(tail -1 "$TMPD/om")" = "# EOF" ] ||
	fail "an OpenMetrics scrape did not get application/openmetrics-text ending in '# EOF'"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$AGENT_PORT/other")
[ "$code" = 404 ] || fail "GET /other answered $code, want 404"

stop_prometheus
stop_agent
[ "$AGENT_RC" = 0 ] || { cat "$TMPD/err"; fail "emf-agent exited with $AGENT_RC"; }
check_no_leak
! ss -Htln "sport = :$AGENT_PORT" | grep -q . || fail "port $AGENT_PORT still listens after the agent exited"
echo "PASS: prometheus scraped $N opens of $uniq_file and $M execs of $bin_name, as the agent printed;"
echo "  histogram _count = +Inf bucket, median $quantile s; openat counted $opens times; promtool accepts"
