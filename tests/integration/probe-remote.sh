#!/bin/bash
# `netcheck probe CONTAINER` tries the path other machines use (issue 17,
# item 5): a client in netcheck's remote-client namespace (198.18.0.0/15)
# to every published TCP and UDP port, per publish address.  Two containers
# of the test's own from the suite's responder image:
#   - "open": -p HP:80 -p HP:80/udp (every address)
#       without a rule → published-remote and published-remote-udp reachable, exit 0
#       with a DOCKER-USER DROP of the test's own for remote clients of HP/tcp
#       → published-remote unreachable, diagnosis dropped naming that rule
#       (nftrace: chain DOCKER-USER, its handle, its text), exit 1;
#       published-host and published-remote-udp unaffected
#       with --skip 'published-remote*' → no remote path, no namespace, exit 0
#   - "loopback": -p 127.0.0.1::80 → published-remote expected unreachable
#       (not a failure: exit 0), diagnosed published-elsewhere
# The rule carries the comment netcheck-test-<pid>, is scoped to the
# remote range and HP, and is removed by its exact spec (trap too; never a
# flush).  Afterwards the host's ruleset (minus counters) is as before.
. "$(dirname "$0")/lib.sh"
need_root
need_engine
need_docker_user

tag=nctest-remote-$$
comment=netcheck-test-$$
hp=$($PY -c 'import socket; s=socket.socket(); s.bind(("0.0.0.0",0)); print(s.getsockname()[1])')
rule=(DOCKER-USER -s 198.18.0.0/15 -p tcp -m conntrack --ctorigdstport "$hp" -m comment --comment "$comment" -j DROP)
rule_in=0
cleanup() {
	if [ "$rule_in" = 1 ]; then iptables -w -D "${rule[@]}" 2>/dev/null || true; fi
	group_remove "$tag"
	rm -rf "$TMP"
}
trap cleanup EXIT

namespaces() { ip netns list 2>/dev/null | grep -c '^netcheck-' || true; }
verdict() { json_get "$1" "p['$2']['verdict']"; }
observed() { # FILE PATH SOURCE FIELD → that field of each observation of SOURCE, one a line
	json_get "$1" "'\\n'.join(str(o.get('$4')) for o in (p['$2']['diagnosis'] or {}).get('observed', []) if o['source'] == '$3')"
}
probe() { # NAME OUT [ARGS...]: rc in $rc, the report in $TMP/OUT.json / .txt
	local name=$1 out=$2
	shift 2
	rc=0
	"$NETCHECK" probe "$tag-$name" --timeout 1000 --json "$TMP/$out.json" "$@" >"$TMP/$out.txt" 2>&1 || rc=$?
}

ruleset_start=$(ruleset)
img=$(responder_image)
[ -n "$img" ] || fail "no responder image"
group_start "$tag" open -p "$hp:80" -p "$hp:80/udp" "$img" /responder 80
group_start "$tag" loopback -p 127.0.0.1::80 "$img" /responder 80
for name in open loopback; do # listening before the first probe (bounded: 5 s)
	for _ in $(seq 50); do
		docker logs "$tag-$name" 2>&1 | grep -q . && break
		sleep 0.1
	done
done
ns_before=$(namespaces)
ruleset_before=$(ruleset) # Docker's rules for the two containers are in it now

# -- every address, no rule: the remote paths reach the container
probe open open
expect_eq "open exit ($(tail -3 "$TMP/open.txt"))" "$rc" 0
check_schema "$TMP/open.json"
expect_eq "open: published-remote" "$(verdict "$TMP/open.json" published-remote)" reachable
expect_eq "open: published-remote-udp" "$(verdict "$TMP/open.json" published-remote-udp)" reachable
json_get "$TMP/open.json" "p['published-remote']['target']" | grep -q ":$hp$" ||
	fail "open: published-remote not at port $hp: $(cat "$TMP/open.txt")"
json_get "$TMP/open.json" "p['published-remote']['local']" | grep -q '^198\.1[89]\.' ||
	fail "open: published-remote not from the remote range: $(json_get "$TMP/open.json" "p['published-remote']['local']")"
json_get "$TMP/open.json" "p['published-remote-udp']['local']" | grep -q '^198\.1[89]\.' ||
	fail "open: published-remote-udp not from the remote range"
