#!/bin/bash
# The responder's UDP answer and connect-out, against the real engine:
#   host -> container over UDP; container -> container by IP and by name
#   (user-defined network, embedded DNS); a target off the allow-list
#   (EACCES); container -> host.docker.internal (host-gateway) to a
#   listener on the bridge gateway; and on the default bridge a name that
#   must not resolve, with no UDP packet sent at all (the copied host
#   resolv.conf names a real resolver, which must get nothing).
# Args: NETCHECK RESPONDER (the static responder netcheck embeds).
#
# The image is this build's responder under a test tag keyed by its hash:
# netcheck-responder:<version> may already hold an older build of the same
# version (the engine is shared), and netcheck never re-imports it.
. "$(dirname "$0")/lib.sh"
RESPONDER=${2:?usage: $0 NETCHECK RESPONDER}
need_root
need_engine
command -v docker >/dev/null || prerequisite_missing "the docker CLI"
command -v socat >/dev/null || prerequisite_missing "socat (the host-side listener and UDP client)"
[ -x "$RESPONDER" ] || fail "no responder at $RESPONDER"

LABEL=io.netcheck.run=test-responder
# Owned like a run's containers, so a concurrent `netcheck gc` (another
# test on the shared engine) sees a live owner: this script, whose command
# line names netcheck.
OWNER_LABELS=(--label "io.netcheck.pid=$$"
	--label "io.netcheck.scope=$(cat /proc/sys/kernel/random/boot_id)/$(stat -L -c %i /proc/self/ns/pid)")
id=$$-$RANDOM
NET=netcheck-rc-$id
PEER=netcheck-peer-$id
CLIENT=netcheck-client-$id
LONE=netcheck-lone-$id
IMAGE=netcheck-responder-test:$(sha256sum "$RESPONDER" | cut -c1-16)
image_made=0
LISTENER_PID=

