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

# watch, SIGINT in the middle of a cycle.  A cycle reads the ruleset for
# published-remote's firewall walk (the rules' text only when a trace shows
# a rule's drop), which libnftables cannot cut short; a filler table of
# 60000 rules in a chain no hook calls (it matches no packet) makes that
# read take seconds.  SIGINT lands 0.2 s into a cycle, during the read: the
# watch must stop waiting for it at once (the read runs on a thread of its
# own, left to end with the process) -- not finish the cycle -- so it
# exits well before a cycle's length, with nothing of the run left.
command -v nft >/dev/null || prerequisite_missing "nft (for the watch part)"
filler=netcheck_test_filler_$$
WATCH_PID=
watch_cleanup() {
	if [ -n "$WATCH_PID" ] && kill -0 "$WATCH_PID" 2>/dev/null; then
		kill -TERM "$WATCH_PID" 2>/dev/null || true
		wait "$WATCH_PID" 2>/dev/null || true
	fi
	nft delete table inet "$filler" 2>/dev/null || true
	rm -rf "$TMP"
}
trap watch_cleanup EXIT
$PY - "$filler" >"$TMP/filler.nft" <<'PYEOF'
import sys
print("table inet %s {\n chain filler {" % sys.argv[1])
for i in range(60000):
    print("  ip saddr 10.%d.%d.1 tcp dport %d counter" % ((i >> 8) & 255, i & 255, 1000 + i % 50000))
print(" }\n}")
PYEOF
nft -f "$TMP/filler.nft" || fail "cannot add the filler table"
"$NETCHECK" watch --interval 1s --listen 127.0.0.1:0 --json "$TMP/w.ndjson" >/dev/null 2>"$TMP/watch.err" &
WATCH_PID=$!
# a cycle lasts more than the interval: the next one starts as soon as a line is out
two_lines() { [ -s "$TMP/w.ndjson" ] && [ "$(wc -l <"$TMP/w.ndjson")" -ge 2 ]; }
for _ in $(seq 1 1800); do
	two_lines && break
	kill -0 "$WATCH_PID" 2>/dev/null || fail "watch exited: $(tail -3 "$TMP/watch.err")"
	sleep 0.05
done
two_lines || fail "watch wrote no second line in 90 s"
sleep 0.2
cycle_ms=$(tail -n 1 "$TMP/w.ndjson" | $PY -c 'import json,sys; print(int(json.load(sys.stdin)["duration_seconds"] * 1000))')
target=$(tail -n 1 "$TMP/w.ndjson" | $PY -c 'import json,sys; print(json.load(sys.stdin)["target"])')
t0=$(date +%s%N)
kill -INT "$WATCH_PID"
rc=0
( sleep 60; kill -KILL "$WATCH_PID" 2>/dev/null ) &
killer=$!
wait "$WATCH_PID" || rc=$?
took_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
kill "$killer" 2>/dev/null || true
wait "$killer" 2>/dev/null || true
pid=$WATCH_PID
WATCH_PID=
note "watch: a cycle of $cycle_ms ms with the filler ruleset; SIGINT 0.2 s into the next, exit after $took_ms ms"
expect_eq "watch SIGINT mid-cycle exit" "$rc" 130
[ "$cycle_ms" -ge 2000 ] || fail "the filler ruleset made a cycle of only $cycle_ms ms: too short to tell a cut cycle from a whole one"
[ "$took_ms" -lt $(( cycle_ms * 62 / 100 )) ] ||
	fail "watch took $took_ms ms to end after SIGINT, against a cycle of $cycle_ms ms: the cycle ran on"
grep -q "interrupted; the test container was removed" "$TMP/watch.err" || fail "watch's stderr says $(tail -3 "$TMP/watch.err")"
expect_eq "watch: containers left" "$(labelled_containers)" "$before"
expect_eq "watch: container $target left" "$(docker ps -aq --filter "name=^/$target\$")" ""
ip netns list | grep -q "${target#netcheck-}" && fail "netns of ${target#netcheck-} left"
nft list tables | grep -q "netcheck_trace_${pid}_" && fail "trace table of pid $pid left"
echo "PASS interrupt"
