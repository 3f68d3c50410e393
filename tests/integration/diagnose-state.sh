#!/bin/bash
# `netcheck probe` of containers whose state, network mode or publish
# address is the answer (issue 17, items 3-5), all set up once from the
# suite's busybox image, then probed one by one:
#   - paused                        → container-paused, citing state "paused", exit 1
#   - caught restarting (exit 2)    → container-restarting: restart count, exit code, log line
#   - --network none                → no-network, exit 1 (not exit 64)
#   - --network host, --port P      → probed on the host's addresses (not "capture filter", exit 64):
#                                     loopback reachable as expected, the engine's environment, the
#                                     host's address: loopback only, citing that socket alone
#   - --internal network, -p 80     → internal-network, citing the network
#   - -p 127.0.0.1::80              → published-host not sent: "127.0.0.1 only", exit 0
#   - -p HOSTADDR::80               → published-host probed at that address, reachable
#   - a UDP-only publication        → UDP paths, no exit 64 "publishes no TCP port"
#   - not published, --port 80      → published-host skipped (no target), not-published, exit 1
#   - --network none, nothing else   → skipped, no-network: the verdict the diagnosis explains
#   - exited (code 3)               → container-exited: exit code, log line; exit 1 (not 64)
# Every container, the network and the image are removed (trap).
. "$(dirname "$0")/lib.sh"
need_root
need_engine

tag=nctest-state-$$
net=$tag-internal
busybox_group "$tag" "$net"
observed() { # FILE PATH SOURCE FIELD
	json_get "$1" "'\\n'.join(str(o.get('$4')) for o in (p['$2']['diagnosis'] or {}).get('observed', []) if o['source'] == '$3')"
}
probe() { # NAME [ARGS...]: rc in $rc, the report in $TMP/NAME.json / .txt
	local name=$1; shift
	rc=0
	"$NETCHECK" probe "$tag-$name" --timeout 1000 --json "$TMP/$name.json" "$@" >"$TMP/$name.txt" 2>&1 || rc=$?
}
host_ip=$(ip -4 route get 192.0.2.1 | sed -n 's/.* src \([0-9.]*\).*/\1/p')
[ -n "$host_ip" ] || prerequisite_missing "a host address (ip route get)"
hport=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
docker network create --internal "$net" >/dev/null || fail "cannot create $net"

