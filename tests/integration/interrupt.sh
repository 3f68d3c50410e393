#!/bin/bash
# SIGINT or SIGTERM in the middle of a run: the container is removed, the
# exit code is 130 / 143.  The run is held mid-way by an image whose port
# never listens (the responder on 80, probed as --port 81), so the signal
# lands while the container exists, every time.
. "$(dirname "$0")/lib.sh"
need_root
need_engine

image=$(responder_image)
before=$(labelled_containers)

for sig in INT TERM; do
	rc=0
	start_held_run "$image" "$TMP/out" "$TMP/err"
	pid=$HELD_PID
	kill -s "$sig" "$pid"
	wait "$pid" || rc=$?
	want=130
	[ "$sig" = TERM ] && want=143
	expect_eq "SIG$sig exit" "$rc" "$want"
	expect_eq "SIG$sig containers left" "$(labelled_containers)" "$before"
	grep -q "interrupted" "$TMP/err" || fail "SIG$sig: stderr says $(cat "$TMP/err")"
done

# interrupted while the image is being imported: no half-imported image
# (other users' dangling images may exist: compare with before)
dangling_images() {
	api GET '/images/json?filters=%7B%22dangling%22%3A%5B%22true%22%5D%7D' | $PY -c 'import json,sys; print(len(json.load(sys.stdin)))'
}
dangling_before=$(dangling_images)
for delay in 0.02 0.05 0.1 0.15 0.2 0.3; do
	api DELETE "/images/$image?force=1" >/dev/null
	"$NETCHECK" run --no-capture >/dev/null 2>&1 &
	pid=$!
	sleep "$delay"
	kill -INT "$pid" 2>/dev/null || true
	wait "$pid" || true
	expect_eq "import interrupted after ${delay}s: dangling images" "$(dangling_images)" "$dangling_before"
	expect_eq "import interrupted after ${delay}s: containers left" "$(labelled_containers)" "$before"
done
"$NETCHECK" run --no-capture >/dev/null 2>&1 || fail "a run after interrupted imports failed"

# 50 runs, each interrupted at a different moment from 0 to past the end of
# a run (~1 s), cycling SIGINT, SIGTERM and SIGHUP: nothing is left, the
# exit code is the signal's (or 0 when the run finished first), and a
# capture file, when one was written, is valid pcapng.
images_before=$(api GET /images/json | $PY -c 'import json,sys; print(sum(1 for i in json.load(sys.stdin) if not i.get("RepoTags") or i["RepoTags"]==["<none>:<none>"]))')
sigs=(INT TERM HUP)
codes=(130 143 129)
for i in $(seq 0 49); do
	delay=$(printf '0.%03d' $(( (i * 25) % 1000 )))
	[ "$i" -ge 40 ] && delay=1.$(printf '%03d' $(( (i - 40) * 25 )))
	k=$(( i % 3 ))
	rc=0
	rm -f "$TMP/i.pcapng"
	"$NETCHECK" run --pcap "$TMP/i.pcapng" >/dev/null 2>&1 &
	pid=$!
	sleep "$delay"
	kill -s "${sigs[$k]}" "$pid" 2>/dev/null || true
	wait "$pid" || rc=$?
	case "$rc" in 0 | "${codes[$k]}") ;; *) fail "SIG${sigs[$k]} after ${delay}s: exit $rc" ;; esac
	expect_eq "SIG${sigs[$k]} after ${delay}s: containers left" "$(labelled_containers)" "$before"
	if [ -s "$TMP/i.pcapng" ]; then
		capinfos "$TMP/i.pcapng" >/dev/null 2>&1 || fail "SIG${sigs[$k]} after ${delay}s: unreadable pcapng"
	fi
done
images_after=$(api GET /images/json | $PY -c 'import json,sys; print(sum(1 for i in json.load(sys.stdin) if not i.get("RepoTags") or i["RepoTags"]==["<none>:<none>"]))')
expect_eq "untagged images left" "$images_after" "$images_before"
echo "PASS interrupt"
