#!/bin/bash
# `--image IMG --port N` runs a user's image instead of netcheck's own.
# No registry is reachable, so the "user image" is netcheck's responder
# under another name, tagged through the Engine API and removed after.
. "$(dirname "$0")/lib.sh"
need_root
need_engine

image=$(responder_image)
api POST "/images/$image/tag?repo=netcheck-user-image&tag=test" -o /dev/null -w '%{http_code}' |
	grep -q 201 || fail "cannot tag the responder image"
trap 'api DELETE "/images/netcheck-user-image:test" >/dev/null; rm -rf "$TMP"' EXIT

rc=0
"$NETCHECK" run --image netcheck-user-image:test --port 80 --json "$TMP/r.json" >"$TMP/out.txt" 2>&1 || rc=$?
[ "$rc" = 0 ] || { cat "$TMP/out.txt" >&2; fail "exit $rc"; }
check_schema "$TMP/r.json"
expect_eq image "$(json_get "$TMP/r.json" 'd["container"]["image"]')" netcheck-user-image:test
expect_eq "direct-tcp" "$(json_get "$TMP/r.json" 'p["direct-tcp"]["verdict"]')" reachable

# an image the engine does not have: 69, one line, nothing left behind
before=$(labelled_containers)
rc=0
"$NETCHECK" run --image netcheck-no-such-image:x --port 80 >"$TMP/o2" 2>"$TMP/e2" || rc=$?
expect_eq "missing image exit" "$rc" 69
expect_eq "stderr lines" "$(wc -l <"$TMP/e2")" 1
grep -q 'cannot be pulled' "$TMP/e2" || fail "message: $(cat "$TMP/e2")"
expect_eq "labelled containers left" "$(labelled_containers)" "$before"

# --image without --port is a usage error
rc=0
"$NETCHECK" run --image foo 2>"$TMP/e3" || rc=$?
expect_eq "--image without --port" "$rc" 64
echo "PASS run-image"
