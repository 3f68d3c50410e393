#!/bin/bash
# The IPv6 readiness wait (issue 17, item 6), on a fresh IPv6 user network
# of the test's own (its own ULA prefix, removed afterwards): its bridge's
# addresses stay tentative until the first container attaches, then DAD
# runs.  netcheck's container is that first container every time:
#   1. with the wait cut to 0 ms (NETCHECK_IPV6_WAIT_MS=0) and probes
#      shorter than DAD (--timeout 300; DAD takes ~1 s, and a TCP SYN
#      retransmitted after it would get through) the IPv6 paths fail, and
#      their diagnosis is address-not-ready, citing the tentative address
#      it read (a "route" observation);
#   2. on a new network of the same kind, with the default bound, netcheck
#      waits until DAD is over and every IPv6 path is reachable; the JSON
#      says how long, for which addresses, and the text says it in one line.
source "$(dirname "$0")/lib.sh"
need_engine
need_root

NET=nctest-ipv6ready-$$
PREFIX=fd6e:6372:6479::/64 # "nc" "ry": the test's own
BRIDGE_ADDR=fd6e:6372:6479::1
cleanup() {
	docker network rm "$NET" >/dev/null 2>&1 || true
	rm -rf "$TMP"
}
trap cleanup EXIT

fresh_network() {
	docker network rm "$NET" >/dev/null 2>&1 || true
	docker network create --ipv6 --subnet "$PREFIX" --label io.netcheck.test=1 "$NET" >/dev/null ||
		fail "cannot create the IPv6 network $NET"
	local br
	br=br-$(docker network inspect -f '{{.Id}}' "$NET" | cut -c1-12)
	# nothing attached yet: its addresses are tentative (NO-CARRIER); the
	# engine may add them a moment after it answered (bounded: 2 s)
	for _ in $(seq 1 40); do
		ip -6 addr show dev "$br" | grep -q "$BRIDGE_ADDR/64 scope global tentative" && return 0
		sleep 0.05
	done
	fail "the new bridge's address is not tentative: $(ip -6 addr show dev "$br")"
}

# 1. no wait: the failure is address-not-ready, from what was read
fresh_network
rc=0
NETCHECK_IPV6_WAIT_MS=0 "$NETCHECK" run --network "$NET" --timeout 300 --no-capture --json "$TMP/nowait.json" >"$TMP/nowait.txt" 2>&1 || rc=$?
[ "$rc" = 1 ] || { cat "$TMP/nowait.txt" >&2; fail "no wait: exit $rc, want 1"; }
check_schema "$TMP/nowait.json"
expect_eq "no wait: timed out" "$(json_get "$TMP/nowait.json" 'd["environment"]["ipv6_readiness"]["timed_out"]')" True
expect_eq "no wait: bound" "$(json_get "$TMP/nowait.json" 'd["environment"]["ipv6_readiness"]["bound_ms"]')" 0.0
for path in direct-icmp6 direct-tcp6; do
	expect_eq "no wait: $path verdict" "$(json_get "$TMP/nowait.json" "p['$path']['verdict']")" timeout
	expect_eq "no wait: $path diagnosis" "$(json_get "$TMP/nowait.json" "p['$path']['diagnosis']['code']")" \
		address-not-ready
	json_get "$TMP/nowait.json" "[o['text'] for o in p['$path']['diagnosis']['observed'] if o['source'] == 'route']" |
		grep -q "(tentative) after" || fail "no wait: $path cites no tentative address"
done
# the IPv4 paths do not rest on it
expect_eq "no wait: direct-tcp" "$(json_get "$TMP/nowait.json" "p['direct-tcp']['verdict']")" reachable
# (one line, wrapped at COLUMNS: joined again)
joined() { tr '\n' ' ' <"$1" | sed 's/   */ /g'; }
joined "$TMP/nowait.txt" | grep -q "IPv6 readiness: waited 0 ms (bound 0) for [^:]*$BRIDGE_ADDR on br-.*: not ready at the bound" ||
	fail "no wait: no readiness line in the text: $(cat "$TMP/nowait.txt")"
joined "$TMP/nowait.txt" | grep -q "direct-tcp6[:,] .*\[address-not-ready\] the address .* was still" ||
	fail "no wait: the text has no diagnosis: $(cat "$TMP/nowait.txt")"

# 2. the wait: a fresh network again, its first container; every IPv6 path works
fresh_network
"$NETCHECK" run --network "$NET" --no-capture --json "$TMP/wait.json" >"$TMP/wait.txt" 2>&1 ||
	{ cat "$TMP/wait.txt" >&2; fail "with the wait: exit $?"; }
check_schema "$TMP/wait.json"
for path in direct-icmp6 direct-tcp6 published-loopback6; do
	expect_eq "wait: $path" "$(json_get "$TMP/wait.json" "p['$path']['verdict']")" reachable
done
json_get "$TMP/wait.json" 'd["environment"]["ipv6_readiness"]' >"$TMP/ready.txt"
expect_eq "wait: waited" "$(json_get "$TMP/wait.json" 'd["environment"]["ipv6_readiness"]["waited"]')" True
expect_eq "wait: timed out" "$(json_get "$TMP/wait.json" 'd["environment"]["ipv6_readiness"]["timed_out"]')" False
ms=$(json_get "$TMP/wait.json" 'd["environment"]["ipv6_readiness"]["waited_ms"]')
$PY -c "import sys; sys.exit(not 0 < float(sys.argv[1]) < 3000)" "$ms" || fail "wait: waited $ms ms"
# the bridge's address was one it waited for, and it was seen ready
json_get "$TMP/wait.json" "[a for a in d['environment']['ipv6_readiness']['addresses'] if a['address'] == '$BRIDGE_ADDR' and a['side'] == 'host' and a['first_flags'] & 0x40 and a['ready_ms'] is not None]" |
	grep -q "$BRIDGE_ADDR" || fail "wait: the bridge's address is not among those waited for: $(cat "$TMP/ready.txt")"
joined "$TMP/wait.txt" | grep -q "IPv6 readiness: waited [0-9]* ms (bound 3000) for [^:]*$BRIDGE_ADDR on br-[0-9a-f]* (ready at [0-9]* ms).*: ready" ||
	fail "wait: no readiness line in the text: $(cat "$TMP/wait.txt")"
note "waited $ms ms for DAD on the first container of a fresh network"
echo "ok: the IPv6 readiness wait"
