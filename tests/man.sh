#!/bin/bash
# The rendered man page: no warning from groff or man, and every command,
# environment variable and exit code documented.
set -euo pipefail
PAGE=${1:?usage: $0 netcheck.1}
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }

warnings=$(groff -ww -man -z "$PAGE" 2>&1) || fail "groff failed: $warnings"
[ -z "$warnings" ] || fail "groff warns: $warnings"
warnings=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$PAGE" 2>&1 >/dev/null) || fail "man failed: $warnings"
[ -z "$warnings" ] || fail "man warns: $warnings"

text=$(LC_ALL=C.UTF-8 MANWIDTH=200 man -l "$PAGE" 2>/dev/null)
section() { # NAME: the lines of one section
	awk -v s="$1" '/^[A-Z]/ { on = ($0 == s) } on' <<<"$text"
}
for c in run probe capture gc engines help version paths explain; do
	section COMMANDS | grep -qE "^ {7}$c( |$)" || fail "COMMANDS does not describe '$c'"
done
for v in DOCKER_HOST DOCKER_CONTEXT DOCKER_CONFIG DOCKER_CERT_PATH DOCKER_TLS_VERIFY NO_COLOR COLUMNS; do
	section ENVIRONMENT | grep -qE "^ {7}$v$" || fail "ENVIRONMENT does not describe $v"
done
for code in 0 1 64 69 70 73 77 129 130 143; do
	section 'EXIT STATUS' | grep -qE "^ {7}([0-9]+, )*$code(,|$)" || fail "EXIT STATUS does not document $code"
done
section FILES | grep -q /usr/share/netcheck/report.schema.json || fail "FILES lacks the schema"
echo "PASS man"
