#!/bin/bash
# `netcheck run --swarm` with a capture agent on every node, on the Swarm lab
# (tests/labs/swarm-lab.sh, 2 nodes, each a dockerd in namespaces of its own, with
# NCLAB_PREFER_OFFLINE=0: a node that wanted a registry would try a pull):
#   1. both engines: each node's agent, started through that node's engine from the
#      image netcheck loaded there, captures task to task on both nodes -- the
#      overlay's outer VXLAN packets on each node's uplink (eth0@<node>, the nodes'
#      addresses, UDP 4789), the inner ones on the overlay's VXLAN device
#      (vxlan0@<node>, in the overlay's own namespace) and on the task's interface
#      (eth0@task.<node>); every point has its node's id; both task-to-task paths
#      are "overlay"; the pcapng has one interface per point; no node pulled;
#   2. nothing left on any node: no agent container the moment the run ends, and no
#      service, network or container of netcheck's a few seconds later;
#   3. the time agents add: --capture-via host against the default, 3 runs each;
#   4. SIGINT, SIGTERM while the agents start: exit 130, 143, nothing left on either node;
#   5. a run stopped with the agents up and killed (SIGKILL): its agents stay,
#      `netcheck gc` through each node's engine removes them (and the manager's
#      gc the service and network).
[ "${CI:-}" = true ] && export NC_CI=1 # CI: a missing prerequisite fails, never skips
. "$(dirname "$0")/lib.sh"
need_root

LAB=$SWARM_LAB
DOCKER=/usr/bin/docker
swarm_lab_prerequisites ip nsenter unshare dockerd "$DOCKER" iptables python3

agents_on() { # NODE: netcheck's capture agent containers on that node, running or not
	dk "$1" ps -aq --filter label=io.netcheck.run --filter name=-agent | wc -l
}
# nothing of netcheck's on the swarm: no agent at once; service, network and the
# tasks' containers within a few seconds (a node removes a task's container and its
# copy of the overlay shortly after the manager removed them)
nothing_left() { # WHEN
	local n left deadline=$(($(now_ms) + 20000))
	for n in 1 2; do
		expect_eq "$1: agent containers on node $n" "$(agents_on "$n")" 0
	done
	while :; do
		left="$(dk 1 service ls -q --filter label=io.netcheck.run)$(dk 1 network ls -q --filter label=io.netcheck.run)"
		for n in 1 2; do
			left="$left$(dk "$n" ps -aq --filter label=io.netcheck.run)"
		done
		[ -z "$left" ] && return 0
		[ "$(now_ms)" -lt "$deadline" ] || fail "$1: left on the swarm: $left"
		sleep 0.5
	done
}

t0=$(now_ms)
NCLAB_PREFER_OFFLINE=0 swarm_lab_up 2
note "time lab up (2 nodes): $(($(now_ms) - t0)) ms"
M=$NCLAB_NODE1_HOST
W=$NCLAB_NODE2_HOST

# ---- 1. task to task on both nodes, outer and inner ----------------------------------
t0=$(now_ms)
"$NETCHECK" run --swarm -H "$M" -H "$W" -v --json "$TMP/run.json" --pcap "$TMP/run.pcapng" \
	>"$TMP/run.out" 2>"$TMP/run.err" ||
	{ cat "$TMP/run.out" "$TMP/run.err" >&2; fail "run --swarm with agents did not exit 0"; }
note "time run --swarm with agents (first, image loaded now): $(($(now_ms) - t0)) ms"
cat "$TMP/run.out" >&2
grep 'capture agent' "$TMP/run.err" >&2 || true
J=$TMP/run.json
check_schema "$J"
expect_eq "agent used" "$(jq_py "$J" "d['environment']['capture_agent']['used']")" True
expect_eq "agent note" "$(jq_py "$J" "d['environment']['capture_agent']['note']")" ""
python3 - "$J" "$NCLAB_NODE1_ADDR" "$NCLAB_NODE2_ADDR" <<'EOF' || fail "task to task was not seen on both nodes (above)"
import json, sys
d = json.load(open(sys.argv[1]))
node_addr = {'nclab-node1': sys.argv[2], 'nclab-node2': sys.argv[3]}
nodes = {n['name']: n for n in d['swarm']['nodes']}
points = {p['name']: p for p in d['environment']['capture_points']}
bad = []
for name, n in nodes.items():
    task = n['task']['address']
    for pt in ('eth0@' + name, 'vxlan0@' + name, 'eth0@task.' + name):
        p = points.get(pt)
        if p is None:
            bad.append('no capture point ' + pt)
            continue
        if p.get('node') != n['id']:
            bad.append('%s: node %r, not %s' % (pt, p.get('node'), n['id']))
        if p.get('where') != ('container' if '@task.' in pt else 'engine'):
            bad.append('%s: where %r' % (pt, p.get('where')))
        if p['packets'] == 0:
            bad.append(pt + ': no packets')