cleanup() {
	local rc=$?
	set +e # remove all we can, whatever fails
	# the engine is shared: another test may be restarting it right now
	for _ in $(seq 1 30); do
		curl -sf --max-time 2 --unix-socket "$SOCK" http://localhost/_ping >/dev/null 2>&1 && break
		sleep 1
	done
	if [ -n "$LISTENER_PID" ]; then
		kill "$LISTENER_PID" 2>/dev/null
		wait "$LISTENER_PID" 2>/dev/null
	fi
	docker rm -f "$PEER" "$CLIENT" "$LONE" >/dev/null 2>&1
	docker network rm "$NET" >/dev/null 2>&1
	[ "$image_made" = 1 ] && docker rmi -f "$IMAGE" >/dev/null 2>&1
	rm -rf "$TMP"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# the same rootfs as netcheck/engine/image.c builds: the responder, passwd, group
$PY - "$RESPONDER" "$TMP/rootfs.tar" <<'PY'
import io, sys, tarfile
def add(t, name, mode, data=None):
    i = tarfile.TarInfo(name); i.mode = mode; i.mtime = 0
    if data is None:
        i.type = tarfile.DIRTYPE; t.addfile(i)
    else:
        i.size = len(data); t.addfile(i, io.BytesIO(data))
with tarfile.open(sys.argv[2], "w", format=tarfile.USTAR_FORMAT) as t:
    for d in ("dev", "etc", "proc", "sys"):
        add(t, d, 0o755)
    add(t, "tmp", 0o1777)
    add(t, "etc/passwd", 0o644, b"root:x:0:0:root:/:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n")
    add(t, "etc/group", 0o644, b"root:x:0:\nnobody:x:65534:\n")
    add(t, "responder", 0o755, open(sys.argv[1], "rb").read())
PY
if ! docker image inspect "$IMAGE" >/dev/null 2>&1; then
	docker import --change 'USER 65534' --change 'CMD ["/responder"]' "$TMP/rootfs.tar" "$IMAGE" >/dev/null ||
		fail "cannot import the responder image"
	image_made=1
fi

# run NAME NETWORK [docker run options...] -- [responder args...]
run() {
	local name=$1 net=$2 opts=()
	shift 2
	while [ $# -gt 0 ] && [ "$1" != -- ]; do opts+=("$1"); shift; done
	shift
	# as netcheck runs it: no root, no writes, no capabilities
	docker run -d --name "$name" --network "$net" --label "$LABEL" "${OWNER_LABELS[@]}" --user 65534:65534 --read-only \
		--cap-drop ALL --security-opt no-new-privileges \
		--sysctl net.ipv4.ip_unprivileged_port_start=0 "${opts[@]}" "$IMAGE" /responder 80 "$@" >/dev/null ||
		fail "cannot start $name"
}
ip_of() {
	docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$1"
}
wait_listening() { # IP
	for _ in $(seq 1 100); do
		curl -s --max-time 1 "http://$1/ready" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	fail "the responder at $1 never answered"
}
# field JSON EXPR: EXPR evaluated on d; strings bare, others as JSON
field() {
	$PY -c 'import json,sys; d=json.loads(sys.argv[1]); v=eval(sys.argv[2]); print(v if isinstance(v,str) else json.dumps(v))' "$1" "$2"
}
connect() { # CLIENT_IP QUERY
	curl -s --max-time 10 "http://$1/connect?$2" || fail "no answer to /connect?$2"
}
udp_out() { # NETNS_PID: Udp OutDatagrams + Udp6OutDatagrams of that namespace
	awk '/^Udp: [0-9]/ {v4=$5} END {print v4}' "/proc/$1/net/snmp"
	awk '$1 == "Udp6OutDatagrams" {print $2}' "/proc/$1/net/snmp6"
}

docker network create --label "$LABEL" "$NET" >/dev/null || fail "cannot create network $NET"
GW=$(docker network inspect -f '{{(index .IPAM.Config 0).Gateway}}' bridge)
# a freshly started dockerd lists the subnet alone: the gateway is then the
# host's address on the bridge's interface (as netcheck finds it)
if [ -z "$GW" ]; then
	BRIDGE_IF=$(docker network inspect -f '{{index .Options "com.docker.network.bridge.name"}}' bridge)
	GW=$(ip -o -4 addr show dev "${BRIDGE_IF:-docker0}" | awk '{ split($4, a, "/"); print a[1]; exit }')
fi
[ -n "$GW" ] || fail "no gateway address on the default bridge"
HPORT=$($PY -c 'import socket,sys; s=socket.socket(); s.bind((sys.argv[1],0)); print(s.getsockname()[1])' "$GW")

run "$PEER" "$NET" --
PEER_IP=$(ip_of "$PEER")
run "$CLIENT" "$NET" --add-host host.docker.internal:host-gateway -- \
	--allow "$PEER_IP:80" --allow "$PEER_IP:81" --allow "$PEER:80" --allow "host.docker.internal:$HPORT"
CLIENT_IP=$(ip_of "$CLIENT")
wait_listening "$PEER_IP"
wait_listening "$CLIENT_IP"
note "peer $PEER_IP, client $CLIENT_IP, host listener $GW:$HPORT"

# 1. UDP: host -> container, the nonce back as JSON
out=$(printf 'udp-nonce-1' | socat -T3 - "UDP:$CLIENT_IP:80") || fail "no UDP answer"
expect_eq "udp nonce" "$(field "$out" 'd["nonce"]')" udp-nonce-1
expect_eq "udp proto" "$(field "$out" 'd["proto"]')" udp
expect_eq "udp local_addr" "$(field "$out" 'd["local_addr"]')" "$CLIENT_IP"
expect_eq "udp local_port" "$(field "$out" 'd["local_port"]')" 80
# junk gets nothing
out=$(printf 'not a nonce!' | socat -T1 - "UDP:$CLIENT_IP:80" || true)
expect_eq "udp junk answer" "$out" ""

# 2. tcp by IP: the peer's own answer, which saw the client
out=$(connect "$CLIENT_IP" "proto=tcp&target=$PEER_IP:80&nonce=n-ip&timeout_ms=2000")
expect_eq "tcp by IP ok ($out)" "$(field "$out" 'd["ok"]')" true
expect_eq "tcp by IP resolved_by" "$(field "$out" 'd["resolved_by"]')" literal
expect_eq "tcp by IP http_status" "$(field "$out" 'd["http_status"]')" 200
expect_eq "tcp by IP local" "$(field "$out" 'd["local"].rsplit(":",1)[0]')" "$CLIENT_IP"
answer=$(field "$out" 'd["answer"]')
expect_eq "peer saw nonce" "$(field "$answer" 'd["nonce"]')" n-ip
expect_eq "peer saw client" "$(field "$answer" 'd["peer_addr"]')" "$CLIENT_IP"

# 3. tcp by name: the embedded DNS of the user-defined network
out=$(connect "$CLIENT_IP" "proto=tcp&target=$PEER:80&nonce=n-name&timeout_ms=3000")
expect_eq "tcp by name ok ($out)" "$(field "$out" 'd["ok"]')" true
expect_eq "tcp by name resolved" "$(field "$out" 'd["resolved"]')" "$PEER_IP"
expect_eq "tcp by name resolved_by" "$(field "$out" 'd["resolved_by"]')" "dns 127.0.0.11"
expect_eq "peer saw nonce" "$(field "$(field "$out" 'd["answer"]')" 'd["nonce"]')" n-name

# 4. udp to the peer, and a refused tcp port that is allowed
out=$(connect "$CLIENT_IP" "proto=udp&target=$PEER_IP:80&nonce=n-udp&timeout_ms=2000")
expect_eq "udp out ok ($out)" "$(field "$out" 'd["ok"]')" true
expect_eq "udp out answer proto" "$(field "$(field "$out" 'd["answer"]')" 'd["proto"]')" udp
out=$(connect "$CLIENT_IP" "proto=tcp&target=$PEER_IP:81&nonce=n-refused&timeout_ms=2000")
expect_eq "refused ($out)" "$(field "$out" 'd["error"]')" ECONNREFUSED

# 5. off the allow-list: EACCES, and no packet tried (no resolved address)
for target in "$PEER_IP:82" "$PEER:81" "8.8.8.8:53"; do
	out=$(connect "$CLIENT_IP" "proto=tcp&target=$target&nonce=n-deny")
	expect_eq "not allowed $target ($out)" "$(field "$out" 'd["error"]')" EACCES
	expect_eq "not allowed $target resolved" "$(field "$out" 'd["resolved"]')" null
done

# 6. icmp: an echo when ping sockets are allowed, else EPERM (never a hang)
out=$(connect "$CLIENT_IP" "proto=icmp&target=$PEER_IP&nonce=n-icmp&timeout_ms=2000")
case "$(field "$out" 'd["ok"]'),$(field "$out" 'd["error"]')" in
true,null)
	expect_eq "icmp echo payload" "$(field "$out" 'd["answer"]')" n-icmp
	note "icmp echo from the container: ok in $(field "$out" 'd["total_ms"]') ms" ;;
false,EPERM) note "ping sockets not allowed in the container: $(field "$out" 'd["detail"]')" ;;
*) fail "icmp: $out" ;;
esac

