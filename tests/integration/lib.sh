# Shared helpers for the integration tests (sourced, not run).
#   $NETCHECK  the binary under test (first argument of each test)
#   NC_CI=1    prerequisites are mandatory: missing ones fail, never skip
set -euo pipefail

NETCHECK=${1:?usage: $0 NETCHECK_BINARY}
NC_SRC=${NC_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
SOCK=${NC_TEST_SOCK:-/var/run/docker.sock}
PY=/usr/bin/python3
# the text report fits COLUMNS when not on a terminal: tests read one path per line
export COLUMNS=${NC_TEST_COLUMNS:-250}
TMP=$(mktemp -d /tmp/netcheck-test.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }
note() { printf '# %s\n' "$*" >&2; }

# skip (77) outside CI, fail in CI
prerequisite_missing() {
	if [ "${NC_CI:-0}" = 1 ]; then
		fail "prerequisite missing in CI: $*"
	fi
	printf 'SKIP: %s\n' "$*" >&2
	exit 77
}

api() { # METHOD PATH [curl args...]
	local m=$1 p=$2
	shift 2
	curl -s --max-time 20 --unix-socket "$SOCK" -X "$m" "$@" "http://localhost/v1.41$p"
}

need_engine() {
	curl -sf --max-time 3 --unix-socket "$SOCK" http://localhost/_ping >/dev/null 2>&1 ||
		prerequisite_missing "no Docker engine answers at $SOCK (run tests/setup.sh test)"
}

need_root() {
	[ "$(id -u)" = 0 ] || prerequisite_missing "needs root"
}

# Docker's DOCKER-USER chain through iptables-nft, for a test that adds a
# rule of its own there (nft lists it, with its handle)
need_docker_user() {
	command -v nft >/dev/null || prerequisite_missing "nft"
	command -v iptables >/dev/null || prerequisite_missing "iptables"
	iptables --version | grep -q nf_tables || prerequisite_missing "iptables-nft (this host's iptables is legacy)"
	nft list chain ip filter DOCKER-USER >/dev/null 2>&1 || prerequisite_missing "Docker's DOCKER-USER chain"
}
# the host's whole ruleset without counters, to compare before and after
ruleset() { nft list ruleset 2>/dev/null | sed -E 's/counter packets [0-9]+ bytes [0-9]+/counter/g'; }
# the handles of DOCKER-USER's rules, sorted: a new rule's is the one added
docker_user_handles() { nft -a list chain ip filter DOCKER-USER 2>/dev/null | sed -n 's/.*# handle \([0-9]*\)$/\1/p' | sort; }

# number of containers carrying netcheck's run label (any state)
labelled_containers() {
	api GET '/containers/json?all=1&filters=%7B%22label%22%3A%5B%22io.netcheck.run%22%5D%7D' |
		$PY -c 'import json,sys; print(len(json.load(sys.stdin)))'
}

# json_get FILE EXPR: prints the Python expression EXPR evaluated on d (the document)
json_get() {
	$PY -c 'import json,sys; d=json.load(open(sys.argv[1])); p={x["name"]:x for x in d["paths"]}; print(eval(sys.argv[2]))' "$1" "$2"
}

expect_eq() { # WHAT GOT WANT
	[ "$2" = "$3" ] || fail "$1: got '$2', want '$3'"
}

check_schema() {
	$PY "$NC_SRC/tests/check-report-schema.py" "$NC_SRC/docs/report.schema.json" "$1" >/dev/null ||
		fail "$1 does not match docs/report.schema.json"
}

# netcheck's responder image, imported by one plain run if missing;
# prints its reference (netcheck-responder:<version>-<hash of the responder's sources>)
responder_image() {
	"$NETCHECK" run --no-capture --json "$TMP/responder-image.json" >/dev/null 2>&1 || true
	$PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["container"]["image"])' "$TMP/responder-image.json"
}

# Starts a run held mid-way: the responder listens on 80 and netcheck waits
# for 81 (up to 30 s), so a signal or an engine restart lands while the
# container exists.  Sets HELD_PID; returns once the container exists
# (bounded: 10 s).  Args: IMAGE OUT ERR.
start_held_run() {
	local before
	before=$(labelled_containers)
	"$NETCHECK" run --no-capture --image "$1" --port 81 --start-timeout 30000 >"$2" 2>"$3" &
	HELD_PID=$!
	wait_for_ours "$before" "the held run's container"
}

