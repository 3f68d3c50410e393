#!/bin/bash
# A whole `netcheck run` against the real dockerd on this host: the JSON is
# valid against the schema and shows the native Linux verdicts.
. "$(dirname "$0")/lib.sh"
need_root
need_engine

before=$(labelled_containers)
rc=0
"$NETCHECK" run --json "$TMP/report.json" >"$TMP/out.txt" 2>"$TMP/err.txt" || rc=$?
cat "$TMP/out.txt"
[ "$rc" = 0 ] || { cat "$TMP/err.txt" >&2; fail "exit code $rc, want 0"; }
check_schema "$TMP/report.json"

expect_eq environment "$(json_get "$TMP/report.json" 'd["environment"]["kind"]')" native-linux
expect_eq exit_code "$(json_get "$TMP/report.json" 'd["exit_code"]')" 0
expect_eq "direct-tcp verdict" "$(json_get "$TMP/report.json" 'p["direct-tcp"]["verdict"]')" reachable
expect_eq "direct-tcp mechanism" "$(json_get "$TMP/report.json" 'p["direct-tcp"]["mechanism"]')" direct
# direct: the container saw exactly our socket's address and port
expect_eq "direct-tcp peer" "$(json_get "$TMP/report.json" 'p["direct-tcp"]["peer_seen"]')" \
	"$(json_get "$TMP/report.json" 'p["direct-tcp"]["local"]')"
expect_eq "published-loopback verdict" "$(json_get "$TMP/report.json" 'p["published-loopback"]["verdict"]')" reachable
expect_eq "published-loopback mechanism" "$(json_get "$TMP/report.json" 'p["published-loopback"]["mechanism"]')" proxy
expect_eq "published-loopback forwarder" \
	"$(json_get "$TMP/report.json" 'p["published-loopback"]["forwarder"]["name"]')" docker-proxy
fwd_pid=$(json_get "$TMP/report.json" 'p["published-loopback"]["forwarder"]["pid"]')
[ -n "$fwd_pid" ] && [ "$fwd_pid" -gt 0 ] || fail "forwarder pid '$fwd_pid'"
expect_eq "published-host verdict" "$(json_get "$TMP/report.json" 'p["published-host"]["verdict"]')" reachable
expect_eq "published-host mechanism" "$(json_get "$TMP/report.json" 'p["published-host"]["mechanism"]')" nat
# nat: the container saw our own source address and port though we dialled the host's address
expect_eq "published-host peer" "$(json_get "$TMP/report.json" 'p["published-host"]["peer_seen"]')" \
	"$(json_get "$TMP/report.json" 'p["published-host"]["local"]')"
# container-to-host: host.docker.internal leads to this host's own address on
# the bridge, also when the engine's IPAM names no gateway (a fresh dockerd);
# the host's listener saw the container itself connect, no NAT between
expect_eq "container-to-host verdict" "$(json_get "$TMP/report.json" 'p["container-to-host"]["verdict"]')" reachable
expect_eq "container-to-host peer" \
	"$(json_get "$TMP/report.json" 'p["container-to-host"]["peer_seen"].rsplit(":", 1)[0]')" \
	"$(json_get "$TMP/report.json" 'd["container"]["ip"]')"
bridge=$(json_get "$TMP/report.json" 'd["container"]["bridge"]')
expect_eq "container-to-host target" \
	"$(json_get "$TMP/report.json" 'p["container-to-host"]["target"].rsplit(":", 1)[0]')" \
	"$(ip -o -4 addr show dev "$bridge" | awk '{ split($4, a, "/"); print a[1]; exit }')"
# the name came from --add-host host-gateway (/etc/hosts), led to the listener's own
# address on the bridge, and the connection arrived there directly
expect_eq "container-to-host resolved" \
	"$(json_get "$TMP/report.json" 'p["container-to-host"]["resolved"]["address"] + " " + p["container-to-host"]["resolved"]["by"]')" \
	"$(json_get "$TMP/report.json" 'p["container-to-host"]["target"].rsplit(":", 1)[0]') hosts"
expect_eq "container-to-host arrival" \
	"$(json_get "$TMP/report.json" '(lambda a: a["via"] + " " + a["interface"] + " " + str(a["connections"]))(p["container-to-host"]["arrival"])')" \
	"direct $bridge 1"
expect_eq "container-to-host mechanism" "$(json_get "$TMP/report.json" 'p["container-to-host"]["mechanism"]')" direct
expect_eq "all expected" "$(json_get "$TMP/report.json" 'all(x["expected"] for x in d["paths"])')" True
expect_eq "container removed" "$(json_get "$TMP/report.json" 'd["container"]["removed"]')" True
# the docker-proxy pid really is a docker-proxy process listening now? (it is gone with the container)
expect_eq "labelled containers left" "$(labelled_containers)" "$before"

# the text report names the same verdicts
grep -q 'published-loopback .*reachable .*proxy .*docker-proxy' "$TMP/out.txt" || fail "text report lacks the proxy path"
# --expect overrides the environment's table: exit 1 and the report says which path differed
rc=0
"$NETCHECK" run --no-capture --expect direct=unroutable --json "$TMP/e.json" >"$TMP/e.txt" 2>&1 || rc=$?
expect_eq "--expect direct=unroutable exit" "$rc" 1
expect_eq "direct-tcp expected" "$(json_get "$TMP/e.json" 'p["direct-tcp"]["expected"]')" False
expect_eq "direct-tcp overridden" "$(json_get "$TMP/e.json" 'p["direct-tcp"]["expectation"]["overridden"]')" True
expect_eq "published-host still expected" "$(json_get "$TMP/e.json" 'p["published-host"]["expected"]')" True
grep -q "direct-tcp .*UNEXPECTED (wanted unroutable" "$TMP/e.txt" || fail "the text report does not say which path differed"
rc=0
"$NETCHECK" run --no-capture --expect published-loopback=proxy,direct-tcp=direct >/dev/null 2>&1 || rc=$?
expect_eq "--expect matching the facts exit" "$rc" 0

# netcheck engines lists this engine with its kind and version
"$NETCHECK" engines >"$TMP/engines.txt" 2>&1 || fail "netcheck engines: $(cat "$TMP/engines.txt")"
grep -qE "^unix:///var/run/docker.sock +.* native-linux +Docker Engine [0-9]" "$TMP/engines.txt" ||
	fail "netcheck engines: $(cat "$TMP/engines.txt")"
echo "PASS run-native"
