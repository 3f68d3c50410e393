#!/bin/bash
# `netcheck run --swarm` on the Swarm lab (tests/labs/swarm-lab.sh, 2 nodes), with
# the nodes' dockerd as a user's swarm has it (NCLAB_PREFER_OFFLINE=0: a task named
# by tag would make its node try a pull):
#   1. only the manager's engine: node 2 lacks netcheck's image, its task is
#      rejected, its paths fail with the engine's reason (diagnosis task-down,
#      the task's state and error observed from the engine), exit 1;
#   2. both engines: the image is loaded into both, every path as expected
#      (published-node reachable by NAT, published-ingress skipped: no IPVS here,
#      task-to-task and task-to-service-dns reachable over the overlay), exit 0, the
#      JSON's "swarm" section per node, JUnit with a suite per node;
#   3. --keep, then `gc --kept` removes service and network;
#   4. bad input: a worker's engine first (64), an engine that does not answer
#      (69), an engine that is in no swarm (64) -- one line on stderr each;
#   5. a node down: its paths fail saying so (task-down), exit 1;
#   6. three nodes, two of them with one hostname (cloned from one image): every
#      node's four paths reported, named hostname/<short id> for the two, and
#      the count says 12;
# and after each run nothing of netcheck's is left on the swarm, and no node ever
# tried to pull an image.
[ "${CI:-}" = true ] && export NC_CI=1 # CI: a missing prerequisite fails, never skips
. "$(dirname "$0")/lib.sh"
need_root

LAB=$SWARM_LAB
DOCKER=/usr/bin/docker
swarm_lab_prerequisites ip nsenter unshare dockerd "$DOCKER" iptables curl python3

t0=$(now_ms)
NCLAB_PREFER_OFFLINE=0 swarm_lab_up 2
note "time lab up (2 nodes): $(($(now_ms) - t0)) ms"
M=$NCLAB_NODE1_HOST
W=$NCLAB_NODE2_HOST

# nothing of netcheck's on the swarm: no service, no network, no container on any node
# (a removed overlay stays listed on a node until its local copy is torn down: a
# few seconds at most, so the check waits that long)
nothing_left() { # WHEN
	local left deadline=$(($(now_ms) + 15000))
	while :; do
		left="$(dk 1 service ls -q --filter label=io.netcheck.run) $(dk 1 network ls -q --filter label=io.netcheck.run)"
		[ "$left" = " " ] && return 0
		[ "$(now_ms)" -lt "$deadline" ] || fail "$1: services or networks left: $left"
		sleep 0.5
	done
}
path_field() { # FILE PATH FIELD
	jq_py "$1" "[p for p in d['paths'] if p['name'] == '$2'][0]['$3']"
}

# ---- 1. the manager's engine only: node 2 has no image --------------------------
set +e
"$NETCHECK" run --swarm -H "$M" --json "$TMP/one.json" >"$TMP/one.out" 2>"$TMP/one.err"
rc=$?
set -e
cat "$TMP/one.out" >&2
expect_eq "exit code, node 2 without the image" "$rc" 1
expect_eq "node 1's published-node" "$(path_field "$TMP/one.json" published-node:nclab-node1 verdict)" reachable
expect_eq "node 2's published-node" "$(path_field "$TMP/one.json" published-node:nclab-node2 verdict)" unreachable
detail=$(path_field "$TMP/one.json" published-node:nclab-node2 detail)
[[ $detail == *"task on node nclab-node2 is "*"No such image"* ]] ||
	fail "node 2's path does not give the engine's reason: $detail"
expect_eq "node 2's diagnosis" "$(jq_py "$TMP/one.json" "[p for p in d['paths'] if p['name'] == 'published-node:nclab-node2'][0]['diagnosis']['code']")" task-down
observed=$(jq_py "$TMP/one.json" "[p for p in d['paths'] if p['name'] == 'published-node:nclab-node2'][0]['diagnosis']['observed'][0]")
[[ $observed == *"'source': 'engine'"*"on node nclab-node2: rejected: "*"No such image"* ]] ||
	fail "node 2's diagnosis does not observe the task's state and error: $observed"
grep -q "UNEXPECTED (task-down)" "$TMP/one.out" || fail "the table does not say task-down for node 2's paths"
expect_eq "node 2's image_loaded" "$(jq_py "$TMP/one.json" "d['swarm']['nodes'][1]['image_loaded']")" False
grep -q "node nclab-node2 (198.18.10.12, worker, ready): task rejected: .*No such image" "$TMP/one.out" ||
	fail "the text report does not say why node 2's task did not start"
nothing_left "after run 1"
swarm_lab_no_pulls "after run 1"

# ---- 2. both engines: every path as expected --------------------------------------
t0=$(now_ms)
"$NETCHECK" run --swarm -H "$M" -H "$W" --json "$TMP/two.json" --junit "$TMP/two.xml" >"$TMP/two.out" 2>"$TMP/two.err" ||
	{ cat "$TMP/two.out" "$TMP/two.err" >&2; fail "run --swarm with both engines did not exit 0"; }