# wait_for_ours BEFORE WHAT: returns once more of netcheck's labelled
# containers exist than BEFORE (labelled_containers' count), polled every
# 50 ms: the moment a signal lands while a run has made one.  Fails with
# "WHAT never appeared" after 10 s.
wait_for_ours() {
	local _
	for _ in $(seq 1 200); do
		[ "$(labelled_containers)" -gt "$1" ] && return 0
		sleep 0.05
	done
	fail "$2 never appeared"
}

# busybox_image REF CMD_JSON: imports an image REF (e.g. nctest-app:loopback)
# made of Debian's busybox-static and nothing else, whose CMD is CMD_JSON
# (e.g. '["httpd","-f","-p","127.0.0.1:80"]').  No registry is reachable:
# the suite builds its test images itself.  remove_images removes them.
NC_TEST_IMAGES=()
busybox_image() {
	local ref=$1 cmd=$2 query
	[ -x /bin/busybox ] || prerequisite_missing "busybox-static (/bin/busybox)"
	$PY - "$TMP/rootfs-$$.tar" <<'PYEOF'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w") as t:
    for d in ("bin", "etc", "tmp", "www"):
        i = tarfile.TarInfo(d); i.type = tarfile.DIRTYPE; i.mode = 0o755; t.addfile(i)
    t.add("/bin/busybox", "bin/busybox")
    for name in ("sh", "httpd", "nc", "echo", "cat", "sleep"):
        i = tarfile.TarInfo("bin/" + name); i.type = tarfile.SYMTYPE; i.linkname = "busybox"; t.addfile(i)
    body = b"hello from the test app\n"
    i = tarfile.TarInfo("www/index.html"); i.size = len(body); i.mode = 0o644; t.addfile(i, io.BytesIO(body))
PYEOF
	query=$($PY -c 'import sys, urllib.parse as u; r, c = sys.argv[1:]; print(u.urlencode([("fromSrc", "-"), ("repo", r), ("changes", "CMD " + c), ("changes", "ENV PATH=/bin")]))' "$ref" "$cmd")
	api POST "/images/create?$query" -H 'Content-Type: application/x-tar' --data-binary "@$TMP/rootfs-$$.tar" >/dev/null ||
		fail "cannot import $ref"
	NC_TEST_IMAGES+=("$ref")
}

remove_images() {
	local ref
	for ref in "${NC_TEST_IMAGES[@]}"; do
		api DELETE "/images/$ref?force=1" >/dev/null 2>&1 || true
	done
}

# run_container NAME IMAGE [docker run args...]: a labelled test container
# (io.netcheck.test), removed by remove_test_containers
run_container() {
	local name=$1 image=$2
	shift 2
	docker run -d --name "$name" --label io.netcheck.test=1 "$@" "$image" >/dev/null ||
		fail "cannot start $name"
}

# A test's own group of containers: group_start GROUP NAME [docker run
# args...] starts GROUP-NAME labelled io.netcheck.test-group=GROUP;
# group_remove GROUP removes them all.
group_start() {
	local group=$1 name=$2
	shift 2
	docker run -d --name "$group-$name" --label "io.netcheck.test-group=$group" "$@" >/dev/null ||
		fail "cannot start $name"
}

group_remove() {
	docker ps -aq --filter "label=io.netcheck.test-group=$1" | xargs -r docker rm -f >/dev/null 2>&1 || true
}

# busybox_group GROUP NETWORK: a test's containers of one busybox image,
# all removed at its exit (the EXIT trap) with NETWORK (its name; the test
# creates it, as it needs it) and $TMP.  Sets img to GROUP-app:http, an
# httpd on 80 (busybox_image), and defines start NAME [docker run args...]:
# group_start GROUP NAME.
busybox_group() {
	NC_GROUP=$1
	NC_GROUP_NETWORK=$2
	trap busybox_group_remove EXIT
	img=$NC_GROUP-app:http
	busybox_image "$img" '["httpd","-f","-p","80","-h","/www"]'
	start() { group_start "$NC_GROUP" "$@"; }
}

busybox_group_remove() {
	group_remove "$NC_GROUP"
	docker network rm "$NC_GROUP_NETWORK" >/dev/null 2>&1 || true
	remove_images
	rm -rf "$TMP"
}

# diag FILE PATH: the path's diagnosis code (None when it has none)
diag() { json_get "$1" "(p['$2']['diagnosis'] or {}).get('code')"; }

remove_test_containers() {
	docker ps -aq --filter label=io.netcheck.test=1 | xargs -r docker rm -f >/dev/null 2>&1 || true
}

