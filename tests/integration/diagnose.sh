#!/bin/bash
# The everyday mistakes, each with its own busybox app (no registry here):
# netcheck names the cause on the failed paths, exits 1 with the whole
# report, and never touches a container it did not make.
#   - an app bound to 127.0.0.1         → listening-on-loopback-only
#   - an app on 8080, --port 80 given   → not-listening, naming 8080
#   - an app that prints and exits 3    → container-exited, code and log line
#   - a service that speaks first, not HTTP → reachable (probe, TCP only)
#   - an INPUT drop on the published port → dropped, the rule traced in INPUT
#   - an INPUT drop of a port netcheck publishes (--host-port) → published-remote
#     still reachable through DNAT and FORWARD: input-firewall-bypassed, exit 1
#   - a DOCKER-USER drop of the remote client → dropped, naming DOCKER-USER (nftrace);
#     a REJECT there → rejected
#   - `netcheck probe` of a running container: still running, unchanged after
#   - a user-defined network: the run's bridge is br-...
#   - bad input: no such container / network, a port out of range → 64
. "$(dirname "$0")/lib.sh"
need_root
need_engine

net=nctest-diag-$$
drop_rule=""
drop_user=""
reject_user=""
bypass_rule=""
cleanup() {
	[ -n "$drop_rule" ] && iptables -D INPUT $drop_rule 2>/dev/null
	[ -n "$bypass_rule" ] && iptables -w -D INPUT $bypass_rule 2>/dev/null
	[ -n "$drop_user" ] && iptables -w -D DOCKER-USER -s 198.18.0.0/15 -p tcp -m comment --comment nctest-diag -j DROP 2>/dev/null
	[ -n "$reject_user" ] && iptables -w -D DOCKER-USER -s 198.18.0.0/15 -p tcp -m comment --comment nctest-diag-reject \
		-j REJECT --reject-with tcp-reset 2>/dev/null
	remove_test_containers
	docker network rm "$net" >/dev/null 2>&1 || true
	remove_images
	rm -rf "$TMP"
}
trap cleanup EXIT

busybox_image nctest-app:loopback '["httpd","-f","-p","127.0.0.1:80","-h","/www"]'
busybox_image nctest-app:8080 '["httpd","-f","-p","8080","-h","/www"]'
busybox_image nctest-app:exits '["sh","-c","echo config file /etc/app.conf missing; exit 3"]'
busybox_image nctest-app:banner '["nc","-ll","-p","80","-e","echo","SSH-2.0-banner"]'
busybox_image nctest-app:http '["httpd","-f","-p","80","-h","/www"]'

diag() { # FILE PATH → the path's diagnosis code (None when null)
	json_get "$1" "(p['$2']['diagnosis'] or {}).get('code')"
}
observed() { # FILE PATH SOURCE FIELD → that field of each observation of SOURCE, one a line
	json_get "$1" "'\\n'.join(str(o.get('$4')) for o in (p['$2']['diagnosis'] or {}).get('observed', []) if o['source'] == '$3')"
}

# -- an app bound to loopback inside the container
rc=0
"$NETCHECK" run --image nctest-app:loopback --port 80 --json "$TMP/lo.json" >"$TMP/lo.txt" 2>&1 || rc=$?
expect_eq "loopback-only exit" "$rc" 1
check_schema "$TMP/lo.json"
expect_eq "loopback-only: direct-tcp" "$(diag "$TMP/lo.json" direct-tcp)" listening-on-loopback-only
expect_eq "loopback-only: published-loopback" "$(diag "$TMP/lo.json" published-loopback)" listening-on-loopback-only
json_get "$TMP/lo.json" "p['direct-tcp']['diagnosis']['detail']" | grep -q "127.0.0.1:80" ||
	fail "loopback-only detail: $(json_get "$TMP/lo.json" "p['direct-tcp']['diagnosis']")"
grep -q "0.0.0.0" "$TMP/lo.txt" || fail "the text report gives no hint: $(cat "$TMP/lo.txt")"
# the diagnosis cites the socket it rests on, in the JSON and under it in the text
expect_eq "loopback-only observed socket" "$(observed "$TMP/lo.json" direct-tcp socket local)" "127.0.0.1:80"
grep -q "observed (socket): in the container, 127.0.0.1:80/tcp listens" "$TMP/lo.txt" ||
	fail "the text report shows no observation: $(cat "$TMP/lo.txt")"

