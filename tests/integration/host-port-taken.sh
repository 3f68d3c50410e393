#!/bin/bash
# --host-port on a port something already listens on: one clear line, exit
# 64, and no container left behind.
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
echo "PASS host-port-taken"