# wait_for SECONDS WHAT COMMAND...: runs COMMAND every 0.5 s until it
# succeeds; fails after SECONDS, or at once when the process $WATCH_PID
# (when set: the one the test waits on) has exited
wait_for() {
	local secs=$1 what=$2 i
	shift 2
	for i in $(seq 1 $((secs * 2))); do
		"$@" && return 0
		if [ -n "${WATCH_PID:-}" ] && ! kill -0 "$WATCH_PID" 2>/dev/null; then
			fail "the process waited on exited while waiting for $what"
		fi
		sleep 0.5
	done
	fail "$what: not within ${secs}s"
}

# compose_web_db_up PROJECT: Compose project PROJECT (Debian's
# docker-compose 1.29, $TMP/docker-compose.yml) of two services of one
# image (busybox_image's, never pulled: no registry is reachable): web
# publishes TCP 80 on every address, db on 127.0.0.1 only.  The test's
# trap calls compose_web_db_down PROJECT.  Skips (77) without
# docker-compose.
compose_web_db_up() {
	local project=$1 image=nctest-compose-$$:1
	command -v docker-compose >/dev/null 2>&1 || prerequisite_missing "docker-compose (Debian's, 1.29)"
	busybox_image "$image" '["httpd","-f","-p","80","-h","/www"]'
	cat >"$TMP/docker-compose.yml" <<EOF
services:
  web:
    image: $image
    pull_policy: never
    labels: { io.netcheck.test: "1" }
    ports: ["80"]
  db:
    image: $image
    pull_policy: never
    labels: { io.netcheck.test: "1" }
    ports: ["127.0.0.1::80"]
EOF
	docker-compose -p "$project" -f "$TMP/docker-compose.yml" up -d >"$TMP/up.log" 2>&1 ||
		fail "docker-compose up: $(tail -3 "$TMP/up.log")"
}

# compose_web_db_down PROJECT: the project down, its network and image gone
# (whatever of it exists: safe in a trap before or after a failed up).
compose_web_db_down() {
	docker-compose -p "$1" -f "$TMP/docker-compose.yml" down --remove-orphans >/dev/null 2>&1 || true
	docker network rm "${1}_default" >/dev/null 2>&1 || true
	remove_images
}

# ---- the Swarm lab (tests/labs/swarm-lab.sh) for a test ------------------------
SWARM_LAB=$NC_SRC/tests/labs/swarm-lab.sh
SWARM_LAB_UP=0 # a test that takes the lab down itself sets it to 0 first

swarm_lab_down_on_exit() {
	local rc=$? i d
	trap - EXIT INT TERM
	if [ "$SWARM_LAB_UP" = 1 ]; then
		if [ "$rc" != 0 ]; then
			note "lab status and logs (rc $rc):"
			timeout 30 bash "$SWARM_LAB" status >&2 2>&1 || true
			d=$(sed -n 's/^DATA_DIR=//p' /run/nclab/state 2>/dev/null || true)
			for i in 1 2 3; do
				[ -n "$d" ] && tail -n 15 "$d/node$i/dockerd.log" >&2 2>/dev/null || true
			done
		fi
		timeout 60 bash "$SWARM_LAB" down || note "lab down failed"
	fi
	rm -rf "$TMP"
	exit "$rc"
}

