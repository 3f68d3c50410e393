#!/bin/bash
# Without CAP_NET_RAW: one line says packets are not captured, the probes
# still run, the evidence is marked not captured; with --require-capture,
# exit 77 and nothing left behind.
. "$(dirname "$0")/lib.sh"
need_root
need_engine
command -v setpriv >/dev/null || prerequisite_missing "setpriv (util-linux)"

drop() { setpriv --bounding-set -net_raw,-sys_admin --inh-caps -net_raw,-sys_admin -- "$@"; }
before=$(labelled_containers)
rc=0
drop "$NETCHECK" run --json "$TMP/r.json" >"$TMP/out" 2>"$TMP/err" || rc=$?
expect_eq "exit without capture" "$rc" 0
grep -q "not captured" "$TMP/err" || fail "stderr does not say capture is off: $(cat "$TMP/err")"
expect_eq "notice lines" "$(grep -c "not captured" "$TMP/err")" 1
expect_eq "evidence state" "$(json_get "$TMP/r.json" 'p["direct-tcp"]["evidence_state"]')" not-captured
expect_eq "direct-tcp still probed" "$(json_get "$TMP/r.json" 'p["direct-tcp"]["verdict"]')" reachable
expect_eq "icmp without raw socket" "$(json_get "$TMP/r.json" 'p["direct-icmp"]["verdict"]')" skipped

rc=0
drop "$NETCHECK" run --require-capture --pcap "$TMP/x.pcapng" >"$TMP/out" 2>"$TMP/err" || rc=$?
expect_eq "exit with --require-capture" "$rc" 77
expect_eq "stderr lines" "$(wc -l <"$TMP/err")" 1
grep -q "CAP_NET_RAW" "$TMP/err" || fail "message: $(cat "$TMP/err")"
[ ! -e "$TMP/x.pcapng" ] || fail "a pcapng was left behind"
expect_eq "containers left" "$(labelled_containers)" "$before"
echo "PASS capture-noprivilege"
