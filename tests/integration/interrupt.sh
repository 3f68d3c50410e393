#!/bin/bash
# SIGINT or SIGTERM in the middle of a run: the container is removed, the
# exit code is 130 / 143.  The run is held mid-way by an image whose port
# never listens (the responder on 80, probed as --port 81), so the signal
# lands while the container exists, every time.
. "$(dirname "$0")/lib.sh"
need_root
need_engine

"$NETCHECK" run --no-capture >/dev/null 2>&1 || true # the image exists after one run
version=$("$NETCHECK" --version | awk '{print $2}')
before=$(labelled_containers)

for sig in INT TERM; do
	rc=0
	"$NETCHECK" run --no-capture --image "netcheck-responder:$version" --port 81 --start-timeout 20000 \
		>"$TMP/out" 2>"$TMP/err" &
	pid=$!
	# wait until the container exists (bounded: 10 s)
	for _ in $(seq 1 200); do
		[ "$(labelled_containers)" -gt "$before" ] && break
		sleep 0.05
	done
	[ "$(labelled_containers)" -gt "$before" ] || fail "SIG$sig: the run never created its container"
	kill -s "$sig" "$pid"
	wait "$pid" || rc=$?
	want=130
	[ "$sig" = TERM ] && want=143
	expect_eq "SIG$sig exit" "$rc" "$want"
	expect_eq "SIG$sig containers left" "$(labelled_containers)" "$before"
	grep -q "interrupted" "$TMP/err" || fail "SIG$sig: stderr says $(cat "$TMP/err")"
done

# a signal at spread delays over a whole normal run
for delay in 0 0.05 0.1 0.2 0.3 0.5 0.7 1.0; do
	rc=0
	"$NETCHECK" run --no-capture >/dev/null 2>&1 &
	pid=$!
	sleep "$delay"
	kill -INT "$pid" 2>/dev/null || true
	wait "$pid" || rc=$?
	case "$rc" in 0 | 130) ;; *) fail "SIGINT after ${delay}s: exit $rc" ;; esac
	expect_eq "SIGINT after ${delay}s: containers left" "$(labelled_containers)" "$before"
done
echo "PASS interrupt"