# -- the app listens on 8080, the user said 80
rc=0
"$NETCHECK" run --image nctest-app:8080 --port 80 --json "$TMP/p.json" >"$TMP/p.txt" 2>&1 || rc=$?
expect_eq "other port exit" "$rc" 1
expect_eq "other port: direct-tcp" "$(diag "$TMP/p.json" direct-tcp)" not-listening
json_get "$TMP/p.json" "p['direct-tcp']['diagnosis']['detail']" | grep -q "8080" ||
	fail "not-listening detail does not name 8080: $(json_get "$TMP/p.json" "p['direct-tcp']['diagnosis']")"
grep -qi "responder" "$TMP/p.txt" && fail "a user's image is called 'the responder': $(cat "$TMP/p.txt")"

# -- the app exits at start
rc=0
"$NETCHECK" run --image nctest-app:exits --port 80 --json "$TMP/x.json" >"$TMP/x.txt" 2>&1 || rc=$?
expect_eq "exits exit" "$rc" 1
expect_eq "exits: direct-tcp" "$(diag "$TMP/x.json" direct-tcp)" container-exited
detail=$(json_get "$TMP/x.json" "p['direct-tcp']['diagnosis']['detail']")
echo "$detail" | grep -q "code 3" || fail "exit code missing: $detail"
echo "$detail" | grep -q "config file /etc/app.conf missing" || fail "log line missing: $detail"
expect_eq "exits: observed state" "$(observed "$TMP/x.json" direct-tcp container state)" exited
expect_eq "exits: observed exit code" "$(observed "$TMP/x.json" direct-tcp container exit_code)" 3

# -- a running container the user names: a service that speaks first
run_container "nctest-banner-$$" nctest-app:banner -p 80
run_container "nctest-http-$$" nctest-app:http -p 80
before=$(docker inspect -f '{{.State.StartedAt}} {{.RestartCount}}' "nctest-banner-$$")
rc=0
"$NETCHECK" probe "nctest-banner-$$" --json "$TMP/b.json" >"$TMP/b.txt" 2>&1 || rc=$?
expect_eq "banner probe exit ($(tail -3 "$TMP/b.txt"))" "$rc" 0
expect_eq "banner: direct-tcp" "$(json_get "$TMP/b.json" "p['direct-tcp']['verdict']")" reachable
expect_eq "banner: published-host" "$(json_get "$TMP/b.json" "p['published-host']['verdict']")" reachable
expect_eq "banner container state" "$(docker inspect -f '{{.State.Running}}' "nctest-banner-$$")" true
expect_eq "banner container unchanged" "$(docker inspect -f '{{.State.StartedAt}} {{.RestartCount}}' "nctest-banner-$$")" "$before"
grep -qi "responder" "$TMP/b.txt" && fail "a user's container is called 'the responder'"

# -- a drop rule on the published port (scoped to this test's port)
hp=$(docker port "nctest-http-$$" 80/tcp | head -1 | sed 's/.*://')
drop_rule="-p tcp -d 127.0.0.1 --dport $hp -m comment --comment nctest-diag -j DROP"
iptables -I INPUT $drop_rule
rc=0
"$NETCHECK" probe "nctest-http-$$" --timeout 1000 --json "$TMP/d.json" >"$TMP/d.txt" 2>&1 || rc=$?
iptables -D INPUT $drop_rule
drop_rule=""
expect_eq "drop exit" "$rc" 1
expect_eq "drop: published-loopback" "$(diag "$TMP/d.json" published-loopback)" dropped
# the kernel's trace of the probe's own packets names the rule (iptables-nft)
json_get "$TMP/d.json" "p['published-loopback']['diagnosis']['detail']" | grep -q "in ip filter INPUT dropped" ||
	fail "dropped detail: $(json_get "$TMP/d.json" "p['published-loopback']['diagnosis']")"