note "time run --swarm (2 nodes, image already on node 1): $(($(now_ms) - t0)) ms"
cat "$TMP/two.out" >&2
for n in 1 2; do
	p=published-node:nclab-node$n
	expect_eq "$p verdict" "$(path_field "$TMP/two.json" "$p" verdict)" reachable
	expect_eq "$p mechanism" "$(path_field "$TMP/two.json" "$p" mechanism)" nat
	# the task saw this host's own address on the lab bridge: nothing in between
	peer=$(path_field "$TMP/two.json" "$p" peer_seen)
	[[ $peer == "$NCLAB_BRIDGE_ADDR:"* ]] || fail "$p: the task saw $peer, not $NCLAB_BRIDGE_ADDR"
	p=published-ingress:nclab-node$n
	expect_eq "$p verdict" "$(path_field "$TMP/two.json" "$p" verdict)" skipped
	[[ $(path_field "$TMP/two.json" "$p" detail) == *IPVS* ]] || fail "$p: the skip does not name IPVS"
	for k in task-to-task task-to-service-dns; do
		expect_eq "$k:nclab-node$n verdict" "$(path_field "$TMP/two.json" "$k:nclab-node$n" verdict)" reachable
	done
	# task-to-task reached node n's own task, at its overlay address
	addr=$(jq_py "$TMP/two.json" "d['swarm']['nodes'][$((n - 1))]['task']['address']")
	[[ $addr == 198.19.* ]] || fail "node $n's task address '$addr' is not on the lab's overlay pool"
	expect_eq "task-to-task:nclab-node$n target" "$(path_field "$TMP/two.json" "task-to-task:nclab-node$n" target)" "$addr:80"
done
expect_eq "nodes in the JSON" "$(jq_py "$TMP/two.json" "len(d['swarm']['nodes'])")" 2
expect_eq "paths per node" "$(jq_py "$TMP/two.json" "[len(n['paths']) for n in d['swarm']['nodes']]")" "[4, 4]"
expect_eq "roles" "$(jq_py "$TMP/two.json" "[n['role'] for n in d['swarm']['nodes']]")" "['manager', 'worker']"
expect_eq "image by id" "$(jq_py "$TMP/two.json" "d['swarm']['service']['image'][:7]")" "sha256:"
expect_eq "service removed" "$(jq_py "$TMP/two.json" "d['swarm']['removed']")" True
expect_eq "exit code in the JSON" "$(jq_py "$TMP/two.json" "d['exit_code']")" 0
check_schema "$TMP/two.json"
expect_eq "JUnit suites" "$(grep -c '<testsuite ' "$TMP/two.xml")" 2
nothing_left "after run 2"
swarm_lab_no_pulls "after run 2"
# the same image id on both nodes: one archive, loaded twice
id=$(jq_py "$TMP/two.json" "d['swarm']['service']['image']")
for n in 1 2; do
	dk "$n" image inspect "$id" >/dev/null || fail "node $n does not hold $id"
done

# ---- 3. --keep, and gc --kept ----------------------------------------------------------
"$NETCHECK" run --swarm -H "$M" -H "$W" --keep --json "$TMP/keep.json" >/dev/null 2>"$TMP/keep.err" ||
	fail "run --swarm --keep did not exit 0: $(cat "$TMP/keep.err")"
svc=$(jq_py "$TMP/keep.json" "d['swarm']['service']['name']")
[ -n "$(dk 1 service ls -q --filter "name=$svc")" ] || fail "--keep: service $svc is gone"
"$NETCHECK" gc -H "$M" >/dev/null 2>&1 || fail "gc failed"
[ -n "$(dk 1 service ls -q --filter "name=$svc")" ] || fail "plain gc removed the kept service $svc"
"$NETCHECK" gc --kept -H "$M" >"$TMP/gc.out" 2>&1 || fail "gc --kept failed: $(cat "$TMP/gc.out")"
nothing_left "after gc --kept"
# gc says what kind of thing it removed: the service and the network
grep -q "^removed service " "$TMP/gc.out" || fail "gc --kept did not name the service: $(cat "$TMP/gc.out")"
grep -q "^removed network " "$TMP/gc.out" || fail "gc --kept did not name the network: $(cat "$TMP/gc.out")"
# (a task's container, removed with it, may be listed too)
grep -q "^gc: removed [0-9]* containers\{0,1\} and 2 services or networks " "$TMP/gc.out" ||
	fail "gc --kept summary: $(cat "$TMP/gc.out")"

# ---- 4. bad input: one line each, the documented code, nothing left -------------------
bad() { # WANT_CODE WANT_TEXT ARGS...
	local want=$1 text=$2 rc
	shift 2
	set +e
	"$NETCHECK" run --swarm "$@" >/dev/null 2>"$TMP/bad.err"
	rc=$?
	set -e
	expect_eq "exit code of run --swarm $*" "$rc" "$want"
	expect_eq "stderr lines of run --swarm $*" "$(grep -c . "$TMP/bad.err")" 1
	grep -q -- "$text" "$TMP/bad.err" || fail "run --swarm $*: stderr lacks '$text': $(cat "$TMP/bad.err")"
}
bad 64 "is a swarm worker, not a manager" -H "$W"
bad 69 "" -H unix:///run/nclab/none.sock
bad 64 "is not in a swarm" -H "unix://$SOCK"
bad 64 "not a node of this swarm" -H "$M" -H "unix://$SOCK"
nothing_left "after the bad input"

