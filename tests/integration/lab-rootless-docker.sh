#!/bin/bash
# netcheck against a rootless Docker engine on this host (tests/labs/rootless-docker.sh).
# What a user must see: environment rootless-docker; the direct paths not sent
# (unroutable: the engine's 172.17.0.0/16 is in rootlesskit's namespace, and
# the same addresses here are the host's docker0); the published port
# reachable through rootlesskit; exit 0; nothing through the default-route
# interface.  When the host's dockerd answers, a host container is kept on
# docker0 at the colliding addresses, and a capture on docker0 proves that
# the rootless run did not touch it.
# The engine side through the capture agent (`--capture-via auto`): docker0
# and the veth in rootlesskit's namespace (where: engine) and eth0 in the
# container have packets, the published paths are `proxy` from packets on
# both sides of rootlesskit; an `--image` run loads the responder image for
# its agent; `netcheck capture` writes the agent's points; SIGINT while the
# agent captures leaves no container; after
# `down` no user, group, subordinate ids or process of the lab is left.
. "$(dirname "$0")/lib.sh"
need_root
LAB=$NC_SRC/tests/labs/rootless-docker.sh
command -v tshark >/dev/null && command -v dumpcap >/dev/null ||
	prerequisite_missing "tshark/dumpcap (Debian package tshark)"
for t in rootlesskit slirp4netns newuidmap; do
	command -v "$t" >/dev/null || prerequisite_missing "$t (Debian packages rootlesskit slirp4netns uidmap)"
done

HOST_SOCK=$SOCK # lib.sh's: the host's dockerd
host_cid=
dumpcap_pid=
cleanup() {
	local st=$? t
	[ -z "$dumpcap_pid" ] || kill "$dumpcap_pid" 2>/dev/null || true
	# the host's engine (SOCK is the rootless one's from the --image run on)
	if [ -n "$host_cid" ]; then
		SOCK=$HOST_SOCK api DELETE "/containers/$host_cid?force=1" -o /dev/null || true
		if [ "$(SOCK=$HOST_SOCK api GET "/containers/$host_cid/json" -o /dev/null -w '%{http_code}')" != 404 ]; then
			printf 'FAIL: the host container %s is left on the host engine\n' "${host_cid:0:12}" >&2
			[ "$st" = 0 ] && st=1
		fi
	fi
	t=$(date +%s%3N)
	# the lab's own teardown is under test too: a failed down fails the test
	if bash "$LAB" down 2>"$TMP/lab-down.err"; then
		note "lab down in $(($(date +%s%3N) - t)) ms"
		if [ -e "${RSOCK:-/nonexistent}" ]; then
			printf 'FAIL: %s still exists after lab down\n' "$RSOCK" >&2
			[ "$st" = 0 ] && st=1
		fi
	else
		cat "$TMP/lab-down.err" >&2
		printf 'FAIL: lab down failed\n' >&2
		[ "$st" = 0 ] && st=1
	fi
	# nothing of the lab stays on the machine: user, group, subordinate ids, processes
	if left=$(lab_user_left nc-rootless "${lab_uid:-}"); then
		printf 'FAIL: %s left after lab down\n' "$left" >&2
		[ "$st" = 0 ] && st=1
	fi
	rm -rf "$TMP"
	exit "$st"
}
trap cleanup EXIT

