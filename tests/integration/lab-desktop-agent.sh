#!/bin/bash
# The Docker-Desktop-like lab (tests/labs/desktop-lab.sh) through netcheck's capture
# agent: this host cannot see the lab's bridge, so `--capture-via auto` starts the
# responder binary as an agent in the lab's namespaces (host network and pids of the
# lab's dockerd), and the engine side's points come back over its attach stream.
# The six published paths must then be `proxy` from packets on both sides of the
# forwarder (never out-of-sight), the points ...@engine and eth0@container must have
# packets, the pcapng must name them in its interface descriptions, and the clock
# offset and its uncertainty must be in the JSON.  SIGINT while the agent captures
# leaves no container in the lab.
# Faults: an agent killed mid-run (the run held stopped while the lab's engine kills
# it) leaves its points incomplete and the run finishing; an engine whose authorization
# plugin refuses the agent (a real one, tests/labs/authz-refuse-agent.py) leaves the
# run with this host's capture and a line saying why.
. "$(dirname "$0")/lib.sh"
. "$NC_SRC/tests/labs/lib.sh" # pids_with_cmdline
need_root

LAB=$NC_SRC/tests/labs/desktop-lab.sh
for c in ip nsenter unshare dockerd socat tshark capinfos; do
	command -v $c >/dev/null || prerequisite_missing "$c is not installed (tests/setup.sh installs it)"
