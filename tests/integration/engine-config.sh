#!/bin/bash
# The engine configurations users run, each by restarting the suite's
# dockerd with its daemon.json, and everything restored after:
#   - "ipv6": true with "fixed-cidr-v6": the container's IPv6 address is
#     probed (direct-tcp6 reachable) and published-loopback6 is a proxy;
#   - "userland-proxy": false: published-loopback is kernel NAT and
#     published-loopback6 is present, skipped, with the reason.
# Restored means all of it: daemon.json as it was, and what dockerd leaves
# behind when userland-proxy comes back on (its hairpin MASQUERADE rule,
# route_localnet=1 on docker0), compared before and after.
. "$(dirname "$0")/lib.sh"
need_root
need_engine
[ "$SOCK" = /var/run/docker.sock ] || prerequisite_missing "the default engine (this test restarts it)"
command -v iptables >/dev/null || prerequisite_missing "iptables"

CONF=/etc/docker/daemon.json
saved=""
[ -e "$CONF" ] && saved=$(cat "$CONF")
nat_before=$(iptables -w -t nat -S POSTROUTING)
localnet_before=$(cat /proc/sys/net/ipv4/conf/docker0/route_localnet 2>/dev/null || echo 0)

restore() {
	if [ -n "$saved" ]; then printf '%s\n' "$saved" >"$CONF"; else rm -f "$CONF"; fi
	bash "$NC_SRC/tests/engine.sh" restart >/dev/null 2>&1 || true
	# rules dockerd added and left: remove exactly those (not anybody else's)
	iptables -w -t nat -S POSTROUTING | while read -r rule; do
		grep -qxF -- "$rule" <<<"$nat_before" && continue
		# shellcheck disable=SC2086
		iptables -w -t nat ${rule/-A /-D } 2>/dev/null || true
	done
	[ -e /proc/sys/net/ipv4/conf/docker0/route_localnet ] &&
		echo "$localnet_before" >/proc/sys/net/ipv4/conf/docker0/route_localnet
	return 0
}
trap 'restore; rm -rf "$TMP"' EXIT

with_config() { # JSON
	mkdir -p "$(dirname "$CONF")"
	printf '%s\n' "$1" >"$CONF"
	bash "$NC_SRC/tests/engine.sh" restart >/dev/null 2>&1 || fail "dockerd did not come back with $1"
}

# -- IPv6: a ULA prefix of our own, never routed off this host
with_config '{"ipv6": true, "fixed-cidr-v6": "fd00:6e63:6b::/64"}'
# a new IPv6 address is tentative until duplicate address detection is
# done (~1 s): docker0's right after the restart, the container's right
# after its start.  Wait for docker0's (bounded); the container's costs
# its probes one SYN retransmission, so they get the time for it.
for _ in $(seq 1 50); do
	[ -z "$(ip -6 addr show dev docker0 tentative 2>/dev/null)" ] && break
	sleep 0.1
done
rc=0
"$NETCHECK" run --timeout 4000 --json "$TMP/v6.json" >"$TMP/v6.txt" 2>&1 || rc=$?
[ "$rc" = 0 ] || { cat "$TMP/v6.txt" >&2; fail "ipv6: exit $rc"; }
check_schema "$TMP/v6.json"
expect_eq "ipv6: direct-tcp6" "$(json_get "$TMP/v6.json" "p['direct-tcp6']['verdict']")" reachable
expect_eq "ipv6: direct-tcp6 mechanism" "$(json_get "$TMP/v6.json" "p['direct-tcp6']['mechanism']")" direct
expect_eq "ipv6: published-loopback6" "$(json_get "$TMP/v6.json" "p['published-loopback6']['mechanism']")" proxy

# -- userland-proxy off
with_config '{"userland-proxy": false}'
rc=0
"$NETCHECK" run --json "$TMP/np.json" >"$TMP/np.txt" 2>&1 || rc=$?
[ "$rc" = 0 ] || { cat "$TMP/np.txt" >&2; fail "userland-proxy off: exit $rc"; }
expect_eq "no proxy: published-loopback" "$(json_get "$TMP/np.json" "p['published-loopback']['mechanism']")" nat
expect_eq "no proxy: published-loopback6" "$(json_get "$TMP/np.json" "p['published-loopback6']['verdict']")" skipped
json_get "$TMP/np.json" "p['published-loopback6']['detail']" | grep -q "nothing forwards IPv6 loopback" ||
	fail "no proxy: the reason is missing: $(json_get "$TMP/np.json" "p['published-loopback6']['detail']")"

# -- back as it was, and a run sees unmasqueraded peers again
restore
trap 'rm -rf "$TMP"' EXIT
expect_eq "nat POSTROUTING restored" "$(iptables -w -t nat -S POSTROUTING)" "$nat_before"
rc=0
"$NETCHECK" run --json "$TMP/after.json" >"$TMP/after.txt" 2>&1 || rc=$?
[ "$rc" = 0 ] || { cat "$TMP/after.txt" >&2; fail "after restore: exit $rc"; }
expect_eq "after restore: published-host peer is the client" \
	"$(json_get "$TMP/after.json" "p['published-host']['peer_seen'] == p['published-host']['local']")" True
echo "PASS engine-config"