expect_eq "open: namespaces left" "$(namespaces)" "$ns_before"

# -- a DOCKER-USER rule that keeps remote clients out of HP/tcp; its handle (the new one) names it
handles_before=$(docker_user_handles)
iptables -w -I "${rule[@]}"
rule_in=1
handle=$(comm -13 <(echo "$handles_before") <(docker_user_handles))
[ -n "$handle" ] || fail "the test's rule has no handle"
probe open dropped
iptables -w -D "${rule[@]}"
rule_in=0
[ "$(ruleset)" = "$ruleset_before" ] ||
	fail "the ruleset is not as before the rule: $(diff <(echo "$ruleset_before") <(ruleset))"
expect_eq "dropped exit ($(tail -3 "$TMP/dropped.txt"))" "$rc" 1
check_schema "$TMP/dropped.json"
expect_eq "dropped: published-remote" "$(verdict "$TMP/dropped.json" published-remote)" timeout
expect_eq "dropped: diagnosis" "$(diag "$TMP/dropped.json" published-remote)" dropped
expect_eq "dropped: nftrace chain" "$(observed "$TMP/dropped.json" published-remote nftrace chain)" DOCKER-USER
expect_eq "dropped: nftrace verdict" "$(observed "$TMP/dropped.json" published-remote nftrace verdict)" drop
expect_eq "dropped: nftrace handle" "$(observed "$TMP/dropped.json" published-remote nftrace handle)" "$handle"
case "$(observed "$TMP/dropped.json" published-remote nftrace rule)" in
*"198.18.0.0/15"*"$hp"*) ;;
*) fail "dropped: the rule is not in the observation: $(json_get "$TMP/dropped.json" "p['published-remote']['diagnosis']")" ;;
esac
expect_eq "dropped: published-host unaffected" "$(verdict "$TMP/dropped.json" published-host)" reachable
expect_eq "dropped: published-remote-udp unaffected" "$(verdict "$TMP/dropped.json" published-remote-udp)" reachable
grep -q "published-remote: .*DOCKER-USER" "$TMP/dropped.txt" || fail "dropped: the text report names no rule: $(cat "$TMP/dropped.txt")"
note "dropped: $(json_get "$TMP/dropped.json" "p['published-remote']['diagnosis']['detail']")"

# -- the remote paths skipped: none made, nothing else changes
probe open skipped --skip 'published-remote*'
expect_eq "skipped exit ($(tail -3 "$TMP/skipped.txt"))" "$rc" 0
expect_eq "skipped: remote paths" "$(json_get "$TMP/skipped.json" "sorted(n for n in p if n.startswith('published-remote'))")" "[]"
expect_eq "skipped: capture points" \
	"$(json_get "$TMP/skipped.json" "[c['name'] for c in d['environment']['capture_points'] if 'remote-client' in c['description']]")" "[]"

# -- published on 127.0.0.1 only: a remote client is meant to fail
probe loopback loopback
expect_eq "loopback exit ($(tail -3 "$TMP/loopback.txt"))" "$rc" 0
check_schema "$TMP/loopback.json"
case "$(verdict "$TMP/loopback.json" published-remote)" in
refused | timeout | unreachable) ;;
*) fail "loopback: published-remote $(verdict "$TMP/loopback.json" published-remote): $(cat "$TMP/loopback.txt")" ;;
esac
expect_eq "loopback: published-remote expected" "$(json_get "$TMP/loopback.json" "p['published-remote']['expected']")" True
expect_eq "loopback: expectation" "$(json_get "$TMP/loopback.json" "p['published-remote']['expectation']['verdict']")" unreachable
expect_eq "loopback: diagnosis" "$(diag "$TMP/loopback.json" published-remote)" published-elsewhere
expect_eq "loopback: published-loopback" "$(verdict "$TMP/loopback.json" published-loopback)" reachable

# -- the host as it was: no rule, no namespace, and after the containers go, Docker's rules gone too
expect_eq "namespaces left" "$(namespaces)" "$ns_before"
group_remove "$tag"
[ "$(ruleset)" = "$ruleset_start" ] || fail "the ruleset is not as at the start: $(diff <(echo "$ruleset_start") <(ruleset))"
