#!/bin/bash
# --host-port on a port something already listens on: one clear line, exit
# 64, and no container left behind.  On a free port every published path
# targets it, UDP as well as TCP; a port held for UDP only is taken too.
. "$(dirname "$0")/lib.sh"
need_root
need_engine

port=$($PY -c 'import socket; s=socket.socket(); s.bind(("0.0.0.0",0)); print(s.getsockname()[1])')
$PY -c 'import socket,sys,time; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("0.0.0.0",int(sys.argv[1]))); s.listen(); time.sleep(30)' "$port" &
holder=$!
trap 'kill $holder 2>/dev/null; rm -rf "$TMP"' EXIT
sleep 0.3
before=$(labelled_containers)
rc=0
"$NETCHECK" run --no-capture --host-port "$port" >"$TMP/out" 2>"$TMP/err" || rc=$?
expect_eq "exit" "$rc" 64
expect_eq "stderr lines" "$(wc -l <"$TMP/err")" 1
grep -q "already taken" "$TMP/err" || fail "message: $(cat "$TMP/err")"
expect_eq "containers left" "$(labelled_containers)" "$before"

# a port free for TCP and UDP alike (bound for both at once, then let go)
free_both() {
	$PY -c '
import socket
for _ in range(50):
    t = socket.socket(); t.bind(("0.0.0.0", 0)); p = t.getsockname()[1]
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        u.bind(("0.0.0.0", p)); print(p); break
    except OSError:
        pass
    finally:
        t.close(); u.close()'
}
port=$(free_both)
[ -n "$port" ] || fail "no port free for both TCP and UDP"
rc=0
"$NETCHECK" run --no-capture --host-port "$port" --json "$TMP/r.json" >"$TMP/r.txt" 2>&1 || rc=$?
expect_eq "run --host-port $port exit ($(tail -3 "$TMP/r.txt"))" "$rc" 0
check_schema "$TMP/r.json"
for path in published-loopback published-host published-loopback-udp published-host-udp; do
	expect_eq "$path's port" "$(json_get "$TMP/r.json" "(p['$path']['target'] or '').rsplit(':', 1)[-1]")" "$port"
done
# and every other published path with a target, whatever this host adds
other=$(json_get "$TMP/r.json" "' '.join(n for n, x in p.items() if x['kind'].startswith('published') and x['target'] and not x['target'].endswith(':$port'))")
expect_eq "published paths on another port" "$other" ""
expect_eq "containers left after the run" "$(labelled_containers)" "$before"

# the port held for UDP only: taken as well, said as for TCP
port=$(free_both)
$PY -c 'import socket,sys,time; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("0.0.0.0",int(sys.argv[1]))); time.sleep(30)' "$port" &
udp_holder=$!
trap 'kill $holder $udp_holder 2>/dev/null; rm -rf "$TMP"' EXIT
sleep 0.3
rc=0
"$NETCHECK" run --no-capture --host-port "$port" >"$TMP/out" 2>"$TMP/err" || rc=$?
kill "$udp_holder" 2>/dev/null || true
expect_eq "UDP-taken exit ($(cat "$TMP/err"))" "$rc" 64
expect_eq "UDP-taken stderr lines" "$(wc -l <"$TMP/err")" 1
grep -q "already taken" "$TMP/err" || fail "UDP-taken message: $(cat "$TMP/err")"
expect_eq "containers left after UDP-taken" "$(labelled_containers)" "$before"
echo "PASS host-port-taken"
