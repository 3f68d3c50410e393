#!/bin/bash
# `netcheck run --keep` leaves its container; `netcheck gc` removes it (its
# owner is gone) and says so; a second gc finds nothing.
. "$(dirname "$0")/lib.sh"
need_root
need_engine

rc=0
"$NETCHECK" run --no-capture --keep --json "$TMP/r.json" >/dev/null 2>&1 || rc=$?
expect_eq "run --keep exit" "$rc" 0
id=$(json_get "$TMP/r.json" 'd["container"]["id"]')
expect_eq kept "$(json_get "$TMP/r.json" 'd["container"]["kept"]')" True
api GET "/containers/$id/json" -o /dev/null -w '%{http_code}' | grep -q 200 || fail "kept container $id is gone"

"$NETCHECK" gc >"$TMP/gc.txt" 2>&1 || fail "gc failed: $(cat "$TMP/gc.txt")"
cat "$TMP/gc.txt"
grep -q "removed container ${id:0:12}" "$TMP/gc.txt" || fail "gc did not report ${id:0:12}"
api GET "/containers/$id/json" -o /dev/null -w '%{http_code}' | grep -q 404 || fail "container $id survived gc"
"$NETCHECK" gc >"$TMP/gc2.txt" 2>&1
grep -q "removed 0 containers" "$TMP/gc2.txt" || fail "second gc: $(cat "$TMP/gc2.txt")"
echo "PASS gc"
