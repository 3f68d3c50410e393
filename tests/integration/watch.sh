#!/bin/bash
# netcheck watch scraped by a real Prometheus (Debian's prometheus 2.42):
#   - watch --interval 1s --listen 127.0.0.1:<free port> --json FILE in the background;
#     a Prometheus of the test's own (its config and tsdb in $TMP, listening on
#     127.0.0.1:<free port>, scrape interval 1s, scraping only watch's port)
#   - Prometheus' query API shows netcheck_path_up = 1 for the paths every
#     bridge run reaches, netcheck_cycles_total rising, the latency histogram
#   - `docker kill` of watch's own container: the next cycle reports it (a
#     state-change line, failures counted and scraped), a new container
#     (a new id) is made and its paths are up again, the counters go on
#     (the /metrics server and its counts survive the re-creation)
#   - every NDJSON line has the keys docs/monitoring.md's tables list
#   - SIGTERM: exit 143; no container, netns or nft table of the run left
#   - Prometheus stopped by the pid this test started, its files removed
# Every wait is bounded.
. "$(dirname "$0")/lib.sh"
need_root
need_engine
PROMETHEUS=${NC_TEST_PROMETHEUS:-/usr/bin/prometheus}
[ -x "$PROMETHEUS" ] || prerequisite_missing "prometheus (Debian's, tests/setup.sh test installs it)"

