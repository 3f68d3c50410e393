#!/bin/bash
# `netcheck run --keep` leaves its container; `netcheck gc` leaves it too
# (it was kept on purpose), `netcheck gc --kept` removes it and says so; a
# second gc --kept finds nothing.  gc also removes the responder images of
# other netcheck builds (netcheck-responder:<version>-<hash>) that no
# container runs, and keeps this build's and one a container uses.
. "$(dirname "$0")/lib.sh"
need_root
need_engine
OLD_USER=nctest-gc-old-user-$$
trap 'docker rm -f "$OLD_USER" >/dev/null 2>&1 || true; remove_images; rm -rf "$TMP"' EXIT
image_code() { api GET "/images/$1/json" -o /dev/null -w '%{http_code}'; }

rc=0
"$NETCHECK" run --no-capture --keep --json "$TMP/r.json" >/dev/null 2>&1 || rc=$?
expect_eq "run --keep exit" "$rc" 0
id=$(json_get "$TMP/r.json" 'd["container"]["id"]')
current=$(json_get "$TMP/r.json" 'd["container"]["image"]')
expect_eq kept "$(json_get "$TMP/r.json" 'd["container"]["kept"]')" True
api GET "/containers/$id/json" -o /dev/null -w '%{http_code}' | grep -q 200 || fail "kept container $id is gone"

"$NETCHECK" gc >"$TMP/gc0.txt" 2>&1 || fail "gc failed: $(cat "$TMP/gc0.txt")"
grep -q "removed container ${id:0:12}" "$TMP/gc0.txt" && fail "gc without --kept removed the kept ${id:0:12}"
api GET "/containers/$id/json" -o /dev/null -w '%{http_code}' | grep -q 200 || fail "gc without --kept removed $id"
# two images of an older build (their own bytes, so their own ids), one
# of them in use by a (created, never started) container
old=netcheck-responder:0.0.1-0123456789ab
old_used=netcheck-responder:0.0.1-ba9876543210
busybox_image "$old" '["sleep","1"]'
busybox_image "$old_used" '["sleep","2"]'
docker create --name "$OLD_USER" --label io.netcheck.test=1 "$old_used" >/dev/null || fail "cannot create $OLD_USER"
"$NETCHECK" gc --kept >"$TMP/gc.txt" 2>&1 || fail "gc --kept failed: $(cat "$TMP/gc.txt")"
cat "$TMP/gc.txt"
grep -q "removed container ${id:0:12}" "$TMP/gc.txt" || fail "gc did not report ${id:0:12}"
api GET "/containers/$id/json" -o /dev/null -w '%{http_code}' | grep -q 404 || fail "container $id survived gc"
grep -q "^removed image $old " "$TMP/gc.txt" || fail "gc did not report removing $old"
expect_eq "$old after gc" "$(image_code "$old")" 404
grep -q "^gc: removed [1-9][0-9]* responder images\{0,1\} of other netcheck builds" "$TMP/gc.txt" ||
	fail "gc's summary does not count the images"
expect_eq "this build's $current after gc" "$(image_code "$current")" 200
grep -q "$current" "$TMP/gc.txt" && fail "gc says it removed this build's $current"
expect_eq "$old_used (a container runs it) after gc" "$(image_code "$old_used")" 200
grep -q "$old_used" "$TMP/gc.txt" && fail "gc says it removed $old_used, which a container uses"
docker rm -f "$OLD_USER" >/dev/null
"$NETCHECK" gc --kept >"$TMP/gc2.txt" 2>&1
grep -q "removed 0 containers" "$TMP/gc2.txt" || fail "second gc: $(cat "$TMP/gc2.txt")"
# a run killed with SIGKILL leaves its labelled container; the next run
# removes it and says so
start_held_run "$(responder_image)" /dev/null /dev/null
pid=$HELD_PID
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
[ "$(labelled_containers)" -ge 1 ] || fail "the killed run left no container to clean up"
rc=0
"$NETCHECK" run --no-capture >/dev/null 2>"$TMP/next.err" || rc=$?
expect_eq "next run exit" "$rc" 0
grep -q "removed 1 container(s) left by earlier runs that were killed" "$TMP/next.err" ||
	fail "the next run did not report the clean-up: $(cat "$TMP/next.err")"
expect_eq "containers left after the next run" "$(labelled_containers)" 0
echo "PASS gc"
