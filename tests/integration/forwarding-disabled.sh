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
cleanup() {
	local rc=$?
	restore_sysctls
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
echo "ok: forwarding-disabled is reported, not fixed"