paths = {p['name']: p for p in d['paths']}
for name, n in nodes.items():
    other = [m for m in nodes if m != name][0]
    p = paths['task-to-task:' + name]
    task = n['task']['address']
    if p['verdict'] != 'reachable' or p['mechanism'] != 'overlay':
        bad.append('%s: %s %s, want reachable overlay' % (p['name'], p['verdict'], p['mechanism']))
    hops = {h['capture_point']: h for h in p['evidence']}
    # outer on both uplinks: between the two nodes' addresses, to VXLAN's port
    for up in ('eth0@' + name, 'eth0@' + other):
        h = hops.get(up)
        if h is None or 'outer' not in h:
            bad.append('%s: no outer hop on %s' % (p['name'], up))
            continue
        o = h['outer']
        if o['encapsulation'] != 'vxlan' or not o['dst'].endswith(':4789') or \
           {o['src'].rsplit(':', 1)[0], o['dst'].rsplit(':', 1)[0]} != {node_addr[name], node_addr[other]}:
            bad.append('%s: outer on %s is %r' % (p['name'], up, o))
        if h['dst'] != task + ':80':
            bad.append('%s: inner dst on %s is %s, not the task %s' % (p['name'], up, h['dst'], task))
    # inner, decapsulated, on both nodes: the VXLAN device and the task's interface
    for inner in ('vxlan0@' + name, 'eth0@task.' + name, 'vxlan0@' + other, 'eth0@task.' + other):
        h = hops.get(inner)
        if h is None or 'outer' in h or h['dst'] != task + ':80':
            bad.append('%s: inner hop on %s is %r' % (p['name'], inner, h))
for b in bad:
    print('swarm-agent:', b, file=sys.stderr)
sys.exit(1 if bad else 0)
EOF
grep -q "in vxlan $NCLAB_NODE2_ADDR.$NCLAB_NODE1_ADDR vni " "$TMP/run.out" ||
	fail "the text report does not show the outer packets from node 2 to node 1"
# the capture file: an interface per point, named as in the report
python3 - "$TMP/run.pcapng" <<'EOF' || fail "the pcapng lacks the nodes' interfaces"
import struct, sys
b = open(sys.argv[1], 'rb').read()
names, at = [], 0
while at + 12 <= len(b):
    kind, length = struct.unpack_from('<II', b, at)
    if kind == 1:  # IDB: options after 8 bytes of fields
        o = at + 16
        while o + 4 <= at + length - 4:
            code, olen = struct.unpack_from('<HH', b, o)
            if code == 0:
                break
            if code == 2:
                names.append(b[o + 4:o + 4 + olen].decode())
            o += 4 + ((olen + 3) & ~3)
    at += length
want = {'eth0@nclab-node1', 'vxlan0@nclab-node1', 'eth0@task.nclab-node1',
        'eth0@nclab-node2', 'vxlan0@nclab-node2', 'eth0@task.nclab-node2'}
missing = want - set(names)
print('pcapng interfaces:', names, file=sys.stderr)
sys.exit(1 if missing else 0)
EOF
nothing_left "after run 1"
swarm_lab_no_pulls "after run 1"