free_port() { $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
nc_port=$(free_port)
prom_port=$(free_port)
[ "$nc_port" != "$prom_port" ] || prom_port=$(free_port)
WATCH_PID=
PROM_PID=

# wait_bounded PID SECONDS: waits for a child of this shell, killing it
# (by that pid, SIGKILL) after SECONDS; its exit status is returned
wait_bounded() {
	local pid=$1 killer rc=0
	( sleep "$2"; kill -KILL "$pid" 2>/dev/null ) &
	killer=$!
	wait "$pid" || rc=$?
	kill "$killer" 2>/dev/null || true
	wait "$killer" 2>/dev/null || true
	return "$rc"
}

cleanup() {
	local rc=$?
	trap - EXIT
	# only the two processes this test started, by their pids
	if [ -n "$WATCH_PID" ] && kill -0 "$WATCH_PID" 2>/dev/null; then
		kill -TERM "$WATCH_PID" 2>/dev/null || true
		wait_bounded "$WATCH_PID" 30 || true
	fi
	if [ -n "$PROM_PID" ] && kill -0 "$PROM_PID" 2>/dev/null; then
		kill -TERM "$PROM_PID" 2>/dev/null || true
		wait_bounded "$PROM_PID" 20 || true
	fi
	if [ "$rc" != 0 ]; then
		note "watch's stderr:"
		tail -n 30 "$TMP/watch.err" >&2 2>/dev/null || true
		note "prometheus' log:"
		tail -n 15 "$TMP/prom.log" >&2 2>/dev/null || true
		note "prometheus' scrape of watch:"
		curl -s --max-time 5 "http://127.0.0.1:$prom_port/api/v1/targets" 2>/dev/null |
			$PY -c 'import json,sys; [print("health", t["health"], "lastError", t["lastError"]) for t in json.load(sys.stdin)["data"]["activeTargets"]]' >&2 || true
		note "netcheck_path_up as Prometheus has it:"
		query netcheck_path_up >&2 || true
	fi
	rm -rf "$TMP"
	exit "$rc"
}
trap cleanup EXIT

# query EXPR: Prometheus' instant query, as "labels value" lines (sorted)
query() {
	curl -s --max-time 5 -G --data-urlencode "query=$1" "http://127.0.0.1:$prom_port/api/v1/query" |
		$PY -c '
import json, sys
try:
    d = json.load(sys.stdin)
except ValueError:
    sys.exit(0)
if d.get("status") != "success":
    sys.exit(0)
for s in sorted(d["data"]["result"], key=lambda s: sorted(s["metric"].items())):
    m = s["metric"]
    print(",".join("%s=%s" % (k, m[k]) for k in sorted(m) if k not in ("__name__", "job", "instance")), s["value"][1])
'
}


# the paths every run on the default bridge reaches (docs/environments.md)
want_up=(direct-icmp direct-tcp published-host published-loopback)
# target NAME: the series of netcheck_path_up with target NAME and value 1 cover want_up
paths_up() {
	local got p
	got=$(query "netcheck_path_up{target=\"$1\"} == 1")
	for p in "${want_up[@]}"; do
		grep -q "^mechanism=[a-z-]*,path=$p,target=$1 1\$" <<<"$got" || return 1
	done
}
last_target() { tail -n 1 "$TMP/w.ndjson" 2>/dev/null | $PY -c 'import json,sys; print(json.load(sys.stdin)["target"])' 2>/dev/null; }
cycles() { query netcheck_cycles_total | awk '{print $NF}'; }
scraped_cycles_above() { local c; c=$(cycles); [ -n "$c" ] && [ "$c" -gt "$1" ]; }

"$NETCHECK" watch --interval 1s --listen "127.0.0.1:$nc_port" --json "$TMP/w.ndjson" >"$TMP/watch.out" 2>"$TMP/watch.err" &
WATCH_PID=$!

cat >"$TMP/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: netcheck
    static_configs:
      - targets: ['127.0.0.1:$nc_port']
EOF
"$PROMETHEUS" --config.file="$TMP/prometheus.yml" --storage.tsdb.path="$TMP/tsdb" \
	--web.listen-address="127.0.0.1:$prom_port" --log.level=warn >"$TMP/prom.log" 2>&1 &
PROM_PID=$!

# the first cycle (the image may be imported first), then Prometheus' scrapes of it
wait_for 90 "watch's first NDJSON line" test -s "$TMP/w.ndjson"
target1=$(last_target)
[ -n "$target1" ] || fail "no target in the NDJSON line: $(head -c 300 "$TMP/w.ndjson")"
id1=$(docker inspect -f '{{.Id}}' "$target1") || fail "no container $target1"
curl -s --max-time 5 "http://127.0.0.1:$nc_port/metrics" >"$TMP/metrics.txt" || fail "GET /metrics failed"
grep -q '^# EOF$' "$TMP/metrics.txt" || fail "/metrics is not OpenMetrics: $(head -3 "$TMP/metrics.txt")"
wait_for 60 "Prometheus sees ${want_up[*]} up on $target1" paths_up "$target1"
c1=$(cycles)
wait_for 20 "netcheck_cycles_total rising past $c1" scraped_cycles_above "$c1"
# every path of the NDJSON line has its series
for p in $(tail -n 1 "$TMP/w.ndjson" | $PY -c 'import json,sys; print(" ".join(x["name"] for x in json.load(sys.stdin)["paths"]))'); do
	query "netcheck_path_up{path=\"$p\"}" | grep -q . || fail "no netcheck_path_up series for $p"
done
# the histogram: 12 buckets and +Inf for direct-tcp, with counts
expect_eq "direct-tcp buckets" "$(query 'netcheck_path_latency_seconds_bucket{path="direct-tcp"}' | wc -l)" 13
n=$(query 'netcheck_path_latency_seconds_count{path="direct-tcp"}' | awk '{print $NF}')
[ -n "$n" ] && [ "$n" -gt 0 ] || fail "netcheck_path_latency_seconds_count of direct-tcp: '$n'"
query 'netcheck_cycle_duration_seconds' | grep -q . || fail "no netcheck_cycle_duration_seconds"
note "scraped: $(query 'count(netcheck_path_up == 1)' | awk '{print $NF}') paths up, $(cycles) cycles"

# its own container killed: reported, counted as failures, re-created
before_kill=$(cycles)
docker kill "$id1" >/dev/null || fail "docker kill $id1"
wait_for 30 "the state change line" grep -q "direct-tcp: reachable" "$TMP/watch.err"
wait_for 30 "the re-creation line" grep -q "the test container is gone" "$TMP/watch.err"
new_target() { t=$(last_target); [ -n "$t" ] && [ "$t" != "$target1" ]; }
wait_for 60 "a cycle on a new container" new_target
target2=$(last_target)
id2=$(docker inspect -f '{{.Id}}' "$target2") || fail "no container $target2"
[ "$id2" != "$id1" ] || fail "the container was not re-created: $id2"
expect_eq "the killed container is gone" "$(docker ps -aq --no-trunc --filter "id=$id1")" ""
wait_for 60 "Prometheus sees ${want_up[*]} up on $target2" paths_up "$target2"
failures_scraped() { query 'netcheck_path_failures_total{path="direct-tcp"}' | grep -q .; }
wait_for 20 "netcheck_path_failures_total of direct-tcp scraped" failures_scraped
# counters survive the re-creation: no reset as Prometheus sees it
expect_eq "counter resets" "$(query 'resets(netcheck_cycles_total[5m])' | awk '{print $NF}')" 0
c2=$(cycles)
[ "$c2" -gt "$before_kill" ] || fail "netcheck_cycles_total went from $before_kill to $c2"
note "after the kill: $target1 -> $target2, $(query 'netcheck_path_failures_total{path="direct-tcp"}')"

# every line as docs/monitoring.md's tables say, a container-exited diagnosis among them
$PY "$NC_SRC/tests/check-watch-line.py" "$NC_SRC/docs/monitoring.md" "$TMP/w.ndjson" --want-diagnosis >&2 ||
	fail "the NDJSON lines are not as docs/monitoring.md says"

# SIGTERM: 143, and nothing of either container's run left
rc=0
kill -TERM "$WATCH_PID"
wait_bounded "$WATCH_PID" 60 || rc=$?
pid=$WATCH_PID
WATCH_PID=
expect_eq "SIGTERM exit" "$rc" 143
for t in "$target1" "$target2"; do
	expect_eq "container $t left" "$(docker ps -aq --filter "name=^/$t\$")" ""
	run_id=${t#netcheck-}
	ip netns list | grep -q "$run_id" && fail "netns of $run_id left: $(ip netns list | grep "$run_id")"
	docker network ls --format '{{.Name}}' | grep -q "$run_id" && fail "network of $run_id left"
done
if command -v nft >/dev/null 2>&1; then
	nft list tables | grep -q "netcheck_trace_${pid}_" && fail "trace table of pid $pid left: $(nft list tables | grep netcheck_trace_)"
fi
grep -q "interrupted" "$TMP/watch.err" || fail "stderr says $(tail -3 "$TMP/watch.err")"

# Prometheus: stopped by its pid, its files go with $TMP
kill -TERM "$PROM_PID"
rc=0
wait_bounded "$PROM_PID" 20 || rc=$?
PROM_PID=
[ "$rc" != 137 ] || fail "prometheus did not stop within 20 s of SIGTERM"
echo "ok: watch scraped by Prometheus: $target1 killed, $target2 made, counters went on, SIGTERM 143"
