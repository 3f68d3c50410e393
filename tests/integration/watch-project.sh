#!/bin/bash
# netcheck watch --project: a Compose project of the test's own (Debian's
# docker-compose 1.29, two services of a busybox image the test imports, as
# probe-project.sh), watched as probe --project picks it:
#   - each cycle's NDJSON line has both services' paths, qualified by the
#     service, reachable; /metrics labels each path with its own container
#   - db's container killed: reported (a state-change line, its paths fail),
#     never re-created or restarted, web's paths still reachable
#   - SIGTERM: exit 143, the project's containers left as they were
#   - down (and its network) in the trap; the image the test imported removed
. "$(dirname "$0")/lib.sh"
need_root
need_engine

project=nctest-watchproj-$$
port=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
WATCH_PID=
cleanup() {
	local rc=$?
	trap - EXIT
	if [ -n "$WATCH_PID" ] && kill -0 "$WATCH_PID" 2>/dev/null; then
		kill -TERM "$WATCH_PID" 2>/dev/null || true
		wait "$WATCH_PID" 2>/dev/null || true
	fi
	[ "$rc" != 0 ] && tail -n 20 "$TMP/err" >&2 2>/dev/null
	compose_web_db_down "$project"
	rm -rf "$TMP"
	exit "$rc"
}
trap cleanup EXIT

compose_web_db_up "$project"
db_id=$(docker inspect -f '{{.Id}}' "${project}_db_1") || fail "no ${project}_db_1"

# last_line EXPR: EXPR on the last NDJSON line (d; p: its paths by name)
last_line() {
	tail -n 1 "$TMP/w.ndjson" 2>/dev/null |
		$PY -c 'import json,sys; d=json.load(sys.stdin); p={x["name"]:x for x in d["paths"]}; print(eval(sys.argv[1]))' "$1" 2>/dev/null
}

"$NETCHECK" watch --project "$project" --interval 1s --listen "127.0.0.1:$port" --json "$TMP/w.ndjson" \
	>"$TMP/out" 2>"$TMP/err" &
WATCH_PID=$!
both_up() { [ "$(last_line 'p["published-loopback:web"]["verdict"] + " " + p["published-loopback:db"]["verdict"]')" = "reachable reachable" ]; }
wait_for 60 "both services' published-loopback reachable" both_up
expect_eq "services' paths qualified" "$(last_line 'all(":" in n for n in p)')" True
curl -s --max-time 5 "http://127.0.0.1:$port/metrics" >"$TMP/metrics" || fail "GET /metrics failed"
grep -q "^netcheck_path_up{path=\"published-loopback:db\",target=\"${project}_db_1\",mechanism=\"[a-z]*\"} 1\$" "$TMP/metrics" ||
	fail "no path_up of db's published-loopback with db's container as target: $(grep path_up "$TMP/metrics" | head -4)"
grep -q "^netcheck_path_up{path=\"published-loopback:web\",target=\"${project}_web_1\"" "$TMP/metrics" ||
	fail "no path_up of web's published-loopback with web's container as target"

# db's container dies: reported, not re-created, web goes on
docker kill "$db_id" >/dev/null || fail "docker kill $db_id"
wait_for 30 "the state change line of db" grep -q "published-loopback:db: reachable" "$TMP/err"
db_down() { [ "$(last_line 'p["published-loopback:db"]["verdict"]')" != reachable ]; }
wait_for 30 "db's path failing in the NDJSON" db_down
sleep 3 # a few more cycles: nothing may restart or replace db's container
expect_eq "web still reachable" "$(last_line 'p["published-loopback:web"]["verdict"]')" reachable
expect_eq "db's container state" "$(docker inspect -f '{{.State.Status}}' "$db_id")" exited
expect_eq "the project's containers" "$(docker ps -aq --filter "label=com.docker.compose.project=$project" | wc -l)" 2
grep -q "creating another" "$TMP/err" && fail "watch re-created a container of the user's: $(cat "$TMP/err")"

rc=0
kill -TERM "$WATCH_PID"
wait "$WATCH_PID" || rc=$?
WATCH_PID=
expect_eq "SIGTERM exit" "$rc" 143
grep -q "your project's containers were left alone" "$TMP/err" || fail "stderr says $(tail -2 "$TMP/err")"
expect_eq "web still running" "$(docker inspect -f '{{.State.Status}}' "${project}_web_1")" running
echo "ok: watch --project: db killed and reported, web reachable, SIGTERM 143"
