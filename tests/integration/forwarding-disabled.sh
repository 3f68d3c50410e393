#!/bin/bash
# A host that does not forward (net.ipv4.ip_forward=0) breaks published-remote
# for real remote clients, and netcheck says so: its remote-client namespace
# no longer turns forwarding on for the run; its veth forwards as the uplink
# does (netcheck/platform/platform-netns.c).  The test switches forwarding off
# for the one run, with a trap that puts back, even on failure, every value
# the switch rewrites (conf/*/forwarding, conf/all/accept_redirects: the
# kernel's inet_forward_change()), and checks they are back.
#   published-remote: timeout, diagnosis forwarding-disabled, citing the
#   kernel's drop reason and the sysctl;
#   the host's own paths (direct, published-host) still work;
#   a watch's every cycle (3) says the same, citing the drop reason.
# Then one interface alone: the kernel forwards what comes in on a device
# by that device's own conf/<if>/forwarding, which writing ip_forward sets
# once and which may differ afterwards.  With ip_forward=1, the test's own
# bridge (a network it makes for a container of its own, so nobody else's
# traffic crosses it) is set to 0, restored by the same trap:
#   published-remote: timeout, forwarding-disabled naming that bridge and
#   its setting (net.ipv4.ip_forward is 1), the answers dropped on it.
source "$(dirname "$0")/lib.sh"
need_engine
need_root