expect_eq "drop: observed rule (nftrace)" "$(observed "$TMP/d.json" published-loopback nftrace chain)" INPUT
expect_eq "drop: direct-tcp unaffected" "$(json_get "$TMP/d.json" "p['direct-tcp']['verdict']")" reachable

# -- the ufw mistake: an INPUT drop of the published port (scoped to a port
#    picked here and given to --host-port).  Docker's DNAT in PREROUTING
#    makes the remote client's connection forwarded traffic: INPUT never
#    sees it, so published-remote is reachable, and the rule is named.
hp=$($PY -c 'import socket; s=socket.socket(); s.bind(("0.0.0.0",0)); print(s.getsockname()[1])')
bypass_rule="-p tcp --dport $hp -m comment --comment nctest-diag -j DROP"
iptables -w -I INPUT $bypass_rule
rc=0
"$NETCHECK" run --host-port "$hp" --timeout 1000 --json "$TMP/i.json" >"$TMP/i.txt" 2>&1 || rc=$?
iptables -w -D INPUT $bypass_rule
bypass_rule=""
expect_eq "INPUT bypass exit ($(tail -3 "$TMP/i.txt"))" "$rc" 1
check_schema "$TMP/i.json"
expect_eq "INPUT bypass: published-remote ($(json_get "$TMP/i.json" "p['published-remote']['diagnosis']"))" \
	"$(json_get "$TMP/i.json" "p['published-remote']['verdict']")" reachable
# once this said None, and passed again: say what the run read of the
# ruleset and what it saw on the way, should it fail again
bypass_diag=$(diag "$TMP/i.json" published-remote)
if [ "$bypass_diag" != input-firewall-bypassed ]; then
	note "INPUT bypass report, the ruleset and published-remote lines:"
	grep -iE "ruleset|firewall|witness|published-remote" "$TMP/i.txt" >&2 || true
	iptables -w -S INPUT >&2 || true
fi
expect_eq "INPUT bypass: diagnosis" "$bypass_diag" input-firewall-bypassed
expect_eq "INPUT bypass: expected" "$(json_get "$TMP/i.json" "p['published-remote']['expected']")" False
detail=$(json_get "$TMP/i.json" "p['published-remote']['diagnosis']['detail']")
echo "$detail" | grep -q "(chain INPUT, table ip filter) drops port $hp for remote clients" ||
	fail "bypass detail: $detail"
echo "$detail" | grep -q "through FORWARD, not INPUT" || fail "bypass detail: $detail"
note "INPUT bypass, published-remote: $detail"
json_get "$TMP/i.json" "p['published-remote']['diagnosis']['hint']" | grep -q "DOCKER-USER" ||
	fail "bypass hint: $(json_get "$TMP/i.json" "p['published-remote']['diagnosis']")"
grep -q "UNEXPECTED (a firewall rule meant to stop it)" "$TMP/i.txt" || fail "text report: $(cat "$TMP/i.txt")"
# from this host the rule drops loopback clients (INPUT): only the remote path is bypassed
expect_eq "INPUT bypass: published-host" "$(diag "$TMP/i.json" published-host)" None

# -- a DOCKER-USER rule dropping what a remote client forwards (scoped to
#    netcheck's remote-client range): every path from this host still works
#    (they cross OUTPUT, never FORWARD), the remote client's does not
user_rule="-s 198.18.0.0/15 -p tcp -m comment --comment nctest-diag -j DROP"
iptables -w -I DOCKER-USER $user_rule
drop_user=1
rc=0
"$NETCHECK" run --timeout 1000 --json "$TMP/u.json" >"$TMP/u.txt" 2>&1 || rc=$?
iptables -w -D DOCKER-USER $user_rule
drop_user=""
expect_eq "DOCKER-USER drop exit" "$rc" 1
expect_eq "DOCKER-USER drop: published-host" "$(json_get "$TMP/u.json" "p['published-host']['verdict']")" reachable
expect_eq "DOCKER-USER drop: published-remote" "$(json_get "$TMP/u.json" "p['published-remote']['verdict']")" timeout
expect_eq "DOCKER-USER drop: diagnosis" "$(diag "$TMP/u.json" published-remote)" dropped
detail=$(json_get "$TMP/u.json" "p['published-remote']['diagnosis']['detail']")
# the kernel's trace names the chain and the rule by its handle
echo "$detail" | grep -q "in ip filter DOCKER-USER dropped the path's packets" ||
	fail "remote drop detail does not name DOCKER-USER's rule: $detail"
