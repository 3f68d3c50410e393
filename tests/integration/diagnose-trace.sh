#!/bin/bash
# The kernel's witness in real runs (issue 17): the nftables trace of the
# run's own packets names the rule, the drop reasons name what netfilter
# did not do.  Each case with a rule or setting of the test's own, scoped
# to netcheck's remote-client range (198.18.0.0/15) and a host port picked
# here (--host-port); a rule is removed by its handle, never a flush, a
# sysctl restored at once by a trap:
#   - a DROP in DOCKER-USER (iptables-nft, Docker's recommended
#     `-m conntrack --ctorigdstport`, an xt match the ruleset reader cannot
#     evaluate) → dropped, nftrace observation naming chain and handle
#   - the same with a native nft comment → the comment in the observation
#   - a REJECT with tcp-reset there → rejected
#   - netcheck watch under that DROP: every cycle's published-remote traced
#   - a run killed (SIGTERM, SIGKILL) while its trace table is in → no
#     netcheck_trace_ table left
# After each: the host's ruleset (minus counters) and sysctls as before,
# no trace table left.
. "$(dirname "$0")/lib.sh"
need_root
need_engine
need_docker_user

added_handle=""
cleanup() {
	[ -n "$added_handle" ] && nft delete rule ip filter DOCKER-USER handle "$added_handle" 2>/dev/null
	[ -n "${run_pid:-}" ] && kill -9 "$run_pid" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

settings() { sysctl -n net.ipv4.ip_forward net.ipv6.conf.all.forwarding net.ipv4.conf.all.route_localnet; }
trace_tables() { nft list tables 2>/dev/null | grep -c netcheck_trace_ || true; }
ruleset_before=$(ruleset)
settings_before=$(settings)
expect_eq "trace tables before" "$(trace_tables)" 0

as_before() { # WHAT
	[ "$(ruleset)" = "$ruleset_before" ] || fail "$1: the ruleset is not as before: $(diff <(echo "$ruleset_before") <(ruleset))"
	expect_eq "$1: sysctls as before" "$(settings)" "$settings_before"
	expect_eq "$1: trace tables left" "$(trace_tables)" 0
}
add_rule() { # the new rule's handle in added_handle; args: the nft rule or "iptables ARGS..."
	local before after
	before=$(docker_user_handles)
	if [ "$1" = iptables ]; then
		shift
		iptables -w -I DOCKER-USER "$@"
	else
		nft insert rule ip filter DOCKER-USER "$@"
	fi
	after=$(docker_user_handles)
	added_handle=$(comm -13 <(echo "$before") <(echo "$after"))
	[ -n "$added_handle" ] || fail "the test's rule has no handle"
}
remove_rule() {
	nft delete rule ip filter DOCKER-USER handle "$added_handle" 2>/dev/null
	added_handle=""
}
free_port() { $PY -c 'import socket; s=socket.socket(); s.bind(("0.0.0.0",0)); print(s.getsockname()[1])'; }
observed() { # FILE PATH SOURCE FIELD → that field of each observation of SOURCE, one a line
	json_get "$1" "'\\n'.join(str(o.get('$4')) for o in (p['$2']['diagnosis'] or {}).get('observed', []) if o['source'] == '$3')"
}

# -- Docker's recommended DOCKER-USER rule (xt conntrack match), DROP
hp=$(free_port)
add_rule iptables -s 198.18.0.0/15 -p tcp -m conntrack --ctorigdstport "$hp" -m comment --comment "nctest-trace-$$" -j DROP
handle=$added_handle
rc=0
"$NETCHECK" run --host-port "$hp" --timeout 1000 --json "$TMP/d.json" >"$TMP/d.txt" 2>&1 || rc=$?
remove_rule
as_before "DROP"
expect_eq "DROP exit ($(tail -3 "$TMP/d.txt"))" "$rc" 1
check_schema "$TMP/d.json"
expect_eq "DROP: witness note" "$(json_get "$TMP/d.json" "d['environment']['witness_note']")" ""
expect_eq "DROP: published-host unaffected" "$(json_get "$TMP/d.json" "p['published-host']['verdict']")" reachable
expect_eq "DROP: published-remote" "$(json_get "$TMP/d.json" "p['published-remote']['verdict']")" timeout
expect_eq "DROP: diagnosis" "$(diag "$TMP/d.json" published-remote)" dropped
expect_eq "DROP: nftrace chain" "$(observed "$TMP/d.json" published-remote nftrace chain)" DOCKER-USER
expect_eq "DROP: nftrace handle" "$(observed "$TMP/d.json" published-remote nftrace handle)" "$handle"
expect_eq "DROP: nftrace verdict" "$(observed "$TMP/d.json" published-remote nftrace verdict)" drop
expect_eq "DROP: nftrace family/table" \
	"$(observed "$TMP/d.json" published-remote nftrace family) $(observed "$TMP/d.json" published-remote nftrace table)" "ip filter"
detail=$(json_get "$TMP/d.json" "p['published-remote']['diagnosis']['detail']")
case "$detail" in
*"rule handle $handle in ip filter DOCKER-USER dropped"*) ;;
*) fail "DROP detail: $detail" ;;
esac
note "DROP (xt conntrack), published-remote: $detail"
grep -q "observed (nftrace)" "$TMP/d.txt" || fail "the text report shows no nftrace observation: $(cat "$TMP/d.txt")"