# ---- 5. a node down ---------------------------------------------------------------------
bash "$LAB" stop-node 2
down_seen() { dk 1 node ls --format '{{.Hostname}} {{.Status}}' | grep -q '^nclab-node2 Down$'; }
deadline=$(($(now_ms) + 90000))
until down_seen; do
	[ "$(now_ms)" -lt "$deadline" ] || fail "the manager never saw node 2 down"
	sleep 1
done
set +e
"$NETCHECK" run --swarm -H "$M" --json "$TMP/down.json" >"$TMP/down.out" 2>&1
rc=$?
set -e
expect_eq "exit code with a node down" "$rc" 1
expect_eq "node 1 still probed" "$(path_field "$TMP/down.json" published-node:nclab-node1 verdict)" reachable
detail=$(path_field "$TMP/down.json" published-node:nclab-node2 detail)
[[ $detail == "not sent: node nclab-node2 is down" ]] || fail "node 2's path does not say it is down: $detail"
expect_eq "node 2's diagnosis, down" "$(jq_py "$TMP/down.json" "[p for p in d['paths'] if p['name'] == 'published-node:nclab-node2'][0]['diagnosis']['code']")" task-down
nothing_left "after the run with a node down"
swarm_lab_no_pulls "after run 5"

# ---- 6. two nodes with one hostname -------------------------------------------------------
t0=$(now_ms)
NCLAB_PREFER_OFFLINE=0 NCLAB_TWIN_HOSTNAME=1 swarm_lab_up 3
note "time lab up (3 nodes, two named $NCLAB_NODE3_HOSTNAME): $(($(now_ms) - t0)) ms"
expect_eq "the lab's twin hostnames" "$NCLAB_NODE2_HOSTNAME $NCLAB_NODE3_HOSTNAME" "nclab-node2 nclab-node2"
set +e
"$NETCHECK" run --swarm -H "$NCLAB_NODE1_HOST" -H "$NCLAB_NODE2_HOST" -H "$NCLAB_NODE3_HOST" \
	--json "$TMP/twin.json" --no-color >"$TMP/twin.out" 2>"$TMP/twin.err"
rc=$?
set -e
cat "$TMP/twin.out" >&2
[ "$rc" = 0 ] || { cat "$TMP/twin.err" >&2; fail "run --swarm over twin hostnames: exit $rc, want 0"; }
T=$TMP/twin.json
expect_eq "nodes in the JSON (twins)" "$(jq_py "$T" "len(d['swarm']['nodes'])")" 3
expect_eq "paths in the JSON (twins)" "$(jq_py "$T" "len(d['paths'])")" 12
expect_eq "paths per node (twins)" "$(jq_py "$T" "[len(n['paths']) for n in d['swarm']['nodes']]")" "[4, 4, 4]"
expect_eq "summary total (twins)" "$(jq_py "$T" "d['summary']['paths']")" 12
expect_eq "distinct node ids" "$(jq_py "$T" "len(set(n['id'] for n in d['swarm']['nodes']))")" 3
expect_eq "distinct node names" "$(jq_py "$T" "len(set(n['name'] for n in d['swarm']['nodes']))")" 3
expect_eq "distinct path names" "$(jq_py "$T" "len(set(p['name'] for p in d['paths']))")" 12
for i in 0 1 2; do
	name=$(jq_py "$T" "d['swarm']['nodes'][$i]['name']")
	id=$(jq_py "$T" "d['swarm']['nodes'][$i]['id']")
	hostname=$(jq_py "$T" "d['swarm']['nodes'][$i]['hostname']")
	case "$hostname" in
	nclab-node1) expect_eq "node $id's name" "$name" nclab-node1 ;;
	nclab-node2) expect_eq "node $id's name" "$name" "nclab-node2/${id:0:12}" ;;
	*) fail "unexpected hostname $hostname" ;;
	esac
	# the node's own paths (grouped by its id) are named after it
	expect_eq "node $name's paths' qualifiers" "$(jq_py "$T" "sorted(set(p['name'].split(':', 1)[1] for p in d['swarm']['nodes'][$i]['paths']))")" "['$name']"
	expect_eq "published-node:$name verdict" "$(path_field "$T" "published-node:$name" verdict)" reachable
	grep -q "^node $name (" "$TMP/twin.out" || fail "the text report has no line for node $name"
done
grep -q "^12 of 12 paths as expected" "$TMP/twin.out" || fail "the text summary does not count 12 of 12: $(tail -n 3 "$TMP/twin.out")"
nothing_left "after the run over twin hostnames"
swarm_lab_no_pulls "at the end"

echo "PASS swarm-run"
