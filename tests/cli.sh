#!/bin/bash
# The command line: bad input gets one line on stderr and exit 64; help
# and version answer; nothing needs an engine.
set -euo pipefail
NETCHECK=${1:?usage: $0 NETCHECK}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }

bad() { # WANT_GREP args...
	local pattern=$1 rc=0
	shift
	"$NETCHECK" "$@" >"$TMP/out" 2>"$TMP/err" || rc=$?
	[ "$rc" = 64 ] || fail "'$*': exit $rc, want 64"
	[ "$(wc -l <"$TMP/err")" = 1 ] || fail "'$*': stderr has $(wc -l <"$TMP/err") lines"
	grep -q -- "$pattern" "$TMP/err" || fail "'$*': stderr '$(cat "$TMP/err")' lacks '$pattern'"
	[ ! -s "$TMP/out" ] || fail "'$*': wrote to stdout"
}

bad "unknown option '--bogus'" --bogus
bad "unknown command 'frobnicate'" frobnicate
bad "port number" run --port 0
bad "port number" run --port 65536
bad "port number" run --port 80x
bad "port number" run --host-port -1
bad "needs a value" run --json
bad "milliseconds" run --timeout 0
bad "milliseconds" run --engine-timeout 99999999999
bad "pcapng or pcap" run --pcap-format pcapx
bad "needs --port" run --image foo
bad "unexpected argument" run extra
bad "contradicts" run --no-capture --require-capture
bad "not PATH=VALUE" run --expect direct
bad "unknown path" run --expect sideways=reachable
bad "neither a verdict nor a mechanism" run --expect direct=maybe
bad "cannot write the JSON report" run --json /nonexistent-dir/x.json

"$NETCHECK" --help >"$TMP/help"
for code in 0 1 64 69 70 77 129 130 143; do
	grep -qE "^  ([0-9]+/)*$code(/| )" "$TMP/help" || fail "--help does not document exit code $code"
done
"$NETCHECK" --version | grep -qE '^netcheck [0-9]+\.[0-9]+\.[0-9]+$' || fail "--version"
echo "PASS cli"