done
SOCK=$(bash "$LAB" env)
SOCK=${SOCK#unix://}

AUTHZ_PID=
lab_down() {
	local rc=$?
	# the plugin before the lab: the lab's engine, and its daemon.json, go with the lab
	[ -n "$AUTHZ_PID" ] && { kill "$AUTHZ_PID" 2>/dev/null || true; wait "$AUTHZ_PID" 2>/dev/null || true; }
	if [ "$rc" != 0 ]; then
		note "lab logs (rc $rc):"
		tail -n 15 /var/log/nc-vm/dockerd.log /var/log/nc-vm/forwarder.log "$TMP/authz.count.log" >&2 2>/dev/null || true
	fi
	timeout 120 bash "$LAB" down 2>/dev/null || note "lab down failed"
	rm -rf "$TMP"
	exit "$rc"
}
trap lab_down EXIT

timeout 150 bash "$LAB" up || fail "the desktop lab did not come up"
before=$(labelled_containers)

# one run through the agent (auto: the lab's bridge is not attached here), one without
rc=0
t0=$(date +%s%N)
"$NETCHECK" run --engine "unix://$SOCK" --json "$TMP/agent.json" --pcap "$TMP/agent.pcapng" --no-color -v \
	>"$TMP/out.txt" 2>"$TMP/err.txt" || rc=$?
t_agent=$((($(date +%s%N) - t0) / 1000000))
[ "$rc" = 0 ] || { cat "$TMP/out.txt" "$TMP/err.txt" >&2; fail "exit code $rc through the agent"; }
t0=$(date +%s%N)
"$NETCHECK" run --engine "unix://$SOCK" --capture-via host --json "$TMP/host.json" --no-color >/dev/null 2>&1 ||
	fail "the run without the agent failed"
t_host=$((($(date +%s%N) - t0) / 1000000))
note "run through the agent: $t_agent ms; without: $t_host ms; $(grep -o 'capture agent[^…]*' "$TMP/err.txt")"
R=$TMP/agent.json
check_schema "$R"
check_schema "$TMP/host.json"

expect_eq "agent used" "$(json_get "$R" 'd["environment"]["capture_agent"]["used"]')" True
expect_eq "agent note" "$(json_get "$R" 'd["environment"]["capture_agent"]["note"]')" ""
unc=$(json_get "$R" 'd["environment"]["capture_agent"]["clock_uncertainty_ns"]')
off=$(json_get "$R" 'd["environment"]["capture_agent"]["clock_offset_ns"]')
[[ $unc =~ ^[0-9]+$ ]] || fail "clock uncertainty '$unc' is not a number"
note "agent clock offset $off ns, uncertainty $unc ns"

# every point says where it is; the agent's are named so and have packets
for point in 'docker0@engine' 'eth0@container'; do
	n=$(json_get "$R" "sum(c['packets'] for c in d['environment']['capture_points'] if c['name'] == '$point')")
	[ "$n" -gt 0 ] || fail "no packets at $point"
done
expect_eq "a veth@engine point with packets" \
	"$(json_get "$R" "any(c['name'].startswith('veth') and c['name'].endswith('@engine') and c['packets'] > 0 and c['where'] == 'engine' for c in d['environment']['capture_points'])")" True
expect_eq "eth0@container is in the container" \
	"$(json_get "$R" "[c['where'] for c in d['environment']['capture_points'] if c['name'] == 'eth0@container']")" "['container']"
expect_eq "lo is on this host" \
	"$(json_get "$R" "[c['where'] for c in d['environment']['capture_points'] if c['name'] == 'lo']")" "['host']"

# the six published paths: no longer out-of-sight, the engine side in their evidence
n_pub=0
for path in published-loopback published-loopback6 published-host published-loopback-udp published-host-udp published-remote; do
	[ "$(json_get "$R" "'$path' in p")" = True ] || { note "no $path path"; continue; }
	n_pub=$((n_pub + 1))
	expect_eq "$path verdict" "$(json_get "$R" "p['$path']['verdict']")" reachable
	expect_eq "$path mechanism" "$(json_get "$R" "p['$path']['mechanism']")" proxy
	expect_eq "$path hops at docker0@engine" \
		"$(json_get "$R" "any(h['capture_point'] == 'docker0@engine' for h in p['$path']['evidence'])")" True
	expect_eq "$path without the agent" "$(json_get "$TMP/host.json" "p['$path']['mechanism']")" out-of-sight
done
[ "$n_pub" -ge 5 ] || fail "only $n_pub published paths"
# container-to-host as Desktop gives it (lab-desktop.sh asserts the details): the lab's name
# server's address for host.docker.internal, carried to this host's loopback by the forwarder
expect_eq "container-to-host" \
	"$(json_get "$R" "(lambda c: '%s %s %s %s' % (c['verdict'], c['resolved']['address'], c['arrival']['via'], c['arrival']['interface']))(p['container-to-host'])")" \
	"reachable 10.250.250.254 forwarder lo"

# the pcapng: one interface per point, its description naming it, packets on the engine's
idbs=$(capinfos "$TMP/agent.pcapng" 2>/dev/null) || fail "capinfos cannot read the pcapng"
for point in 'docker0@engine' 'eth0@container'; do
	if_id=$(awk -v want="$point" '/^Interface #[0-9]+ info:/ { n = $2; gsub(/[#:]/, "", n) }
		/Description = / && index($0, want) { print n; exit }' <<<"$idbs")
	[ -n "$if_id" ] || fail "no interface described as $point in the pcapng"
	n=$(tshark -r "$TMP/agent.pcapng" -Y "frame.interface_id == $if_id && tcp.port == 80" -T fields -e frame.number 2>/dev/null | wc -l)
	[ "$n" -gt 0 ] || fail "no TCP packets on $point (#$if_id) in the pcapng"
	note "pcapng: $n packets to or from port 80 on $point"
done
expect_eq "labelled containers left in the lab" "$(labelled_containers)" "$before"

# netcheck capture CONTAINER the same way: the agent's points in the streamed file
expect_capture_through_agent "unix://$SOCK" docker0@engine
"$NETCHECK" gc --engine "unix://$SOCK" --kept >/dev/null 2>&1 || fail "gc --kept failed"
expect_eq "labelled containers left after capture and gc" "$(labelled_containers)" "$before"

# SIGINT while the agent captures: nothing of the run is left in the lab
interrupt_while_agent_captures --engine "unix://$SOCK"
expect_eq "labelled containers left after SIGINT" "$(labelled_containers)" "$before"

# the agent killed mid-run: the run is held (stopped) once the agent's points are open,
# the lab's engine kills the agent's container, the run goes on
agent_id() { # the agent's container in the lab, found by the run's label and its name
	api GET '/containers/json?filters=%7B%22label%22%3A%5B%22io.netcheck.run%22%5D%7D' |
		$PY -c 'import json,sys; print(" ".join(c["Id"] for c in json.load(sys.stdin) if any(n.endswith("-agent") for n in c["Names"])))'
}
"$NETCHECK" run --engine "unix://$SOCK" --json "$TMP/killed.json" --no-color -v >"$TMP/killed.txt" 2>"$TMP/killed.err" &
pid=$!
for _ in $(seq 1 1000); do
	grep -q "capture agent on the engine's side: " "$TMP/killed.err" && break
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.005
done
kill -STOP "$pid" 2>/dev/null || fail "the run ended before its agent was ready"
grep -q "capture agent on the engine's side: [1-9]" "$TMP/killed.err" ||
	{ kill -CONT "$pid"; cat "$TMP/killed.err" >&2; fail "the agent opened no points"; }
id=$(agent_id)
[ -n "$id" ] || { kill -CONT "$pid"; fail "no agent container while the run is held"; }
api POST "/containers/$id/kill" >/dev/null
for _ in $(seq 1 100); do
	[ -z "$(agent_id)" ] && break
	sleep 0.05
done
kill -CONT "$pid"
rc=0
wait "$pid" || rc=$?
[ "$rc" = 0 ] || [ "$rc" = 1 ] || { cat "$TMP/killed.err" >&2; fail "exit code $rc after the agent was killed"; }
R=$TMP/killed.json
check_schema "$R"
expect_eq "killed agent: used" "$(json_get "$R" 'd["environment"]["capture_agent"]["used"]')" True
json_get "$R" 'd["environment"]["capture_agent"]["note"]' | grep -q "stopped before the run did" ||
	fail "killed agent: note '$(json_get "$R" 'd["environment"]["capture_agent"]["note"]')'"
expect_eq "killed agent: its points incomplete" \
	"$(json_get "$R" "sorted(set(c.get('incomplete', False) for c in d['environment']['capture_points'] if c['where'] != 'host'))")" "[True]"
expect_eq "killed agent: this host's points complete" \
	"$(json_get "$R" "any(c.get('incomplete', False) for c in d['environment']['capture_points'] if c['where'] == 'host')")" False
expect_eq "labelled containers left after the agent was killed" "$(labelled_containers)" "$before"
note "killed agent: exit $rc; $(json_get "$R" 'd["environment"]["capture_agent"]["note"]')"

# an engine that refuses the agent: a real authorization plugin in the lab's engine, in its
# mount namespace (the lab's own /run/docker/plugins), switched on by a reload of daemon.json
dpid=$(pids_with_cmdline "dockerd --config-file /run/nc-vm/daemon.json" | while read -r p; do
	[ "$(cat /proc/$p/comm 2>/dev/null)" = dockerd ] && echo "$p"; done | head -n 1)
[ -n "$dpid" ] || fail "the lab's dockerd is not found"
asked() { cat "$TMP/authz.count" 2>/dev/null || echo 0; } # requests the plugin was asked about
nsenter -m -t "$dpid" $PY "$NC_SRC/tests/labs/authz-refuse-agent.py" /run/docker/plugins/nc-refuse-agent.sock \
	"$TMP/authz.count" 120 &
AUTHZ_PID=$!
for _ in $(seq 1 100); do
	nsenter -m -t "$dpid" test -S /run/docker/plugins/nc-refuse-agent.sock && break
	sleep 0.05
done
echo '{"authorization-plugins": ["nc-refuse-agent"]}' >/run/nc-vm/daemon.json
kill -HUP "$dpid"
for _ in $(seq 1 100); do
	api GET /version >/dev/null
	[ "$(asked)" -gt 0 ] && break
	sleep 0.05
done
[ "$(asked)" -gt 0 ] || fail "the lab's engine does not ask the authorization plugin"
rc=0
"$NETCHECK" run --engine "unix://$SOCK" --json "$TMP/refused.json" --no-color >"$TMP/refused.txt" 2>"$TMP/refused.err" || rc=$?
echo '{}' >/run/nc-vm/daemon.json
kill -HUP "$dpid"
for _ in $(seq 1 100); do
	n=$(asked)
	api GET /version >/dev/null
	[ "$(asked)" = "$n" ] && break
	sleep 0.05
done
api GET /version >/dev/null
expect_eq "the plugin asked after it is switched off" "$(asked)" "$n"
kill "$AUTHZ_PID" 2>/dev/null || true
wait "$AUTHZ_PID" 2>/dev/null || true
AUTHZ_PID=
R=$TMP/refused.json
check_schema "$R"
# as the run without the agent: that one exits 0 (above)
expect_eq "refused agent: exit" "$rc" 0
expect_eq "refused agent: used" "$(json_get "$R" 'd["environment"]["capture_agent"]["used"]')" False
refusal="authorization denied by plugin nc-refuse-agent: netcheck's capture agent is not allowed here"
json_get "$R" 'd["environment"]["capture_agent"]["note"]' | grep -qF "$refusal" ||
	fail "refused agent: note '$(json_get "$R" 'd["environment"]["capture_agent"]["note"]')' does not quote the engine"
expect_eq "refused agent: no point on the engine's side" \
	"$(json_get "$R" "[c['name'] for c in d['environment']['capture_points'] if c['where'] != 'host']")" "[]"
n=$(json_get "$R" "sum(c['packets'] for c in d['environment']['capture_points'] if c['name'] == 'lo')")
[ "$n" -gt 0 ] || fail "refused agent: no packets at lo"
# its one paragraph (wrapped at COLUMNS: the lines after the first are indented), joined
line=$(awk '/^capture agent: / { n++; p = $0; on = 1; next }
	on && /^  +[^ ]/ { sub(/^ +/, ""); p = p " " $0; next } { on = 0 } END { if (n == 1) print p }' "$TMP/refused.txt")
[ -n "$line" ] || { cat "$TMP/refused.txt" >&2; fail "refused agent: not one 'capture agent:' line in the text report"; }
[[ $line == *"not used: "*"$refusal"*"this host's capture only"* ]] || fail "refused agent: line '$line'"
expect_eq "labelled containers left after the refused agent" "$(labelled_containers)" "$before"
note "refused agent: $line"

echo "PASS lab-desktop-agent"
