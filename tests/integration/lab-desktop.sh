#!/bin/bash
# A whole `netcheck run` against the Docker-Desktop-like lab (tests/labs/desktop-lab.sh):
# the engine's containers live in a namespace this host does not route into and a
# host process (socat) forwards the published port.  netcheck must call the
# environment not-attached, refuse the direct probes (their route is the default
# gateway's), reach the published port through socat, and put nothing for the
# lab's container network on the default-route interface.  This host's capture only
# (--capture-via host): lab-desktop-agent.sh is the same lab through the capture agent.
. "$(dirname "$0")/lib.sh"
need_root

LAB=$NC_SRC/tests/labs/desktop-lab.sh
LAB_NET=10.251.0.0/24 # the lab's --bip network
LAB_HOST_SIDE=10.250.250.1 # the host's end of the veth: the forwarder's onward source
LAB_VM=10.250.250.2 # the VM's end: its name server for the containers
LAB_HOST_INTERNAL=10.250.250.254 # what the lab's name server answers for host.docker.internal
for c in ip nsenter unshare dockerd socat tshark; do
	command -v $c >/dev/null || prerequisite_missing "$c is not installed (tests/setup.sh installs it)"
done
SOCK=$(bash "$LAB" env)
SOCK=${SOCK#unix://}

lab_down() {
	local rc=$? t0
	if [ "$rc" != 0 ]; then
		note "lab logs (rc $rc):"
		tail -n 15 /var/log/nc-vm/dockerd.log /var/log/nc-vm/forwarder.log >&2 2>/dev/null || true
	fi
	t0=$(date +%s%N)
	timeout 120 bash "$LAB" down 2>/dev/null || note "lab down failed"
	note "lab down: $((($(date +%s%N) - t0) / 1000000)) ms"
	rm -rf "$TMP"
	exit "$rc"
}
trap lab_down EXIT

t0=$(date +%s%N)
timeout 150 bash "$LAB" up || fail "the desktop lab did not come up"
note "lab up: $((($(date +%s%N) - t0) / 1000000)) ms"

# the lab's premise: this host reaches the lab's containers only through its default route (or not at all)
lab_route=$(ip -4 route get "${LAB_NET%.0/*}.2" 2>&1 || true)
gateway=$(ip -4 route show default | awk '{for (i = 1; i < NF; i++) if ($i == "via") { print $(i + 1); exit }}')
note "host route to the lab's containers: $lab_route"

before=$(labelled_containers)
rc=0
"$NETCHECK" run --engine "unix://$SOCK" --capture-via host --json "$TMP/report.json" --pcap "$TMP/run.pcapng" --no-color \
	>"$TMP/out.txt" 2>"$TMP/err.txt" || rc=$?
cat "$TMP/out.txt"
[ -s "$TMP/report.json" ] || { cat "$TMP/err.txt" >&2; fail "no JSON report (exit code $rc)"; }
check_schema "$TMP/report.json"
R=$TMP/report.json

expect_eq environment "$(json_get "$R" 'd["environment"]["kind"]')" not-attached
expect_eq "bridge attached" "$(json_get "$R" 'd["environment"]["bridge_attached"]')" False
container_ip=$(json_get "$R" 'd["container"]["ip"]')
[[ $container_ip == "${LAB_NET%.0/*}".* ]] || fail "container ip $container_ip is not in the lab's $LAB_NET"

# the direct paths: refused before sending, because the route is the gateway's
for path in direct-icmp direct-tcp; do
	expect_eq "$path verdict" "$(json_get "$R" "p['$path']['verdict']")" unroutable
	expect_eq "$path mechanism" "$(json_get "$R" "p['$path']['mechanism']")" none
	route=$(json_get "$R" "p['$path']['route']")
	if [ -n "$gateway" ]; then
		[[ $route == *"via $gateway "* ]] || fail "$path route '$route' does not name the gateway $gateway"
	fi
	detail=$(json_get "$R" "p['$path']['detail']")
	[[ $detail == "not sent"* ]] || fail "$path detail '$detail' does not say it was not sent"
	expect_eq "$path packets" "$(json_get "$R" "len(p['$path'].get('packets') or [])")" 0
	expect_eq "$path peer" "$(json_get "$R" "p['$path']['peer_seen']")" None
done

# the published paths: through the lab's forwarder, whose onward leg this host does not attribute
socat_pids=$(sed -n 's/.*(socat pids \(.*\))$/\1/p' /var/log/nc-vm/forwarder.log | tr '\n' ' ')
for path in published-loopback published-loopback6 published-host; do
	[ "$(json_get "$R" "'$path' in p")" = True ] || {
		[ "$path" = published-loopback ] && fail "no $path path"
		note "no $path path"
		continue
	}
	expect_eq "$path verdict" "$(json_get "$R" "p['$path']['verdict']")" reachable
	expect_eq "$path forwarder" "$(json_get "$R" "(p['$path']['forwarder'] or {}).get('name')")" socat
	fwd_pid=$(json_get "$R" "(p['$path']['forwarder'] or {}).get('pid')")
	[[ " $socat_pids " == *" $fwd_pid "* ]] || fail "$path forwarder pid $fwd_pid is not one of the lab's socats ($socat_pids)"
	expect_eq "$path mechanism" "$(json_get "$R" "p['$path']['mechanism']")" out-of-sight
	# the container saw the forwarder's onward connection, from the host's end of the veth
	peer=$(json_get "$R" "p['$path']['peer_seen']")
	[[ $peer == "$LAB_HOST_SIDE:"* ]] || fail "$path peer seen '$peer', want $LAB_HOST_SIDE:*"
done

# container-to-host as on Desktop: netcheck added no host-gateway (the bridge's gateway is not
# this host's), the engine's name server (the lab's, on the VM's address) gave host.docker.internal
# the lab's 10.250.250.254, and the connection arrived on this host's loopback from the lab's
# forwarder (a process here), not from the container
C2H="p['container-to-host']"
expect_eq "container-to-host verdict" "$(json_get "$R" "$C2H['verdict']")" reachable
expect_eq "container-to-host resolved" \
	"$(json_get "$R" "$C2H['resolved']['address'] + ' ' + $C2H['resolved']['by']")" "$LAB_HOST_INTERNAL dns $LAB_VM"
expect_eq "container-to-host arrival" \
	"$(json_get "$R" "(lambda a: '%s %s %d %s %s' % (a['via'], a['interface'], a['connections'], a['listener'].rsplit(':', 1)[0], a['peer'].rsplit(':', 1)[0]))($C2H['arrival'])")" \
	"forwarder lo 1 127.0.0.1 127.0.0.1"
# (the container's side of the forwarder is not captured here: lab-desktop-agent.sh has it)
expect_eq "container-to-host mechanism" "$(json_get "$R" "$C2H['mechanism']")" out-of-sight
# the peer the listener saw is the forwarder's own connection, as its log says
c2h_peer=$(json_get "$R" "$C2H['peer_seen']")
grep -q "host.docker.internal: .* -> $LAB_HOST_INTERNAL:[0-9]* carried to 127.0.0.1:[0-9]* from $c2h_peer\$" /var/log/nc-vm/forwarder.log ||
	fail "the lab's forwarder did not carry the connection from $c2h_peer: $(grep host.docker.internal /var/log/nc-vm/forwarder.log)"
# (the text wraps to the terminal: read it as one line)
tr -s ' \n' ' ' <"$TMP/out.txt" | grep -q "container-to-host: arrived at 127.0.0.1:[0-9]* (lo) from $c2h_peer: through a forwarder on this host" ||
	fail "the text does not say where container-to-host arrived: $(grep container-to-host "$TMP/out.txt")"

# the fault people meet: the name resolves, and nothing brings the connection here.  Without the
# lab's REDIRECT rule, 10.250.250.254 leads through the VM's default route to this host, which
# forwards nothing from the VM: host-not-reached, resting on the resolver's answer and the
# listener's count (the rule is put back; the namespace goes with the lab anyway)
REDIRECT_RULE=(-d "$LAB_HOST_INTERNAL/32" -p tcp -m comment --comment netcheck-desktop-lab -j REDIRECT --to-ports 61999)
ip netns exec nc-vm iptables -w 5 -t nat -D PREROUTING "${REDIRECT_RULE[@]}" ||
	fail "the lab has no REDIRECT rule for $LAB_HOST_INTERNAL"
frc=0
"$NETCHECK" run --engine "unix://$SOCK" --capture-via host --paths container-to-host --timeout 1000 \
	--json "$TMP/fault.json" --no-color >"$TMP/fault.txt" 2>&1 || frc=$?
ip netns exec nc-vm iptables -w 5 -t nat -I PREROUTING 1 "${REDIRECT_RULE[@]}" || fail "cannot put the REDIRECT rule back"
F="p['container-to-host']"
expect_eq "fault: exit code" "$frc" 1
expect_eq "fault: diagnosis" "$(json_get "$TMP/fault.json" "$F['diagnosis']['code']")" host-not-reached
expect_eq "fault: resolved" "$(json_get "$TMP/fault.json" "$F['resolved']['address']")" "$LAB_HOST_INTERNAL"
expect_eq "fault: arrival" \
	"$(json_get "$TMP/fault.json" "(lambda a: '%s %d %s' % (a['interface'], a['connections'], a['via']))($F['arrival'])")" "lo 0 None"
expect_eq "fault: observed" \
	"$(json_get "$TMP/fault.json" "' '.join(o['source'] for o in $F['diagnosis']['observed'])")" "engine socket"
tr -s ' \n' ' ' <"$TMP/fault.txt" | grep -q "host.docker.internal resolved to $LAB_HOST_INTERNAL (dns $LAB_VM) in the container, but no connection arrived" ||
	fail "the text does not say the name resolved and nothing arrived: $(cat "$TMP/fault.txt")"

# the kernel: the lab's dockerd runs in namespaces of this host's kernel, so the responder's boot
# id is this host's (a real Desktop's VM has its own: docs/environments.md)
expect_eq "kernel same_boot (the lab shares this kernel)" "$(json_get "$R" 'd["environment"]["kernel"]["same_boot"]')" True
expect_eq "container's boot id" "$(json_get "$R" 'd["environment"]["kernel"]["container_boot_id"]')" "$(cat /proc/sys/kernel/random/boot_id)"
grep -q "^kernel: the same kernel instance as this host, in network namespaces" "$TMP/out.txt" ||
	fail "the text has no kernel line for the lab: $(grep '^kernel' "$TMP/out.txt")"

expect_eq "all expected" "$(json_get "$R" 'all(x["expected"] for x in d["paths"])')" True
expect_eq exit_code "$(json_get "$R" 'd["exit_code"]')" 0
[ "$rc" = 0 ] || { cat "$TMP/err.txt" >&2; fail "exit code $rc, want 0"; }
expect_eq "container removed" "$(json_get "$R" 'd["container"]["removed"]')" True
expect_eq "labelled containers left in the lab" "$(labelled_containers)" "$before"

# nothing for the lab's containers on the default-route interface: no hop in the JSON ...
host_if=$(json_get "$R" 'd["environment"]["host_interface"]')
[ -n "$host_if" ] || fail "environment.host_interface is empty"
expect_eq "hops on $host_if" \
	"$(json_get "$R" "sum(1 for x in d['paths'] for h in x['evidence'] if h['capture_point'] == '$host_if')")" 0
expect_eq "packets on $host_if" \
	"$(json_get "$R" "sum(1 for x in d['paths'] for k in x.get('packets') or [] if k['capture_point'] == '$host_if')")" 0
# ... and none in the pcapng on the interface described as the default-route interface
# (from the interface blocks: an interface without packets has no frame to name it)
idbs=$(capinfos "$TMP/run.pcapng" 2>/dev/null) || fail "capinfos cannot read the pcapng"
if_id=$(awk '/^Interface #[0-9]+ info:/ { n = $2; gsub(/[#:]/, "", n) }
	/Description = default-route interface/ { print n; exit }' <<<"$idbs")
[ -n "$if_id" ] || fail "the pcapng has no interface described as the default-route interface"
n=$(tshark -r "$TMP/run.pcapng" -Y "frame.interface_id == $if_id && (ip.addr == $LAB_NET)" -T fields -e frame.number 2>/dev/null | wc -l)
expect_eq "pcapng packets for $LAB_NET on the default-route interface (#$if_id)" "$n" 0
n_any=$(tshark -r "$TMP/run.pcapng" -Y "frame.interface_id == $if_id" -T fields -e frame.number 2>/dev/null | wc -l)
note "pcapng: $(tshark -r "$TMP/run.pcapng" -T fields -e frame.number 2>/dev/null | wc -l) packets, $n_any on the default-route interface $host_if"

echo "PASS lab-desktop"