t0=$(date +%s%3N)
rc=0
bash "$LAB" up >"$TMP/lab-up.out" 2>"$TMP/lab-up.err" || rc=$?
[ "$rc" = 77 ] && prerequisite_missing "rootless lab: $(tail -n 1 "$TMP/lab-up.err")"
[ "$rc" = 0 ] || { cat "$TMP/lab-up.err" >&2; fail "lab up: exit $rc"; }
note "lab up in $(($(date +%s%3N) - t0)) ms"
ENGINE=$(bash "$LAB" env)
expect_eq "lab url from up vs env" "$(tail -n 1 "$TMP/lab-up.out")" "$ENGINE"
RSOCK=${ENGINE#unix://}
lab_uid=$(stat -c %u "$RSOCK")

# A host container on docker0, at the addresses the rootless engine also uses.
if curl -sf --max-time 3 --unix-socket "$SOCK" http://localhost/_ping >/dev/null 2>&1; then
	rc=0
	t=$(date +%s%3N)
	"$NETCHECK" run --no-capture --keep --json "$TMP/host.json" >"$TMP/host.out" 2>&1 || rc=$?
	host_cid=$(json_get "$TMP/host.json" 'd["container"]["id"]' 2>/dev/null || true)
	[ "$rc" = 0 ] || { cat "$TMP/host.out" >&2; fail "host run --keep: exit $rc"; }
	host_ip=$(json_get "$TMP/host.json" 'd["container"]["ip"]')
	host_bridge=$(json_get "$TMP/host.json" 'd["environment"]["bridge"]')
	note "host container ${host_cid:0:12} at $host_ip on $host_bridge (run --keep took $(($(date +%s%3N) - t)) ms)"
	# our own witness on the host's bridge, bounded
	timeout 120 dumpcap -q -i "$host_bridge" -f "net 172.17.0.0/16" -w "$TMP/bridge.pcapng" 2>"$TMP/dumpcap.err" &
	dumpcap_pid=$!
	for _ in $(seq 1 50); do [ -s "$TMP/bridge.pcapng" ] && break; sleep 0.1; done
	[ -s "$TMP/bridge.pcapng" ] || fail "dumpcap did not start on $host_bridge: $(cat "$TMP/dumpcap.err")"
	# control: the witness sees traffic to the host container (a container of this host)
	curl -s --max-time 3 -o /dev/null "http://$host_ip:$(json_get "$TMP/host.json" 'd["container"]["port"]')/" || true
	sleep 0.3
elif [ "${NC_CI:-0}" = 1 ]; then
	fail "prerequisite missing in CI: the host's dockerd at $SOCK (for the colliding host container)"
else
	note "no engine at $SOCK: the colliding host container is not tried"
fi

# The run under test: root's netcheck, the rootless engine's socket.
J=$TMP/r.json
rc=0
run_start=$(date +%s.%N)
run_t0=$(date +%s%3N)
"$NETCHECK" run --engine "$ENGINE" --require-capture --json "$J" --pcap "$TMP/r.pcapng" -v \
	>"$TMP/out.txt" 2>"$TMP/err.txt" || rc=$?
note "rootless netcheck run took $(($(date +%s%3N) - run_t0)) ms"
cat "$TMP/out.txt"
if [ -n "$dumpcap_pid" ]; then
	kill -INT "$dumpcap_pid" 2>/dev/null || true
	for _ in $(seq 1 50); do kill -0 "$dumpcap_pid" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$dumpcap_pid" 2>/dev/null || true
	dumpcap_pid=
fi
[ -s "$J" ] || { cat "$TMP/err.txt" >&2; fail "no JSON report (exit $rc)"; }
check_schema "$J"

# what the user must see
expect_eq environment "$(json_get "$J" 'd["environment"]["kind"]')" rootless-docker
expect_eq rootless "$(json_get "$J" 'd["environment"]["rootless"]')" True
expect_eq "bridge attached" "$(json_get "$J" 'd["environment"]["bridge_attached"]')" False
cip=$(json_get "$J" 'd["container"]["ip"]')
note "rootless container at $cip; host route: $(ip -o route get "$cip" 2>&1 | head -n 1)"
for path in direct-icmp direct-tcp; do
	expect_eq "$path verdict" "$(json_get "$J" "p['$path']['verdict']")" unroutable
	expect_eq "$path mechanism" "$(json_get "$J" "p['$path']['mechanism']")" none
	expect_eq "$path not sent: no packets" "$(json_get "$J" "len(p['$path']['packets']) + len(p['$path']['evidence'])")" 0
	expect_eq "$path no peer" "$(json_get "$J" "p['$path']['peer_seen']")" None
	json_get "$J" "p['$path']['detail']" | grep -q "not sent" ||
		fail "$path detail does not say 'not sent': $(json_get "$J" "p['$path']['detail']")"
done
expect_eq "no path direct" "$(json_get "$J" 'sum(1 for x in d["paths"] if x["mechanism"]=="direct")')" 0
expect_eq "published-loopback verdict" "$(json_get "$J" 'p["published-loopback"]["verdict"]')" reachable
# the engine side, through the agent: rootlesskit's namespace and the container
expect_eq "agent used" "$(json_get "$J" 'd["environment"]["capture_agent"]["used"]')" True
note "agent: $(json_get "$J" 'd["environment"]["capture_agent"]')"
[[ $(json_get "$J" 'd["environment"]["capture_agent"]["clock_uncertainty_ns"]') =~ ^[0-9]+$ ]] ||
	fail "no clock uncertainty for the agent"
expect_point "$J" docker0@engine engine
expect_eq "a veth@engine point with packets" \
	"$(json_get "$J" "any(c['name'].startswith('veth') and c['name'].endswith('@engine') and c['packets'] > 0 and c['where'] == 'engine' for c in d['environment']['capture_points'])")" True
expect_point "$J" eth0@container container
expect_both_sides "$J" docker0@engine
grep -q "^capture agent: on the engine's side, 3 points" "$TMP/out.txt" || fail "text report: no capture agent line"
# builtin port driver: rootlesskit's parent process, in the host's namespace, listens on the port
expect_eq "published-loopback forwarder" "$(json_get "$J" 'p["published-loopback"]["forwarder"]["name"]')" rootlesskit
fwd_pid=$(json_get "$J" 'p["published-loopback"]["forwarder"]["pid"]')
[ "$fwd_pid" -gt 0 ] 2>/dev/null || fail "forwarder pid '$fwd_pid'"
expect_eq "forwarder $fwd_pid is the lab's rootlesskit" "$(cat "/proc/$fwd_pid/comm" 2>/dev/null):$(stat -c %u "/proc/$fwd_pid" 2>/dev/null)" "rootlesskit:$lab_uid"
expect_eq "exit code" "$rc" 0
expect_eq "exit_code in JSON" "$(json_get "$J" 'd["exit_code"]')" 0
expect_eq "all expected" "$(json_get "$J" 'all(x["expected"] for x in d["paths"])')" True
expect_eq "container removed" "$(json_get "$J" 'd["container"]["removed"]')" True
left=$(curl -s --max-time 20 --unix-socket "$RSOCK" \
	'http://localhost/v1.41/containers/json?all=1&filters=%7B%22label%22%3A%5B%22io.netcheck.run%22%5D%7D' |
	$PY -c 'import json,sys; print(len(json.load(sys.stdin)))')
expect_eq "labelled containers left on the rootless engine" "$left" 0

# nothing through the default-route interface: no hop there, and no frame in
# the pcapng on the interface netcheck describes as the default route
host_if=$(json_get "$J" 'd["environment"]["host_interface"]')
expect_eq "hops on $host_if" "$(json_get "$J" "sum(1 for x in d['paths'] for h in x['evidence'] if h['capture_point']=='$host_if')")" 0
tshark -r "$TMP/r.pcapng" -T fields -e frame.interface_description >"$TMP/frames.txt" 2>"$TMP/tshark.err" ||
	fail "tshark cannot read the pcapng: $(cat "$TMP/tshark.err")"
capinfos -M "$TMP/r.pcapng" | grep -q "Description = default-route interface" ||
	fail "the pcapng has no default-route interface: was it captured?"
expect_eq "frames on the default-route interface" "$(grep -c '^default-route interface' "$TMP/frames.txt" || true)" 0
[ "$(grep -c '^loopback' "$TMP/frames.txt" || true)" -gt 0 ] || fail "no frames on loopback in the pcapng"

# the colliding host container was not reached
if [ -n "${host_ip:-}" ]; then
	n=$(tshark -r "$TMP/bridge.pcapng" -Y "ip.addr==$host_ip && frame.time_epoch < $run_start" 2>/dev/null | wc -l)
	[ "$n" -gt 0 ] || fail "the witness on $host_bridge saw no control packets to $host_ip"
	n=$(tshark -r "$TMP/bridge.pcapng" -Y "ip.addr==$host_ip && frame.time_epoch >= $run_start" 2>/dev/null | wc -l)
	expect_eq "packets to/from the host container $host_ip on $host_bridge during the rootless run" "$n" 0
	[ "$host_ip" = "$cip" ] || note "host container at $host_ip, rootless at $cip: same network, not the same address"
fi

grep -q 'direct-tcp .*unroutable' "$TMP/out.txt" || fail "text report: direct-tcp not unroutable"
grep -q 'published-loopback .*reachable .*rootlesskit\[' "$TMP/out.txt" || fail "text report lacks rootlesskit as forwarder"

# --image: a user's image, and no responder image in the engine; the agent needs
# it, so the run loads it.  The "user image" is the responder under another name.
SOCK=$RSOCK # lib.sh's api(): the rootless engine, the lab's own (fresh at each up)
image=$(json_get "$J" 'd["container"]["image"]')
api POST "/images/$image/tag?repo=netcheck-user-image&tag=test" -o /dev/null -w '%{http_code}' | grep -q 201 ||
	fail "cannot tag $image in the rootless engine"
api DELETE "/images/$image" -o /dev/null -w '%{http_code}' | grep -q 200 || fail "cannot untag $image"
expect_eq "responder image gone before the --image run" "$(api GET "/images/$image/json" -o /dev/null -w '%{http_code}')" 404
rc=0
"$NETCHECK" run --engine "$ENGINE" --image netcheck-user-image:test --port 80 --json "$TMP/img.json" \
	>"$TMP/img.out" 2>&1 || rc=$?
[ "$rc" = 0 ] || { cat "$TMP/img.out" >&2; fail "--image run: exit $rc"; }
check_schema "$TMP/img.json"
expect_eq "--image run: agent used" "$(json_get "$TMP/img.json" 'd["environment"]["capture_agent"]["used"]')" True
n=$(json_get "$TMP/img.json" "sum(c['packets'] for c in d['environment']['capture_points'] if c['where'] == 'engine')")
[ "$n" -gt 0 ] || fail "--image run: no packets on the engine's side"
expect_eq "--image run: responder image loaded for the agent" "$(api GET "/images/$image/json" -o /dev/null -w '%{http_code}')" 200
expect_eq "--image run: published-loopback" "$(json_get "$TMP/img.json" 'p["published-loopback"]["mechanism"]')" proxy
expect_eq "labelled containers left after the --image run" "$(labelled_containers)" 0

# netcheck capture CONTAINER through the agent too
expect_capture_through_agent "$ENGINE" docker0@engine
"$NETCHECK" gc --engine "$ENGINE" --kept >/dev/null 2>&1 || fail "gc --kept failed"
expect_eq "labelled containers left after capture and gc" "$(labelled_containers)" 0

# SIGINT while the agent captures: nothing of the run is left in the lab
interrupt_while_agent_captures --engine "$ENGINE"
expect_eq "labelled containers left after SIGINT" "$(labelled_containers)" 0
echo "PASS lab-rootless-docker"