CONF=/proc/sys/net/ipv4/conf
SAVED=$TMP/sysctls
# every value writing ip_forward changes: "FILE VALUE" per line
save_sysctls() {
	local f
	: >"$SAVED"
	for f in /proc/sys/net/ipv4/ip_forward "$CONF"/*/forwarding "$CONF"/all/accept_redirects "$CONF"/default/accept_redirects; do
		[ -e "$f" ] && printf '%s %s\n' "$f" "$(cat "$f")" >>"$SAVED"
	done
}
restore_sysctls() {
	local f v
	[ -s "$SAVED" ] || return 0
	# the global one first: it rewrites every interface's; then each as it was
	# (an interface gone meanwhile, another test's veth, is skipped)
	read -r f v <"$SAVED"
	echo "$v" >"$f" 2>/dev/null || true
	while read -r f v; do
		[ -e "$f" ] && { echo "$v" >"$f" 2>/dev/null || true; }
	done <"$SAVED"
}
# the per-interface case: its own network, bridge, container and image
tag=nctest-fwdif-$$
bridge=ncfw$$
BRIDGE_SYSCTL=$CONF/$bridge/forwarding
bridge_saved=
restore_bridge() {
	[ -n "$bridge_saved" ] && [ -e "$BRIDGE_SYSCTL" ] && { echo "$bridge_saved" >"$BRIDGE_SYSCTL" 2>/dev/null || true; }
	return 0
}
cleanup() {
	local rc=$?
	restore_sysctls
	restore_bridge
	group_remove "$tag"
	docker network rm "$tag" >/dev/null 2>&1 || true
	remove_images
	rm -rf "$TMP"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

save_sysctls
[ "$(cat /proc/sys/net/ipv4/ip_forward)" = 1 ] || prerequisite_missing "net.ipv4.ip_forward is 0 already (Docker sets it to 1)"

echo 0 >/proc/sys/net/ipv4/ip_forward
rc=0
COLUMNS=110 "$NETCHECK" run --no-capture --paths 'direct-tcp,published-host,published-remote' --json "$TMP/f.json" \
	>"$TMP/f.txt" 2>&1 || rc=$?
# a watch's cycles, in the same window: each cycle's witness (one drop-reason
# program for the whole watch, each cycle's flows given to it) sees the drop
watch_rc=0
NC_WATCH_MIN_INTERVAL_MS=50 "$NETCHECK" watch --no-capture --paths published-remote --timeout 1000 --count 3 \
	--interval 50ms --listen 127.0.0.1:0 --json "$TMP/w.ndjson" >"$TMP/w.txt" 2>&1 || watch_rc=$?
# back at once, before anything is checked
restore_sysctls
expect_eq "ip_forward restored" "$(cat /proc/sys/net/ipv4/ip_forward)" 1
while read -r f v; do
	[ -e "$f" ] || continue
	expect_eq "$f restored" "$(cat "$f")" "$v"
done <"$SAVED"

[ "$rc" = 1 ] || { cat "$TMP/f.txt" >&2; fail "exit $rc, want 1"; }
check_schema "$TMP/f.json"
expect_eq "direct-tcp" "$(json_get "$TMP/f.json" "p['direct-tcp']['verdict']")" reachable
expect_eq "published-host" "$(json_get "$TMP/f.json" "p['published-host']['verdict']")" reachable
expect_eq "published-remote" "$(json_get "$TMP/f.json" "p['published-remote']['verdict']")" timeout
expect_eq "published-remote diagnosis" "$(json_get "$TMP/f.json" "p['published-remote']['diagnosis']['code']")" \
	forwarding-disabled
json_get "$TMP/f.json" "[o for o in p['published-remote']['diagnosis']['observed'] if o['source'] == 'drop-reason']" \
	>"$TMP/drop.txt"
grep -q "IP_INADDRERRORS" "$TMP/drop.txt" || fail "no IP_INADDRERRORS drop cited: $(cat "$TMP/drop.txt")"
json_get "$TMP/f.json" "[o['text'] for o in p['published-remote']['diagnosis']['observed'] if o['source'] == 'sysctl']" |
	grep -q "net.ipv4.ip_forward = 0" || fail "the sysctl is not cited"
grep -q "published-remote: \[forwarding-disabled\] net.ipv4.ip_forward is 0 and the kernel dropped" "$TMP/f.txt" ||
	fail "the text has no diagnosis: $(cat "$TMP/f.txt")"
expect_eq "hint" "$(json_get "$TMP/f.json" "p['published-remote']['diagnosis']['hint']")" \
	"sysctl -w net.ipv4.ip_forward=1 (and make it stick in /etc/sysctl.d)"
note "the run's text (docs/diagnosis.md quotes it):"
sed 's/^/# /' "$TMP/f.txt" >&2
expect_eq "watch exit ($(tail -2 "$TMP/w.txt"))" "$watch_rc" 1
expect_eq "watch cycles" "$(wc -l <"$TMP/w.ndjson")" 3
# every cycle, not the first alone: the diagnosis and the drop reason it cites
expect_eq "each cycle's diagnosis and drop reason" "$($PY -c '
import json, sys
for line in open(sys.argv[1]):
    p = {x["name"]: x for x in json.loads(line)["paths"]}["published-remote"]
    d = p["diagnosis"] or {}
    print(d.get("code"), any(o["source"] == "drop-reason" and o.get("reason") == "IP_INADDRERRORS" for o in d.get("observed", [])))
' "$TMP/w.ndjson" | sort | uniq -c | sed 's/^ *//')" "3 forwarding-disabled True"

# -- conf/all on, the one interface that decides off
busybox_image "$tag-app:http" '["httpd","-f","-p","80","-h","/www"]'
docker network create -o "com.docker.network.bridge.name=$bridge" "$tag" >/dev/null || fail "cannot create $tag"
group_start "$tag" web --network "$tag" -p 80 "$tag-app:http"
[ -e "$BRIDGE_SYSCTL" ] || fail "no $BRIDGE_SYSCTL: the network's bridge is not $bridge"
expect_eq "ip_forward before the per-interface case" "$(cat /proc/sys/net/ipv4/ip_forward)" 1
bridge_saved=$(cat "$BRIDGE_SYSCTL")
expect_eq "$bridge forwarding before" "$bridge_saved" 1
echo 0 >"$BRIDGE_SYSCTL"
irc=0
COLUMNS=200 "$NETCHECK" probe "$tag-web" --timeout 1000 --paths 'published-host,published-remote' --json "$TMP/i.json" \
	>"$TMP/i.txt" 2>&1 || irc=$?
restore_bridge
expect_eq "$bridge forwarding restored" "$(cat "$BRIDGE_SYSCTL")" "$bridge_saved"
[ "$irc" = 1 ] || { cat "$TMP/i.txt" >&2; fail "per-interface: exit $irc, want 1"; }
check_schema "$TMP/i.json"
expect_eq "per-interface: published-host" "$(json_get "$TMP/i.json" "p['published-host']['verdict']")" reachable
expect_eq "per-interface: published-remote" "$(json_get "$TMP/i.json" "p['published-remote']['verdict']")" timeout
expect_eq "per-interface: diagnosis ($(cat "$TMP/i.txt"))" "$(diag "$TMP/i.json" published-remote)" forwarding-disabled
detail=$(json_get "$TMP/i.json" "p['published-remote']['diagnosis']['detail']")
[[ $detail == "net.ipv4.conf.$bridge.forwarding is 0 (net.ipv4.ip_forward is 1)"*"as they came in on $bridge"* ]] ||
	fail "per-interface: the detail does not name $bridge: $detail"
expect_eq "per-interface: the interface's setting cited" \
	"$(json_get "$TMP/i.json" "[o['value'] for o in p['published-remote']['diagnosis']['observed'] if o['source'] == 'sysctl' and o['name'] == 'net.ipv4.conf.$bridge.forwarding']")" \
	"['0']"
expect_eq "per-interface: hint" "$(json_get "$TMP/i.json" "p['published-remote']['diagnosis']['hint']")" \
	"sysctl -w net.ipv4.conf.$bridge.forwarding=1 (and make it stick in /etc/sysctl.d): setting net.ipv4.ip_forward once does not keep every interface's on"
note "per-interface: $detail"
echo "ok: forwarding-disabled is reported, not fixed, and names the interface that decides"
