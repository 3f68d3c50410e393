#!/bin/bash
# `netcheck probe A --to B[:PORT]` (issue 19, item 5): the paths from a
# user's container A to a user's container B, by address and by name,
# through a helper netcheck starts in A's network namespace.  Containers
# from the suite's busybox image, on a network of the test's own:
#   - A --to B (httpd on 8080)    → both paths reachable, packets seen leaving
#                                   A (eth0@peer) and arriving in B (eth0@container),
#                                   the port found from B's own sockets, exit 0
#   - A --to B:9999               → not-listening citing B's sockets, its SYN/RST attributed, exit 1
#   - A --to L (127.0.0.1:8080)   → listening-on-loopback-only, exit 1, also
#                                   with no :PORT (the loopback listener is the port)
#   - S (--network container:A) --to B, B --to S:80 → reachable at A's address:
#                                   S's addresses are A's
#   - A --to D (default bridge)   → no network in common: by address the kernel's
#                                   trace names Docker's isolation rule (dropped),
#                                   by name it does not resolve, exit 1
#   - bad input                   → one line, exit 64, nothing made
#   - SIGINT mid-probe            → exit 130, the helper removed
# After every case: A and B untouched (same container, still running, no
# restart) and no container of netcheck's left.  Everything the test made
# is removed (trap).
. "$(dirname "$0")/lib.sh"
need_root
need_engine

tag=nctest-to-$$
net=$tag-net
busybox_group "$tag" "$net"
probe_to() { # NAME TO [ARGS...]: rc in $rc, the report in $TMP/NAME.json / .txt
	local name=$1 to=$2; shift 2
	rc=0
	"$NETCHECK" probe "$tag-a" --to "$to" --timeout 1500 --json "$TMP/$name.json" "$@" >"$TMP/$name.txt" 2>&1 || rc=$?
}
state_of() { docker inspect -f '{{.Id}} {{.State.Status}} {{.RestartCount}} {{.State.StartedAt}}' "$1"; }
ours_before=$(labelled_containers)
untouched() { # WHAT
	expect_eq "$1: A as before" "$(state_of "$tag-a")" "$a_state"
	expect_eq "$1: B as before" "$(state_of "$tag-b")" "$b_state"
	expect_eq "$1: netcheck's containers left" "$(labelled_containers)" "$ours_before"
}

docker network create "$net" >/dev/null || fail "cannot create $net"
start a --network "$net" "$img"
start b --network "$net" "$img" httpd -f -p 8080 -h /www
start loop --network "$net" "$img" httpd -f -p 127.0.0.1:8080 -h /www
start d "$img" httpd -f -p 8080 -h /www
start s --network "container:$tag-a" "$img" sleep 600
start h --network host "$img" sleep 600
a_state=$(state_of "$tag-a")
b_state=$(state_of "$tag-b")
sleep 0.5 # busybox httpd binds at once; a moment for all four

# -- A to B: by address and by name, the port from B's own sockets
probe_to ok "$tag-b"
expect_eq "A --to B exit ($(tail -3 "$TMP/ok.txt"))" "$rc" 0
check_schema "$TMP/ok.json"
b_ip=$(docker inspect -f "{{(index .NetworkSettings.Networks \"$net\").IPAddress}}" "$tag-b")
a_ip=$(docker inspect -f "{{(index .NetworkSettings.Networks \"$net\").IPAddress}}" "$tag-a")
for path in container-to-container container-to-container-dns; do
	expect_eq "$path verdict" "$(json_get "$TMP/ok.json" "p['$path']['verdict']")" reachable
	# B's busybox says nothing of its peer: the packets, unchanged from A to B, say direct
	expect_eq "$path mechanism" "$(json_get "$TMP/ok.json" "p['$path']['mechanism']")" direct
	expect_eq "$path target" "$(json_get "$TMP/ok.json" "p['$path']['target']")" "$b_ip:8080"
	# it left A's own address: the helper is in A's namespace
	expect_eq "$path source" "$(json_get "$TMP/ok.json" "p['$path']['local'].rsplit(':', 1)[0]")" "$a_ip"
	# captured leaving A and arriving in B
	points=$(json_get "$TMP/ok.json" "' '.join(sorted(set(e['capture_point'] for e in p['$path']['evidence'])))")
	case " $points " in *" eth0@peer "*) ;; *) fail "$path: no packet seen in A (eth0@peer): $points" ;; esac
	case " $points " in *" eth0@container "*) ;; *) fail "$path: no packet seen in B (eth0@container): $points" ;; esac
done
expect_eq "from" "$(json_get "$TMP/ok.json" "d['container']['from']['name']")" "$tag-a"
expect_eq "to" "$(json_get "$TMP/ok.json" "d['container']['name']")" "$tag-b"
grep -q "from container $tag-a " "$TMP/ok.txt" || fail "the text does not say where the paths start: $(head -8 "$TMP/ok.txt")"
untouched "A --to B"

