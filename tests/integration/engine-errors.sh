#!/bin/bash
# An engine that is missing, refuses, errs, lies or never answers: each
# gives exit 69 (64 for a bad URL), exactly one line on stderr, within the
# timeout, and no container.
. "$(dirname "$0")/lib.sh"

one_line() { # FILE WHAT
	local n
	n=$(wc -l <"$1")
	[ "$n" = 1 ] || { cat "$1" >&2; fail "$2: $n lines on stderr, want 1"; }
}

case_run() { # NAME WANT_RC GREP -- netcheck args
	local name=$1 want=$2 pattern=$3 rc=0
	shift 4
	"$NETCHECK" run --no-capture "$@" >"$TMP/out" 2>"$TMP/err" </dev/null || rc=$?
	expect_eq "$name: exit" "$rc" "$want"
	one_line "$TMP/err" "$name"
	grep -qi -- "$pattern" "$TMP/err" || fail "$name: stderr '$(cat "$TMP/err")' lacks '$pattern'"
	[ ! -s "$TMP/out" ] || fail "$name: printed a report: $(head -3 "$TMP/out")"
	note "$name: $(cat "$TMP/err")"
}

case_run missing-socket 69 "no engine socket" -- --engine unix://$TMP/none.sock
case_run bad-scheme 64 "unknown engine URL scheme" -- --engine ftp://example
case_run relative-unix 64 "absolute path" -- --engine unix://relative.sock
# nothing listens on port 1 of loopback: connection refused at once
case_run refused 69 "cannot connect" -- --engine tcp://127.0.0.1:1
DOCKER_HOST=unix://$TMP/env.sock case_run docker-host-env 69 "env.sock" --

fake() { # MODE
	$PY "$NC_SRC/tests/fake-engine.py" "$TMP/fake.sock" "$1" 10 &
	FAKE_PID=$!
	for _ in $(seq 1 100); do [ -S "$TMP/fake.sock" ] && return 0; sleep 0.05; done
	fail "fake engine did not start"
}
unfake() { kill "$FAKE_PID" 2>/dev/null || true; wait "$FAKE_PID" 2>/dev/null || true; rm -f "$TMP/fake.sock"; }

fake http500
case_run http-500 69 "fake engine failure" -- --engine "unix://$TMP/fake.sock"
unfake
fake malformed
case_run malformed-json 69 "malformed JSON" -- --engine "unix://$TMP/fake.sock"
unfake
fake truncated
case_run truncated 69 "broke off" -- --engine "unix://$TMP/fake.sock"
unfake
fake close
case_run closes-at-once 69 "broke off" -- --engine "unix://$TMP/fake.sock"
unfake
fake oversized
case_run oversized 69 "more than" -- --engine "unix://$TMP/fake.sock"
unfake
fake old
case_run old-api 69 "older than" -- --engine "unix://$TMP/fake.sock"
unfake
fake slow
start=$(date +%s%N)
case_run slow-never-ending 69 "did not answer in time" -- --engine "unix://$TMP/fake.sock" --engine-timeout 700
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$elapsed_ms" -lt 3000 ] || fail "a never-ending answer took ${elapsed_ms} ms with a 700 ms engine timeout"
unfake
fake hang
start=$(date +%s%N)
case_run never-answers 69 "did not answer in time" -- --engine "unix://$TMP/fake.sock" --engine-timeout 500
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$elapsed_ms" -lt 3000 ] || fail "never-answers took ${elapsed_ms} ms with a 500 ms engine timeout"
grep -q "$TMP/fake.sock" "$TMP/err" || fail "the timeout message must name the engine"
unfake
# a user who may not use the engine (not root, not in the docker group):
# one line naming the socket, 77, and --capture-via engine changes nothing
# (no agent is tried without the engine; nothing is made)
command -v setpriv >/dev/null || prerequisite_missing "setpriv (util-linux)"
before=$(labelled_containers)
for via in auto engine; do
	rc=0
	env HOME="$TMP" setpriv --reuid=65534 --regid=65534 --clear-groups -- \
		"$NETCHECK" run --capture-via "$via" --engine "unix://$SOCK" >"$TMP/out" 2>"$TMP/err" </dev/null || rc=$?
	expect_eq "no engine access (--capture-via $via): exit ($(cat "$TMP/err"))" "$rc" 77
	one_line "$TMP/err" "no engine access"
	grep -q "permission denied on $SOCK" "$TMP/err" || fail "no engine access: '$(cat "$TMP/err")' does not name the socket"
	[ ! -s "$TMP/out" ] || fail "no engine access: printed a report"
done
expect_eq "no engine access: containers made" "$(labelled_containers)" "$before"

# the same answers under valgrind memcheck: a clear error, and no memory
# error or leak on any of them
if command -v valgrind >/dev/null; then
	for mode in http500 malformed truncated oversized old; do
		fake "$mode"
		rc=0
		valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
			"$NETCHECK" run --no-capture --engine "unix://$TMP/fake.sock" >/dev/null 2>"$TMP/vg" || rc=$?
		expect_eq "valgrind $mode: exit" "$rc" 69
		unfake
	done
else
	prerequisite_missing "valgrind"
fi
echo "PASS engine-errors"
