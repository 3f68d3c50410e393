#!/bin/bash
# docker-proxy's onward connection to the container is attributed even when
# no nonce rides it: an app that accepts and never answers, probed with
# --http (GET /, no nonce), behind a published port.  The forwarder's leg to
# the container must be in the path's trail and the pcapng, and the
# diagnosis must say the data reached the container (no-answer), not that
# the host's netfilter dropped it.  Also: netcheck's own control
# connections carry leg=control in the pcapng, never "not attributed".
# And -v prints what tcpdump prints: each of its packet lines is one that
# `tcpdump -nn -r` prints for the same file (time, addresses, flags, length).
. "$(dirname "$0")/lib.sh"
need_root
need_engine

cleanup() {
	remove_images
	rm -rf "$TMP"
}
trap cleanup EXIT

# accepts, reads nothing, answers nothing
busybox_image nctest-app:silent '["nc","-ll","-p","80","-e","sleep","30"]'

command -v tcpdump >/dev/null 2>&1 || prerequisite_missing "tcpdump (tests/setup.sh test)"

rc=0
"$NETCHECK" run -v --image nctest-app:silent --port 80 --http --timeout 1500 \
	--json "$TMP/s.json" --pcap "$TMP/s.pcapng" >"$TMP/s.txt" 2>&1 || rc=$?
[ -s "$TMP/s.json" ] || { cat "$TMP/s.txt" >&2; fail "no JSON report (exit $rc)"; }
check_schema "$TMP/s.json"

# the published paths that went through docker-proxy (a proxy-to-container
# leg) must not be "dropped"; at least one such path must exist
proxied=$(json_get "$TMP/s.json" "' '.join(n for n, x in p.items() if any(h['leg'] == 'proxy-to-container' for h in x.get('evidence', [])))")
note "paths with a proxy-to-container leg: ${proxied:-none}"
[ -n "$proxied" ] || { cat "$TMP/s.txt" >&2; fail "no path has docker-proxy's onward leg attributed"; }
for path in $proxied; do
	code=$(json_get "$TMP/s.json" "(p['$path']['diagnosis'] or {}).get('code')")
	note "$path: $code"
	[ "$code" != dropped ] || { cat "$TMP/s.txt" >&2; fail "$path diagnosed dropped although the data reached the container"; }
	expect_eq "$path diagnosis" "$code" no-answer
	legs=$(json_get "$TMP/s.json" "' '.join(o.get('leg') or '' for o in p['$path']['diagnosis']['observed'] if o['source'] == 'capture')")
	case " $legs " in *" proxy-to-container "*) ;; *) fail "$path: no capture observation names the proxy-to-container leg ($legs)";; esac
done

# Without --http the probes send nothing: only time ties docker-proxy's onward connection to
# a probe.  127.0.0.1 and [::1] go through two docker-proxy processes; probed at once, each
# onward SYN fell in both probes' windows and went to neither (5 runs in 8 lost the leg), and
# the remote client's NAT'd probe, open at the same time, counted as a candidate too.  Every
# loopback path that is reachable through a proxy must have its own onward leg, every time.
for i in 1 2 3; do
	"$NETCHECK" run --image nctest-app:silent --port 80 --timeout 1500 --json "$TMP/q$i.json" >"$TMP/q$i.txt" 2>&1 ||
		note "silent run $i: exit $?"
	for path in published-loopback published-loopback6; do
		[ "$(json_get "$TMP/q$i.json" "'$path' in p and p['$path']['mechanism'] == 'proxy'")" = True ] || continue
		expect_eq "run $i: $path has its proxy-to-container leg" \
			"$(json_get "$TMP/q$i.json" "any(h['leg'] == 'proxy-to-container' for h in p['$path']['evidence'])")" True
	done
done
expect_eq "run 1: published-loopback through the proxy" \
	"$(json_get "$TMP/q1.json" "p['published-loopback']['mechanism']")" proxy

# every packet in the file is attributed or described: none of the run's
# own TCP connections is left "not attributed"
if command -v tshark >/dev/null 2>&1; then
	unattr=$(tshark -r "$TMP/s.pcapng" -Y 'tcp && frame.comment contains "not attributed"' 2>/dev/null | wc -l)
	note "TCP packets not attributed: $unattr"
	expect_eq "TCP packets not attributed" "$unattr" 0
fi
python3 "$NC_SRC/tests/check-tcpdump-lengths.py" "$TMP/s.txt" "$TMP/s.pcapng" >&2 ||
	fail "-v does not print what tcpdump prints"
note "ok"
