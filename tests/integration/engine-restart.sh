#!/bin/bash
# The engine restarts in the middle of a run: netcheck stops with exit 69
# and a message naming the engine, and its container is gone once the
# engine is back (removed by the run itself, which keeps trying for a
# bounded while).  Restarts the test engine: run alone (is_parallel false).
. "$(dirname "$0")/lib.sh"
need_root
need_engine
[ "$SOCK" = /var/run/docker.sock ] || prerequisite_missing "the default engine (this test restarts it)"

image=$(responder_image)
before=$(labelled_containers)
trap 'bash "$NC_SRC/tests/engine.sh" start >/dev/null 2>&1 || true; rm -rf "$TMP"' EXIT

start_held_run "$image" "$TMP/out" "$TMP/err"
pid=$HELD_PID
start=$(date +%s)
bash "$NC_SRC/tests/engine.sh" restart
rc=0
wait "$pid" || rc=$?
note "netcheck: $(cat "$TMP/err")"
expect_eq "exit" "$rc" 69
grep -q "/var/run/docker.sock" "$TMP/err" || fail "the message does not name the engine: $(cat "$TMP/err")"
expect_eq "containers left" "$(labelled_containers)" "$before"
note "restart and clean-up took $(( $(date +%s) - start )) s"
# and the next run works
"$NETCHECK" run --no-capture >/dev/null 2>&1 || fail "a run after the restart failed"
echo "PASS engine-restart"
