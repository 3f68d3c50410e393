#!/bin/bash
# DOCKER_HOST=tcp://… with DOCKER_TLS_VERIFY and DOCKER_CERT_PATH: netcheck
# talks TLS with a client certificate, as the docker CLI does, its capture
# agent's attach stream included.  The TLS
# endpoint is socat in front of the local engine's socket, with a CA, a
# server and a client certificate made here; a client without the right
# certificate is refused (exit 69).
. "$(dirname "$0")/lib.sh"
need_root
need_engine
command -v openssl >/dev/null && command -v socat >/dev/null || prerequisite_missing "openssl and socat"

certs=$TMP/certs
mkdir -p "$certs"
cd "$certs"
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca-key.pem -out ca.pem -days 1 -subj "/CN=netcheck test CA" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout server-key.pem -out server.csr -subj "/CN=localhost" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >server.ext
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -out server.pem -days 1 -extfile server.ext 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout key.pem -out client.csr -subj "/CN=netcheck client" 2>/dev/null
printf 'extendedKeyUsage=clientAuth\n' >client.ext
openssl x509 -req -in client.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -out cert.pem -days 1 -extfile client.ext 2>/dev/null
cd - >/dev/null

port=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
socat "OPENSSL-LISTEN:$port,bind=127.0.0.1,reuseaddr,fork,cert=$certs/server.pem,key=$certs/server-key.pem,cafile=$certs/ca.pem,verify=1" \
	"UNIX-CONNECT:$SOCK" 2>"$TMP/socat.log" &
proxy=$!
trap 'kill $proxy 2>/dev/null; rm -rf "$TMP"' EXIT
for _ in $(seq 1 100); do
	$PY -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1)' "$port" 2>/dev/null && break
	sleep 0.05
done

rc=0
DOCKER_HOST=tcp://127.0.0.1:$port DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH=$certs \
	"$NETCHECK" run --no-capture --json "$TMP/r.json" >"$TMP/out" 2>"$TMP/err" || rc=$?
[ "$rc" = 0 ] || { cat "$TMP/err" "$TMP/socat.log" >&2; fail "run over TLS: exit $rc"; }
expect_eq "engine url" "$(json_get "$TMP/r.json" 'd["environment"]["engine_url"]')" "tcp://127.0.0.1:$port"
expect_eq "direct-tcp" "$(json_get "$TMP/r.json" 'p["direct-tcp"]["verdict"]')" reachable

# the capture agent through the TLS engine: its attach stream is carried over libcurl's TLS
# by a thread (engine-tls.c); the engine side's points must come back with packets, and the
# agent's container must go with the run
before=$(labelled_containers)
rc=0
DOCKER_HOST=tcp://127.0.0.1:$port DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH=$certs \
	"$NETCHECK" run --capture-via engine --json "$TMP/agent.json" -v >"$TMP/out4" 2>"$TMP/err4" || rc=$?
[ "$rc" = 0 ] || { cat "$TMP/out4" "$TMP/err4" "$TMP/socat.log" >&2; fail "run through the agent over TLS: exit $rc"; }
A=$TMP/agent.json
expect_eq "agent used over TLS" "$(json_get "$A" 'd["environment"]["capture_agent"]["used"]')" True
expect_eq "agent note over TLS" "$(json_get "$A" 'd["environment"]["capture_agent"]["note"]')" ""
expect_eq "eth0@container has packets" \
	"$(json_get "$A" "sum(c['packets'] for c in d['environment']['capture_points'] if c['name'] == 'eth0@container') > 0")" True
expect_eq "a veth@engine point with packets" \
	"$(json_get "$A" "any(c['name'].startswith('veth') and c['name'].endswith('@engine') and c['packets'] > 0 for c in d['environment']['capture_points'])")" True
expect_eq "direct-tcp seen at eth0@container" \
	"$(json_get "$A" "any(h['capture_point'] == 'eth0@container' for h in p['direct-tcp']['evidence'])")" True
expect_eq "labelled containers after the agent's run" "$(labelled_containers)" "$before"
note "$(grep -o 'capture agent on[^…]*' "$TMP/err4")"

# without the client certificate the TLS endpoint refuses: 69, one line
mkdir -p "$TMP/nocert"
cp "$certs/ca.pem" "$TMP/nocert/"
rc=0
DOCKER_HOST=tcp://127.0.0.1:$port DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH=$TMP/nocert \
	"$NETCHECK" run --no-capture >/dev/null 2>"$TMP/err2" || rc=$?
expect_eq "without a client certificate" "$rc" 69
expect_eq "stderr lines" "$(wc -l <"$TMP/err2")" 1
grep -q "has no readable cert.pem" "$TMP/err2" || fail "message: $(cat "$TMP/err2")"

# a client certificate the server's CA did not sign: the handshake fails, 69
mkdir -p "$TMP/other"
(cd "$TMP/other" &&
	openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -days 1 -subj "/CN=stranger" 2>/dev/null &&
	cp "$certs/ca.pem" .)
rc=0
DOCKER_HOST=tcp://127.0.0.1:$port DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH=$TMP/other \
	"$NETCHECK" run --no-capture >/dev/null 2>"$TMP/err3" || rc=$?
expect_eq "with a stranger's certificate" "$rc" 69
expect_eq "stderr lines" "$(wc -l <"$TMP/err3")" 1
note "$(cat "$TMP/err3")"
echo "PASS engine-tls"
