#!/bin/bash
# Packet evidence of a native run: each path's trail in the JSON, and the
# pcapng read back by Wireshark's own tools (tshark, capinfos).
. "$(dirname "$0")/lib.sh"
need_root
need_engine
command -v tshark >/dev/null && command -v capinfos >/dev/null || prerequisite_missing "tshark/capinfos (Debian package tshark)"

rc=0
"$NETCHECK" run --require-capture --pcap "$TMP/run.pcapng" --json "$TMP/r.json" >"$TMP/out.txt" 2>"$TMP/err.txt" || rc=$?
[ "$rc" = 0 ] || { cat "$TMP/out.txt" "$TMP/err.txt" >&2; fail "exit $rc"; }
check_schema "$TMP/r.json"
J=$TMP/r.json
veth=$(json_get "$J" 'd["container"]["veth"]')
bridge=$(json_get "$J" 'd["container"]["bridge"]')
[ -n "$veth" ] && [ "$veth" != None ] || fail "no veth found for the container"
note "bridge $bridge, veth $veth"

expect_eq "every path captured" "$(json_get "$J" 'all(x["evidence_state"]=="captured" for x in d["paths"] if x["verdict"]!="skipped")')" True
# hops as (capture_point, leg) in trail order
hops() { json_get "$J" "[(h['capture_point'], h['leg']) for h in p['$1']['evidence']]"; }
has_hop() { # PATH POINT LEG
	json_get "$J" "any(h['capture_point']=='$2' and h['leg']=='$3' for h in p['$1']['evidence'])"
}

# loopback: lo (client) → docker-proxy → bridge/veth (proxy-to-container) → the container's eth0
expect_eq "published-loopback first hop" "$(json_get "$J" "(p['published-loopback']['evidence'][0]['capture_point'], p['published-loopback']['evidence'][0]['leg'])")" "('lo', 'client')"
expect_eq "published-loopback on the veth" "$(has_hop published-loopback "$veth" proxy-to-container)" True
expect_eq "published-loopback on the bridge" "$(has_hop published-loopback "$bridge" proxy-to-container)" True
expect_eq "published-loopback in the container" "$(has_hop published-loopback eth0@container proxy-to-container)" True
# host address: NAT seen on the veth (our source address and port, destination rewritten)
expect_eq "published-host translated on the veth" "$(has_hop published-host "$veth" translated)" True
expect_eq "published-host src is our socket" \
	"$(json_get "$J" "[h['src'] for h in p['published-host']['evidence'] if h['capture_point']=='$veth'][0]")" \
	"$(json_get "$J" "p['published-host']['local']")"
# direct: untranslated on the veth and in the container
expect_eq "direct-tcp untranslated on the veth" "$(has_hop direct-tcp "$veth" client)" True
expect_eq "direct-tcp in the container" "$(has_hop direct-tcp eth0@container client)" True
expect_eq "direct-tcp dst on the veth" \
	"$(json_get "$J" "[h['dst'] for h in p['direct-tcp']['evidence'] if h['capture_point']=='$veth'][0]")" \
	"$(json_get "$J" "p['direct-tcp']['target']")"
# nothing of this run left through the default-route interface
host_if=$(json_get "$J" 'd["environment"]["host_interface"]')
expect_eq "hops on $host_if" "$(json_get "$J" "sum(1 for x in d['paths'] for h in x['evidence'] if h['capture_point']=='$host_if')")" 0

# the text report shows the trail with the forwarder between the legs
grep -q "published-loopback: lo .*⇒ \[docker-proxy pid [0-9]*\] ⇒ $bridge" "$TMP/out.txt" || fail "text trail: $(grep published-loopback: "$TMP/out.txt")"

# pcapng: mode 0600, read back by capinfos and tshark
expect_eq "pcapng mode" "$(stat -c %a "$TMP/run.pcapng")" 600
capinfos -M "$TMP/run.pcapng" >"$TMP/capinfos.txt" 2>&1 || fail "capinfos cannot read the file: $(cat "$TMP/capinfos.txt")"
grep -q "pcapng" "$TMP/capinfos.txt" || fail "not pcapng"
grep -q "Capture application: *netcheck" "$TMP/capinfos.txt" || fail "no shb_userappl"
n_if=$(grep -c "^Interface #" "$TMP/capinfos.txt")
[ "$n_if" -ge 4 ] || fail "$n_if interfaces in the file, want >= 4 (lo, bridge, veth, eth0 in the container)"
grep -q "Name = $veth" "$TMP/capinfos.txt" || fail "no interface named $veth"
grep -q "Description = host veth of container" "$TMP/capinfos.txt" || fail "no veth description"
tshark -r "$TMP/run.pcapng" -T fields -e frame.interface_name -e frame.comment >"$TMP/frames.txt" 2>/dev/null
total=$(wc -l <"$TMP/frames.txt")
packets=$(grep -E "^Number of packets" "$TMP/capinfos.txt" | grep -oE '[0-9]+$')
expect_eq "tshark frames vs capinfos" "$total" "$packets"
grep -qP "^lo\tpath=published-loopback leg=client$" "$TMP/frames.txt" || fail "no lo client comment"
grep -qP "^$veth\tpath=published-loopback leg=proxy-to-container$" "$TMP/frames.txt" || fail "no proxy-to-container comment on $veth"
grep -qP "^$veth\tpath=published-host leg=translated$" "$TMP/frames.txt" || fail "no translated comment on $veth"
# the JSON's packet counts per path equal the file's comments per path
for path in direct-tcp published-loopback published-host; do
	in_file=$(grep -c "path=$path leg=" "$TMP/frames.txt" || true)
	in_json=$(json_get "$J" "len(p['$path']['packets'])")
	expect_eq "$path packets file vs JSON" "$in_file" "$in_json"
done
# drops are recorded per point and are 0 for a run this small
drops=$(grep -c "Number of stat entries" "$TMP/capinfos.txt" || true)
[ "$drops" -ge 1 ] || fail "no interface statistics blocks"

# classic pcap, for tools that read only that
"$NETCHECK" run --pcap "$TMP/run.pcap" --pcap-format pcap >/dev/null 2>&1 || fail "run with --pcap-format pcap failed"
capinfos -t "$TMP/run.pcap" | grep -q "pcap" || fail "not a pcap file"
capinfos -t "$TMP/run.pcap" | grep -q "pcapng" && fail "asked for pcap, got pcapng"
# run through sudo: the files belong to the invoking user (SUDO_UID/SUDO_GID)
SUDO_UID=65534 SUDO_GID=65534 "$NETCHECK" run --pcap "$TMP/sudo.pcapng" --json "$TMP/sudo.json" >/dev/null 2>&1 ||
	fail "run with SUDO_UID set failed"
expect_eq "pcapng owner" "$(stat -c %u:%g "$TMP/sudo.pcapng")" 65534:65534
expect_eq "json owner" "$(stat -c %u:%g "$TMP/sudo.json")" 65534:65534
expect_eq "privileges dropped" "$(json_get "$TMP/sudo.json" 'd["environment"]["privileges_dropped"]')" True
echo "PASS capture-run"