# What a test on the lab needs: the commands named, and a static busybox (the
# lab's image is made of it)
swarm_lab_prerequisites() { # COMMAND...
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null || prerequisite_missing "$c is not installed (tests/setup.sh installs it)"
	done
	[ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1 ||
		prerequisite_missing "/bin/busybox is not a static busybox (apt-get install busybox-static)"
}
now_ms() { date +%s%3N; }
dk() { # NODE docker-args...: the docker client on lab node NODE's engine
	local i=$1
	shift
	timeout 60 "${DOCKER:-/usr/bin/docker}" -H "unix:///run/nclab/node$i/docker.sock" "$@"
}
jq_py() { # FILE EXPR: prints the Python expression's value for the JSON document d
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}
# no node of the lab tried a registry (its dockerd logs say so when it does)
swarm_lab_no_pulls() { # WHEN
	local pulls
	pulls=$(grep -hiE 'pulling image|pull access|registry-1|Error response from daemon: pull' \
		"$NCLAB_DATA_DIR"/node*/dockerd.log 2>/dev/null | head -n 3 || true)
	[ -z "$pulls" ] || fail "$1: a node tried to pull an image: $pulls"
}

# swarm_lab_up N: the lab with N nodes (NCLAB_* settings in the environment pass
# through), its NCLAB_* variables in this shell, taken down on any exit
swarm_lab_up() {
	trap swarm_lab_down_on_exit EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	SWARM_LAB_UP=1
	timeout 240 bash "$SWARM_LAB" up "$1" || fail "the swarm lab did not come up"
	eval "$(bash "$SWARM_LAB" env)"
}

# Does UID still run a process (zombies aside: pid 1 here reaps late)?  Waits
# up to 3 s for the last ones to go.
uid_has_processes() {
	local _
	for _ in $(seq 1 30); do
		ps -e -o uid=,stat= | awk -v u="$1" '$1 == u && $2 !~ /^Z/ { found = 1 } END { exit !found }' || return 1
		sleep 0.1
	done
	return 0
}

# SIGINT to `netcheck run ARGS...` once its capture agent's container is in the
# engine at $SOCK; waits for it to end.  The caller then counts what is left.
interrupt_while_agent_captures() {
	local pid seen=0 _
	"$NETCHECK" run "$@" --no-color >/dev/null 2>&1 &
	pid=$!
	for _ in $(seq 1 400); do
		if api GET '/containers/json?filters=%7B%22label%22%3A%5B%22io.netcheck.run%22%5D%7D' | grep -q -- '-agent"'; then
			seen=1
			break
		fi
		sleep 0.01
	done
	kill -INT "$pid" 2>/dev/null || true
	wait "$pid" || true
	[ "$seen" = 1 ] || fail "the agent's container never appeared"
}

# Is anything of a lab's user USER (uid UID, may be empty) left: the user, its
# group, its subordinate ids, a process?  Prints what, returns 0 if so.
lab_user_left() {
	if id -u "$1" >/dev/null 2>&1 || getent group "$1" >/dev/null || grep -qs "^$1:" /etc/subuid /etc/subgid; then
		echo "the user $1, its group or its subordinate ids"
		return 0
	fi
	if [ -n "$2" ] && uid_has_processes "$2"; then
		echo "processes of uid $2"
		return 0
	fi
	return 1
}

# expect_point REPORT NAME WHERE: the capture point NAME is there once, WHERE
# it should be (host, engine, container), and has packets.
expect_point() {
	expect_eq "$2 where, with packets" \
		"$(json_get "$1" "[(c['where'], c['packets'] > 0) for c in d['environment']['capture_points'] if c['name'] == '$2']")" \
		"[('$3', True)]"
}

# expect_both_sides REPORT FAR_POINT: each published path of this host (TCP
# and UDP) is `proxy` from packets on both sides of the forwarder: this
# host's lo, and FAR_POINT on the engine's side.
expect_both_sides() {
	local path
	for path in published-loopback published-loopback6 published-host published-loopback-udp published-host-udp; do
		expect_eq "$path mechanism" "$(json_get "$1" "p['$path']['mechanism']")" proxy
		expect_eq "$path: packets on this host's side (lo)" \
			"$(json_get "$1" "any(h['capture_point'] == 'lo' for h in p['$path']['evidence'])")" True
		expect_eq "$path: packets on the far side ($2)" \
			"$(json_get "$1" "any(h['capture_point'] == '$2' for h in p['$path']['evidence'])")" True
	done
}

# expect_capture_through_agent ENGINE POINT: `netcheck capture` of a container kept
# by `netcheck run --keep` on ENGINE, with one HTTP request to its published port
# meanwhile, writes POINT (an agent's point) with packets in its file.  The kept
# container stays: the caller's `gc --kept` removes it.
expect_capture_through_agent() {
	local kept port idbs n
	"$NETCHECK" run --engine "$1" --keep --json "$TMP/kept.json" --no-color >/dev/null 2>&1 ||
		fail "the --keep run failed"
	kept=$(json_get "$TMP/kept.json" 'd["container"]["name"]')
	port=$(json_get "$TMP/kept.json" 'd["container"]["published_port"]')
	(sleep 1.5; curl -s -m 2 "http://127.0.0.1:$port/x" >/dev/null) &
	"$NETCHECK" capture --engine "$1" "$kept" --duration 3 -w "$TMP/capture.pcapng" >/dev/null 2>"$TMP/capture.err" ||
		{ cat "$TMP/capture.err" >&2; fail "netcheck capture failed"; }
	wait
	idbs=$(capinfos "$TMP/capture.pcapng" 2>/dev/null) || fail "capinfos cannot read the capture file"
	n=$(awk -v want="Description = $2" 'index($0, want) { found = 1; next } found && /Number of packets/ { print $NF; exit }' <<<"$idbs")
	[ "${n:-0}" -gt 0 ] || fail "netcheck capture: no packets on $2 in its file"
	note "netcheck capture: $n packets on $2"
}