# ---- 3. the time agents add ----------------------------------------------------------
timed() { # LABEL ARGS...: 3 runs, prints the median wall time in ms
	local label=$1 i t ts=()
	shift
	for i in 1 2 3; do
		t=$(now_ms)
		"$NETCHECK" run --swarm -H "$M" -H "$W" -v "$@" >/dev/null 2>"$TMP/timed.err" ||
			fail "$label run $i failed: $(cat "$TMP/timed.err")"
		ts+=($(($(now_ms) - t)))
	done
	note "time run --swarm $label: ${ts[*]} ms"
	printf '%s\n' "${ts[@]}" | sort -n | sed -n 2p
}
host_ms=$(timed "--capture-via host" --capture-via host)
agent_ms=$(timed "with agents")
note "median run --swarm: --capture-via host $host_ms ms, with agents $agent_ms ms: agents add $((agent_ms - host_ms)) ms"
grep -o 'capture agent on [a-z0-9-]*: [0-9]* of [0-9]* points in [0-9]* ms' "$TMP/timed.err" >&2 || true
nothing_left "after the timed runs"

# ---- 4. SIGINT and SIGTERM while the agents start ------------------------------------
# (job control on: a background job of a script would ignore SIGINT otherwise)
set -m
# at once (both must see the signal), then later, into the probes and teardown (the run
# may have ended first: exit 0 then), alternating SIGINT and SIGTERM
for try in INT:0 TERM:0 INT:0.1 TERM:0.25 INT:0.5 TERM:0.8; do
	sig=${try%%:*} delay=${try#*:}
	want=$([ "$sig" = INT ] && echo 130 || echo 143)
	"$NETCHECK" run --swarm -H "$M" -H "$W" -v >"$TMP/sig.out" 2>"$TMP/sig.err" & # -v: progress lines
	pid=$!
	deadline=$(($(now_ms) + 60000))
	until grep -q "opening the capture points" "$TMP/sig.err"; do
		kill -0 "$pid" 2>/dev/null || break
		[ "$(now_ms)" -lt "$deadline" ] || { kill -KILL "$pid"; fail "the run never opened its capture points"; }
		sleep 0.02
	done
	sleep "$delay"
	kill -s "$sig" "$pid" 2>/dev/null || true
	set +e
	wait "$pid"
	rc=$?
	set -e
	note "SIG$sig ${delay}s after the capture points opened: exit $rc; $(grep -o 'capture agent on [a-z0-9-]*: [0-9]* of [0-9]*' "$TMP/sig.err" | tr '\n' ';')"
	if [ "$delay" = 0 ]; then
		expect_eq "exit code after SIG$sig" "$rc" "$want"
	else
		case "$rc" in 0 | "$want") ;; *) fail "SIG$sig ${delay}s after the capture points opened: exit $rc" ;; esac
	fi
	nothing_left "after SIG$sig ${delay}s after the capture points opened"
done
set +m

# ---- 5. killed with its agents up: gc through each node's engine ---------------------
"$NETCHECK" run --swarm -H "$M" -H "$W" -v >"$TMP/kill.out" 2>"$TMP/kill.err" &
pid=$!
deadline=$(($(now_ms) + 60000))
until grep -q "capture agent on nclab-node2" "$TMP/kill.err"; do
	kill -0 "$pid" 2>/dev/null || fail "the run ended before its agents were up: $(cat "$TMP/kill.err")"
	[ "$(now_ms)" -lt "$deadline" ] || { kill -KILL "$pid"; fail "the agents never came up"; }
	sleep 0.01
done
kill -STOP "$pid" # the agents are up and stay: their owner is stopped, then gone
for n in 1 2; do
	expect_eq "agents on node $n while the run is stopped" "$(agents_on "$n")" 1
done
kill -KILL "$pid"
wait "$pid" 2>/dev/null || true
for n in 1 2; do
	expect_eq "agents on node $n after SIGKILL" "$(agents_on "$n")" 1
done
"$NETCHECK" gc -H "$W" >"$TMP/gc2.out" 2>&1 || fail "gc -H node 2 failed: $(cat "$TMP/gc2.out")"
grep -q "^gc: removed [1-9][0-9]* container" "$TMP/gc2.out" || fail "gc on node 2: $(cat "$TMP/gc2.out")"
expect_eq "agents on node 2 after its gc" "$(agents_on 2)" 0
"$NETCHECK" gc -H "$M" >"$TMP/gc1.out" 2>&1 || fail "gc -H node 1 failed: $(cat "$TMP/gc1.out")"
cat "$TMP/gc1.out" "$TMP/gc2.out" >&2
nothing_left "after gc on both nodes"
swarm_lab_no_pulls "at the end"

echo "PASS swarm-agent"