# -- a watch traces every cycle, not the first alone: three cycles under the
#    same DROP, each published-remote dropped with the rule's trace
hp=$(free_port)
add_rule iptables -s 198.18.0.0/15 -p tcp -m conntrack --ctorigdstport "$hp" -m comment --comment "nctest-trace-$$" -j DROP
handle=$added_handle
rc=0
timeout 60 "$NETCHECK" watch --host-port "$hp" --timeout 1000 --interval 1s --count 3 --metrics-file "$TMP/w.prom" \
	--json "$TMP/w.ndjson" >"$TMP/w.txt" 2>&1 || rc=$?
remove_rule
as_before "watch"
expect_eq "watch: cycles ($(tail -3 "$TMP/w.txt"))" "$(wc -l <"$TMP/w.ndjson")" 3
traced=$($PY -c '
import json, sys
for line in open(sys.argv[1]):
    c = json.loads(line)
    p = {x["name"]: x for x in c["paths"]}["published-remote"]
    d = p["diagnosis"] or {}
    obs = [o for o in d.get("observed", []) if o["source"] == "nftrace" and str(o.get("handle")) == sys.argv[2]]
    print(c["cycle"], d.get("code"), len(obs) > 0)
' "$TMP/w.ndjson" "$handle")
expect_eq "watch: every cycle traced" "$traced" "$(printf '1 dropped True\n2 dropped True\n3 dropped True')"
# failing from the first cycle, it never changes state: one line says so then
expect_eq "watch: lines for published-remote ($(cat "$TMP/w.txt"))" "$(grep -c '^netcheck: published-remote: dropped' "$TMP/w.txt")" 1

# -- the same with nft's own comment: the comment is the rule's text too
hp=$(free_port)
add_rule ip saddr 198.18.0.0/15 tcp dport 80 ct original proto-dst "$hp" counter drop comment "\"nctest-trace-$$ keep remote out\""
rc=0
"$NETCHECK" run --host-port "$hp" --timeout 1000 --json "$TMP/c.json" >"$TMP/c.txt" 2>&1 || rc=$?
remove_rule
as_before "DROP with comment"
expect_eq "comment: exit" "$rc" 1
expect_eq "comment: diagnosis" "$(diag "$TMP/c.json" published-remote)" dropped
case "$(observed "$TMP/c.json" published-remote nftrace rule)" in
*"comment \"nctest-trace-$$ keep remote out\""*) ;;
*) fail "comment not in the observed rule: $(json_get "$TMP/c.json" "p['published-remote']['diagnosis']")" ;;
esac
case "$(json_get "$TMP/c.json" "p['published-remote']['diagnosis']['detail']")" in
*"nctest-trace-$$ keep remote out"*) ;;
*) fail "comment not in the detail: $(json_get "$TMP/c.json" "p['published-remote']['diagnosis']['detail']")" ;;
esac
cp "$TMP/c.txt" "${NC_TRACE_SAMPLES:-$TMP}/dropped.txt" 2>/dev/null || true

# -- a REJECT with tcp-reset: rejected, named, never put on the forwarder
hp=$(free_port)
add_rule iptables -s 198.18.0.0/15 -p tcp -m conntrack --ctorigdstport "$hp" -m comment --comment "nctest-trace-$$" \
	-j REJECT --reject-with tcp-reset
handle=$added_handle
rc=0
"$NETCHECK" run --host-port "$hp" --timeout 1000 --json "$TMP/r.json" >"$TMP/r.txt" 2>&1 || rc=$?
remove_rule
as_before "REJECT"
expect_eq "REJECT exit" "$rc" 1
expect_eq "REJECT: published-remote" "$(json_get "$TMP/r.json" "p['published-remote']['verdict']")" refused
expect_eq "REJECT: diagnosis" "$(diag "$TMP/r.json" published-remote)" rejected
expect_eq "REJECT: nftrace handle" "$(observed "$TMP/r.json" published-remote nftrace handle)" "$handle"
expect_eq "REJECT: nftrace verdict" "$(observed "$TMP/r.json" published-remote nftrace verdict)" reject
note "REJECT, published-remote: $(json_get "$TMP/r.json" "p['published-remote']['diagnosis']['detail']")"
cp "$TMP/r.txt" "${NC_TRACE_SAMPLES:-$TMP}/rejected.txt" 2>/dev/null || true

# (net.ipv4.ip_forward=0 cannot be shown here: the remote client's namespace
#  turns it on for the run and back off after, platform-netns.c; the policy's
#  forwarding-disabled is held by test-policy.c from recorded drop reasons)

# -- a run killed while its trace table is in: nothing left.  The remote
#    client's SYN is dropped, so the run waits in its probes (8 s).
for sig in TERM KILL; do
	hp=$(free_port)
	add_rule iptables -s 198.18.0.0/15 -p tcp -m conntrack --ctorigdstport "$hp" -m comment --comment "nctest-trace-$$" -j DROP
	"$NETCHECK" run --host-port "$hp" --timeout 8000 >"$TMP/k.txt" 2>&1 &
	run_pid=$!
	seen=0
	for _ in $(seq 1 300); do
		[ "$(trace_tables)" -gt 0 ] && seen=1 && break
		sleep 0.05
	done
	[ "$seen" = 1 ] || fail "SIG$sig: the run's trace table never appeared"
	kill -"$sig" "$run_pid"
	wait "$run_pid" || true
	run_pid=""
	remove_rule
	[ "$sig" = KILL ] && "$NETCHECK" gc >/dev/null 2>&1 # the container a SIGKILL left behind
	expect_eq "SIG$sig: trace tables left" "$(trace_tables)" 0
	as_before "SIG$sig"
done