note "DOCKER-USER drop, published-remote: $detail"
# what it rests on: the packets at the remote veth and none on docker0, and the rule as read
points=$(observed "$TMP/u.json" published-remote capture point) # not piped into grep -q: pipefail
case "$points" in
ncr*) ;;
*) fail "remote drop observed no capture point first: $(json_get "$TMP/u.json" "p['published-remote']['diagnosis']")" ;;
esac
expect_eq "DOCKER-USER drop: observed on docker0" \
	"$(json_get "$TMP/u.json" "[o['packets'] for o in p['published-remote']['diagnosis']['observed'] if o.get('point') == 'docker0']")" "[0]"
expect_eq "DOCKER-USER drop: observed rule" "$(observed "$TMP/u.json" published-remote nftrace chain)" DOCKER-USER

# -- a REJECT with tcp-reset in DOCKER-USER for the remote client: the reset
#    comes from this host's netfilter, never from the container, whatever
#    forwarder listens on the port (issue 17: it was put on docker-proxy)
reject_rule="-s 198.18.0.0/15 -p tcp -m comment --comment nctest-diag-reject -j REJECT --reject-with tcp-reset"
iptables -w -I DOCKER-USER $reject_rule
reject_user=1
rc=0
"$NETCHECK" run --timeout 1000 --json "$TMP/j.json" >"$TMP/j.txt" 2>&1 || rc=$?
iptables -w -D DOCKER-USER $reject_rule
reject_user=""
expect_eq "DOCKER-USER reject exit" "$rc" 1
expect_eq "DOCKER-USER reject: published-remote" "$(json_get "$TMP/j.json" "p['published-remote']['verdict']")" refused
expect_eq "DOCKER-USER reject: diagnosis" "$(diag "$TMP/j.json" published-remote)" rejected
detail=$(json_get "$TMP/j.json" "p['published-remote']['diagnosis']['detail']")
case "$detail" in
*"in ip filter DOCKER-USER rejected"*"not the container"*) ;;
*) fail "remote reject detail: $detail" ;;
esac
case "$detail" in
*docker-proxy*) fail "remote reject put on the forwarder: $detail" ;;
esac
note "DOCKER-USER reject, published-remote: $detail"

# -- a user-defined network
docker network create --label io.netcheck.test=1 "$net" >/dev/null
rc=0
"$NETCHECK" run --network "$net" --json "$TMP/n.json" >"$TMP/n.txt" 2>&1 || rc=$?
expect_eq "network run exit ($(tail -3 "$TMP/n.txt"))" "$rc" 0
json_get "$TMP/n.json" "d['environment']['bridge']" | grep -q '^br-' ||
	fail "the bridge is not the network's: $(json_get "$TMP/n.json" "d['environment']['bridge']")"

# -- bad input: one line, 64, nothing changed
before=$(labelled_containers)
for args in "probe nctest-no-such-container-$$" "run --network nctest-no-such-net-$$" "probe nctest-http-$$ --port 70000"; do
	rc=0
	# shellcheck disable=SC2086
	"$NETCHECK" $args >"$TMP/bad.out" 2>"$TMP/bad.err" || rc=$?
	expect_eq "'$args' exit" "$rc" 64
	expect_eq "'$args' stderr lines" "$(wc -l <"$TMP/bad.err")" 1
	case $args in
	*no-such-container*) grep -q "no container 'nctest-no-such-container-$$' in the engine at" "$TMP/bad.err" ||
		fail "'$args' does not name it: $(cat "$TMP/bad.err")" ;;
	*no-such-net*) grep -q "no network 'nctest-no-such-net-$$' in the engine at" "$TMP/bad.err" ||
		fail "'$args' does not name it: $(cat "$TMP/bad.err")" ;;
	esac
done
expect_eq "labelled containers after bad input" "$(labelled_containers)" "$before"
echo "PASS diagnose"