start paused -p 80 "$img"
docker pause "$tag-paused" >/dev/null
start restarting --restart always "$img" sh -c 'echo config missing; exit 2'
start none --network none "$img"
start host --network host "$img" httpd -f -p "127.0.0.1:$hport" -h /www
start internal --network "$net" -p 80 "$img"
# two fixed host ports, told apart: the engine allocates dynamic ones per host address, so
# 127.0.0.1::80 and $host_ip::80 could get the same number, and the remote client's probe of
# the loopback-only port would then reach the other container (seen: "loopback exit" 1)
read -r lport aport < <($PY -c 'import socket
a, b = socket.socket(), socket.socket()
a.bind(("0.0.0.0", 0)); b.bind(("0.0.0.0", 0))
print(a.getsockname()[1], b.getsockname()[1])')
start loopback -p "127.0.0.1:$lport:80" "$img"
start address -p "$host_ip:$aport:80" "$img"
start udp -p 53/udp "$img" sleep 600
start plain "$img"
start exited "$img" sh -c 'echo going away; exit 3'
t0=$(date +%s.%N)

# -- paused: the kernel completes the handshake, no process answers
probe paused
expect_eq "paused exit ($(tail -3 "$TMP/paused.txt"))" "$rc" 1
check_schema "$TMP/paused.json"
expect_eq "paused: direct-tcp" "$(diag "$TMP/paused.json" direct-tcp)" container-paused
expect_eq "paused: observed state" "$(observed "$TMP/paused.json" direct-tcp container state | head -1)" paused
grep -q "observed (container): the container was paused" "$TMP/paused.txt" || fail "paused text: $(cat "$TMP/paused.txt")"

# -- none: no path, said so
probe none
expect_eq "none exit ($(tail -3 "$TMP/none.txt"))" "$rc" 1
expect_eq "none: direct-tcp" "$(diag "$TMP/none.json" direct-tcp)" no-network
expect_eq "none: verdict" "$(json_get "$TMP/none.json" "p['direct-tcp']['verdict']")" skipped
grep -q "UNEXPECTED (no-network)" "$TMP/none.txt" || fail "none text: $(cat "$TMP/none.txt")"

# -- not published: the published path said, not sent, no made-up target
probe plain --port 80
expect_eq "plain exit ($(tail -3 "$TMP/plain.txt"))" "$rc" 1
expect_eq "plain: published-host" "$(diag "$TMP/plain.json" published-host)" not-published
expect_eq "plain: verdict" "$(json_get "$TMP/plain.json" "p['published-host']['verdict']")" skipped
! grep -q "127.0.0.1:0" "$TMP/plain.txt" || fail "plain: a made-up target: $(cat "$TMP/plain.txt")"
grep -q "UNEXPECTED (not-published)" "$TMP/plain.txt" || fail "plain text: $(cat "$TMP/plain.txt")"
probe plain
expect_eq "plain, no --port: exit" "$rc" 64
grep -q "docker run -p" "$TMP/plain.txt" || fail "plain, no --port: no hint: $(cat "$TMP/plain.txt")"
observed "$TMP/none.json" direct-tcp engine text | grep "network mode is none" >/dev/null || fail "none observed: $(cat "$TMP/none.txt")"

# -- host network: the host's addresses at the given port
probe host --port "$hport"
[ "$rc" != 64 ] || fail "host network: exit 64: $(cat "$TMP/host.txt")"
check_schema "$TMP/host.json"
expect_eq "host: loopback path" "$(json_get "$TMP/host.json" "p['direct-tcp:host-loopback']['verdict']")" reachable
expect_eq "host: target" "$(json_get "$TMP/host.json" "p['direct-tcp:host-loopback']['target']")" "127.0.0.1:$hport"
json_get "$TMP/host.json" "p['direct-tcp:host']['target']" | grep -q "^$host_ip:$hport$" ||
	fail "host: no path at the host's address: $(cat "$TMP/host.txt")"
expect_eq "host: loopback as expected" "$(json_get "$TMP/host.json" "p['direct-tcp:host-loopback']['expected']")" True
expect_eq "host: environment" "$(json_get "$TMP/host.json" "d['environment']['kind']")" native-linux
expect_eq "host: host-address path" "$(diag "$TMP/host.json" direct-tcp:host)" listening-on-loopback-only
detail=$(json_get "$TMP/host.json" "p['direct-tcp:host']['diagnosis']['detail']")
[[ $detail == *"other machines"* && $detail != *"nothing from outside the container"* ]] || fail "host detail: $detail"
expect_eq "host: sockets cited" "$(observed "$TMP/host.json" direct-tcp:host socket local | sort -u)" "127.0.0.1:$hport"
note "host: $detail"

# -- internal network: Docker dropped -p
probe internal --port 80
expect_eq "internal exit ($(tail -3 "$TMP/internal.txt"))" "$rc" 1
expect_eq "internal: published-host" "$(diag "$TMP/internal.json" published-host)" internal-network
observed "$TMP/internal.json" published-host engine text | grep "network $net is internal" >/dev/null ||
	fail "internal observed: $(cat "$TMP/internal.txt")"

# -- published on 127.0.0.1 only: loopback probed, the host's address said, not probed
probe loopback
expect_eq "loopback exit ($(tail -3 "$TMP/loopback.txt"))" "$rc" 0
expect_eq "loopback: published-loopback" "$(json_get "$TMP/loopback.json" "p['published-loopback']['verdict']")" reachable
expect_eq "loopback: published-host" "$(json_get "$TMP/loopback.json" "p['published-host']['verdict']")" skipped
json_get "$TMP/loopback.json" "p['published-host']['detail']" | grep -q "127.0.0.1 only" ||
	fail "loopback detail: $(cat "$TMP/loopback.txt")"

# -- published on one host address: probed there
probe address
expect_eq "address exit ($(tail -3 "$TMP/address.txt"))" "$rc" 0
json_get "$TMP/address.json" "p['published-host']['target']" | grep -q "^$host_ip:" ||
	fail "address: published-host not at $host_ip: $(cat "$TMP/address.txt")"
expect_eq "address: published-host" "$(json_get "$TMP/address.json" "p['published-host']['verdict']")" reachable

# -- UDP only: its UDP paths (busybox has no UDP server: the port is closed in the container)
probe udp
[ "$rc" != 64 ] || fail "UDP only: exit 64: $(cat "$TMP/udp.txt")"
check_schema "$TMP/udp.json"
json_get "$TMP/udp.json" "p['published-loopback-udp']['verdict']" >/dev/null || fail "UDP only: no published-loopback-udp: $(cat "$TMP/udp.txt")"
json_get "$TMP/udp.json" "p['direct-udp']['verdict']" >/dev/null || fail "UDP only: no direct-udp: $(cat "$TMP/udp.txt")"
# who refused: the ICMP port unreachable's sender, from the socket's error queue
cip=$(docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$tag-udp")
expect_eq "UDP only: direct-udp verdict" "$(json_get "$TMP/udp.json" "p['direct-udp']['verdict']")" refused
expect_eq "UDP only: direct-udp refused by" "$(json_get "$TMP/udp.json" "p['direct-udp']['refused_by']")" "$cip"
expect_eq "UDP only: direct-udp diagnosis" "$(diag "$TMP/udp.json" direct-udp)" not-listening
detail=$(json_get "$TMP/udp.json" "p['direct-udp']['diagnosis']['detail']")
[[ $detail == *"the container's kernel refused"* ]] || fail "UDP only: direct-udp detail: $detail"
sender=$(json_get "$TMP/udp.json" "[o['local'] for o in p['direct-udp']['diagnosis']['observed'] if o['source'] == 'socket'][0]")
expect_eq "UDP only: observed sender" "${sender%:*}" "$cip" # an ICMP message has no port: :0
grep -q "ICMP port unreachable from $cip" "$TMP/udp.txt" || fail "UDP only: the text does not name the sender: $(cat "$TMP/udp.txt")"
note "UDP only, direct-udp: $detail"
# through Docker's NAT the ICMP comes back from the published address: the
# conntrack entry says the container refused it all the same
if [ "$(json_get "$TMP/udp.json" "p.get('published-host-udp', {}).get('verdict')")" = refused ]; then
	expect_eq "UDP only: published-host-udp diagnosis" "$(diag "$TMP/udp.json" published-host-udp)" not-listening
	detail=$(json_get "$TMP/udp.json" "p['published-host-udp']['diagnosis']['detail']")
	[[ $detail == *"through Docker's NAT"* ]] || fail "UDP only: published-host-udp: $detail"
	note "UDP only, published-host-udp: $detail"
fi

# -- exited (code 3): a report of it, not a usage error
for i in $(seq 100); do
	[ "$(docker inspect -f '{{.State.Status}}' "$tag-exited")" = exited ] && break
	sleep 0.1
done
probe exited
expect_eq "exited exit ($(tail -3 "$TMP/exited.txt"))" "$rc" 1
check_schema "$TMP/exited.json"
expect_eq "exited: no error" "$(json_get "$TMP/exited.json" "d.get('error')")" None
expect_eq "exited: environment" "$(json_get "$TMP/exited.json" "d['environment']['kind']")" native-linux
expect_eq "exited: direct-tcp" "$(diag "$TMP/exited.json" direct-tcp)" container-exited
detail=$(json_get "$TMP/exited.json" "p['direct-tcp']['diagnosis']['detail']")
[[ $detail == *"code 3"* && $detail == *"going away"* ]] || fail "exited detail: $detail"
note "exited: $detail"

# -- restarting, caught between two runs (the back-off doubles: 0.1 s, 0.2 s, ... 6.4 s after 6)
for i in $(seq 300); do
	[ "$(docker inspect -f '{{.State.Restarting}} {{ge .RestartCount 5}}' "$tag-restarting")" = "true true" ] && break
	sleep 0.1
done
probe restarting
expect_eq "restarting exit ($(tail -3 "$TMP/restarting.txt"))" "$rc" 1
expect_eq "restarting: direct-tcp" "$(diag "$TMP/restarting.json" direct-tcp)" container-restarting
detail=$(json_get "$TMP/restarting.json" "p['direct-tcp']['diagnosis']['detail']")
echo "$detail" | grep -q "code 2" || fail "restarting detail: $detail"
echo "$detail" | grep -q "config missing" || fail "restarting detail, no log line: $detail"
expect_eq "restarting: observed state" "$(observed "$TMP/restarting.json" direct-tcp container state | head -1)" restarting
note "restarting: $detail"
note "probes took $($PY -c "import time; print(round(time.time() - $t0, 1))") s"
