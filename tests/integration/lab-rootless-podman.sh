#!/bin/bash
# A whole `netcheck run` against rootless Podman (tests/labs/rootless-podman.sh):
# the container network lives in the lab user's namespaces, so the direct paths
# are unroutable and not sent, and the published port is reached through the
# process Podman listens with (rootlessport: slirp4netns network, rootlesskit
# port handler, Podman 4.3's defaults).
# The engine side through the capture agent: Podman's "host" network is this
# host's, where a rootless engine may not capture, so the agent shares the
# container's network and pids; rootlessport's onward connection arrives on
# lo inside the container (lo@container), and the published paths are `proxy`
# from packets on both sides.  SIGINT while the agent captures leaves no
# container; after `down` no user, group, subordinate ids or process is left.
. "$(dirname "$0")/lib.sh"
need_root

LAB="$NC_SRC/tests/labs/rootless-podman.sh"
lab_down() {
	local st=$?
	bash "$LAB" down >/dev/null 2>&1 || { note "lab down failed"; [ "$st" = 0 ] && st=1; }
	if left=$(lab_user_left nc-podman "${NC_PODMAN_UID:-}"); then
		note "FAIL: $left left after lab down"
		[ "$st" = 0 ] && st=1
	fi
	rm -rf "$TMP"
	exit "$st"
}
trap lab_down EXIT
t0=$(date +%s%N)
bash "$LAB" up 2>"$TMP/lab-up.txt" || {
	cat "$TMP/lab-up.txt" >&2
	prerequisite_missing "the rootless Podman lab did not come up"
}
note "lab up in $((($(date +%s%N) - t0) / 1000000)) ms"
eval "$(bash "$LAB" env)"
# shellcheck disable=SC2034 # read by lib.sh's api() and labelled_containers()
SOCK=$NC_PODMAN_SOCK

rc=0
timeout 180 "$NETCHECK" run --engine "$NC_PODMAN_ENGINE" --json "$TMP/report.json" --pcap "$TMP/run.pcapng" \
	>"$TMP/out.txt" 2>"$TMP/err.txt" || rc=$?
cat "$TMP/out.txt"
[ "$rc" = 0 ] || { cat "$TMP/err.txt" >&2; fail "exit code $rc, want 0"; }
check_schema "$TMP/report.json"
R=$TMP/report.json

expect_eq environment "$(json_get "$R" 'd["environment"]["kind"]')" rootless-podman
expect_eq "environment rootless" "$(json_get "$R" 'd["environment"]["rootless"]')" True
expect_eq "engine name" "$(json_get "$R" 'd["environment"]["engine_name"]')" "Podman Engine"
expect_eq exit_code "$(json_get "$R" 'd["exit_code"]')" 0

# direct paths: the container IP is routed through the default gateway, so
# nothing may be sent to it
for path in direct-icmp direct-tcp; do
	expect_eq "$path verdict" "$(json_get "$R" "p['$path']['verdict']")" unroutable
	expect_eq "$path mechanism" "$(json_get "$R" "p['$path']['mechanism']")" none
	expect_eq "$path not sent" "$(json_get "$R" "(p['$path']['local'], p['$path']['timings_ms']['total'], len(p['$path']['packets']))")" \
		"(None, None, 0)"
	json_get "$R" "p['$path']['detail']" | grep -q '^not sent' || fail "$path detail does not say 'not sent'"
done

expect_eq "published-loopback verdict" "$(json_get "$R" 'p["published-loopback"]["verdict"]')" reachable
# the engine side, through the agent in the container's network
expect_eq "agent used" "$(json_get "$R" 'd["environment"]["capture_agent"]["used"]')" True
note "agent: $(json_get "$R" 'd["environment"]["capture_agent"]')"
expect_point "$R" lo@container container
expect_both_sides "$R" lo@container
grep -q "^capture agent: on the engine's side, 2 points" "$TMP/out.txt" || fail "text report: no capture agent line"
# the process Podman 4.3 listens with on the published port (/usr/lib/podman/rootlessport)
expect_eq "published-loopback forwarder" "$(json_get "$R" 'p["published-loopback"]["forwarder"]["name"]')" rootlessport
fwd_pid=$(json_get "$R" 'p["published-loopback"]["forwarder"]["pid"]')
[ -n "$fwd_pid" ] && [ "$fwd_pid" -gt 0 ] || fail "forwarder pid '$fwd_pid'"
# a proxy re-originates the connection: the container did not see our socket
[ "$(json_get "$R" 'p["published-loopback"]["peer_seen"]')" != "$(json_get "$R" 'p["published-loopback"]["local"]')" ] ||
	fail "published-loopback: the container saw our own socket through a forwarder"

# nothing of this run crossed the host's outward interface
hostif=$(json_get "$R" 'd["environment"]["host_interface"]')
expect_eq "hops at host interface $hostif" \
	"$(json_get "$R" "sum(1 for x in d['paths'] for h in x['evidence'] + x['packets'] if h['capture_point'] == '$hostif')")" 0

expect_eq "all expected" "$(json_get "$R" 'all(x["expected"] for x in d["paths"])')" True
expect_eq "container removed" "$(json_get "$R" 'd["container"]["removed"]')" True
expect_eq "labelled containers left" "$(labelled_containers)" 0
[ -s "$TMP/run.pcapng" ] || fail "no pcapng written"

# SIGINT while the agent captures: nothing of the run is left in the lab
interrupt_while_agent_captures --engine "$NC_PODMAN_ENGINE"
expect_eq "labelled containers left after SIGINT" "$(labelled_containers)" 0

t0=$(date +%s%N)
bash "$LAB" down 2>/dev/null || fail "lab down failed"
note "lab down in $((($(date +%s%N) - t0) / 1000000)) ms"
echo "PASS lab-rootless-podman"