# -- a port nothing listens on: B's sockets say so
probe_to port "$tag-b:9999"
expect_eq "A --to B:9999 exit" "$rc" 1
check_schema "$TMP/port.json"
expect_eq "B:9999 by address" "$(diag "$TMP/port.json" container-to-container)" not-listening
expect_eq "B:9999 by name" "$(diag "$TMP/port.json" container-to-container-dns)" not-listening
# the refused connection's SYN and RST are the path's: the helper names its
# source port even though the refusal released it
points=$(json_get "$TMP/port.json" "' '.join(sorted(set(e['capture_point'] for e in p['container-to-container']['evidence'])))")
case " $points " in *" eth0@container "*) ;; *) fail "B:9999: the refused connection's packets are not attributed: '$points'" ;; esac
untouched "A --to B:9999"

# -- B's app bound to its loopback
probe_to loop "$tag-loop:8080"
expect_eq "A --to loop exit" "$rc" 1
expect_eq "loop by address" "$(diag "$TMP/loop.json" container-to-container)" listening-on-loopback-only
probe_to loopnoport "$tag-loop"
expect_eq "A --to loop (no port) exit ($(tail -3 "$TMP/loopnoport.txt"))" "$rc" 1
expect_eq "loop (no port) target" "$(json_get "$TMP/loopnoport.json" "p['container-to-container']['target'].rsplit(':', 1)[1]")" 8080
expect_eq "loop (no port) by address" "$(diag "$TMP/loopnoport.json" container-to-container)" listening-on-loopback-only

# -- a container in A's network namespace (--network container:A): A's addresses
rc=0
"$NETCHECK" probe "$tag-s" --to "$tag-b" --timeout 1500 --json "$TMP/shared.json" >"$TMP/shared.txt" 2>&1 || rc=$?
expect_eq "S --to B exit ($(tail -3 "$TMP/shared.txt"))" "$rc" 0
expect_eq "S --to B source" "$(json_get "$TMP/shared.json" "p['container-to-container']['local'].rsplit(':', 1)[0]")" "$a_ip"
rc=0
"$NETCHECK" probe "$tag-b" --to "$tag-s:80" --timeout 1500 --json "$TMP/toshared.json" >"$TMP/toshared.txt" 2>&1 || rc=$?
expect_eq "B --to S:80 by address ($(tail -3 "$TMP/toshared.txt"))" "$(json_get "$TMP/toshared.json" "p['container-to-container']['verdict']")" reachable
expect_eq "B --to S:80 target" "$(json_get "$TMP/toshared.json" "p['container-to-container']['target']")" "$a_ip:80"

# -- no network in common: Docker's isolation, seen by the kernel's trace
probe_to apart "$tag-d"
expect_eq "A --to D exit ($(tail -3 "$TMP/apart.txt"))" "$rc" 1
check_schema "$TMP/apart.json"
expect_eq "D by address" "$(diag "$TMP/apart.json" container-to-container)" dropped
chain=$(json_get "$TMP/apart.json" "' '.join(o.get('chain','') for o in p['container-to-container']['diagnosis']['observed'] if o['source']=='nftrace')")
case "$chain" in *DOCKER-ISOLATION*) ;; *) fail "D by address: the rule named is not Docker's isolation: '$chain'" ;; esac
expect_eq "D by name" "$(diag "$TMP/apart.json" container-to-container-dns)" name-not-resolved
untouched "A --to D"

# -- bad input: one line on stderr, 64, nothing made
# (B on the host's network or none has no address a helper could be sent to)
for args in "--to $tag-nosuch" "--to $tag-b:0" "--to $tag-b --port 80" "--to :80" "--to $tag-h:80"; do
	rc=0
	# shellcheck disable=SC2086 # the words are the options
	"$NETCHECK" probe "$tag-a" $args >"$TMP/bad.out" 2>"$TMP/bad.err" || rc=$?
	expect_eq "probe A $args exit" "$rc" 64
	expect_eq "probe A $args: lines on stderr ($(cat "$TMP/bad.err"))" "$(wc -l <"$TMP/bad.err")" 1
	case $args in
	*nosuch) grep -q "no container '$tag-nosuch' in the engine at" "$TMP/bad.err" || fail "probe A $args: $(cat "$TMP/bad.err")" ;;
	esac
done
untouched "bad input"

# -- B paused: the one line says to unpause it (not "start it")
docker pause "$tag-loop" >/dev/null
rc=0
"$NETCHECK" probe "$tag-a" --to "$tag-loop:8080" >"$TMP/bad.out" 2>"$TMP/bad.err" || rc=$?
docker unpause "$tag-loop" >/dev/null
expect_eq "A --to paused exit" "$rc" 64
grep -q "is paused: unpause it" "$TMP/bad.err" || fail "A --to paused: $(cat "$TMP/bad.err")"

# -- SIGINT while probing (D's address times out: 5 s): the helper goes
"$NETCHECK" probe "$tag-a" --to "$tag-d" --timeout 5000 >"$TMP/int.txt" 2>&1 &
pid=$!
wait_for_ours "$ours_before" "the helper"
sleep 0.3
kill -INT "$pid"
rc=0
wait "$pid" || rc=$?
expect_eq "SIGINT exit ($(tail -3 "$TMP/int.txt"))" "$rc" 130
untouched "SIGINT"
note "probe --to: reachable, not-listening, loopback-only, isolation dropped, bad input and SIGINT as expected"