# 7. host.docker.internal (from /etc/hosts) to a listener on the gateway
printf '#!/bin/sh\nread -r line\nprintf "host-listener got %%s" "$line"\n' >"$TMP/answer.sh"
chmod +x "$TMP/answer.sh"
socat -T5 "TCP-LISTEN:$HPORT,bind=$GW,reuseaddr,fork" "EXEC:$TMP/answer.sh" 2>"$TMP/socat.err" &
LISTENER_PID=$!
for _ in $(seq 1 50); do
	grep -q ":$(printf '%04X' "$HPORT") " /proc/net/tcp && break
	sleep 0.1
done
out=$(connect "$CLIENT_IP" "proto=tcp&target=host.docker.internal:$HPORT&nonce=n-host&timeout_ms=3000")
expect_eq "host ok ($out)" "$(field "$out" 'd["ok"]')" true
expect_eq "host resolved_by" "$(field "$out" 'd["resolved_by"]')" hosts
expect_eq "host resolved" "$(field "$out" 'd["resolved"]')" "$GW"
expect_eq "host answer" "$(field "$out" 'd["answer"]')" $'host-listener got GET /n-host HTTP/1.0\r'

# 8. the default bridge: no embedded DNS, so a name fails without a packet
run "$LONE" bridge -- --allow "$PEER:80"
LONE_IP=$(ip_of "$LONE")
wait_listening "$LONE_IP"
LONE_PID=$(docker inspect -f '{{.State.Pid}}' "$LONE")
note "default bridge resolv.conf: $(tr '\n' ' ' <"/proc/$LONE_PID/root/etc/resolv.conf")"
grep -q '^nameserver 127\.' "/proc/$LONE_PID/root/etc/resolv.conf" &&
	fail "the default bridge has a loopback name server: the test's premise is gone"
before=$(udp_out "$LONE_PID")
out=$(connect "$LONE_IP" "proto=tcp&target=$PEER:80&nonce=n-lone&timeout_ms=2000")
after=$(udp_out "$LONE_PID")
expect_eq "default bridge name ($out)" "$(field "$out" 'd["error"]')" ENOENT
expect_eq "default bridge detail" "$(field "$out" 'd["detail"]')" "no embedded DNS on this network"
expect_eq "UDP datagrams sent from the default-bridge container" "$after" "$before"

echo "PASS responder-connect"
