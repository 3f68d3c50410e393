#!/bin/bash
# `meson install --destdir`: every file the package ships lands where
# the brief for packagers says, with its mode, and nothing else does.
# Args: BUILD_DIR BINDIR MANDIR DATADIR MAN_BUILT(true|false); dirs absolute.
set -euo pipefail
BUILD=${1:?usage: $0 BUILD BINDIR MANDIR DATADIR MAN_BUILT}
BINDIR=$2 MANDIR=$3 DATADIR=$4 MAN_BUILT=$5
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }

meson install -C "$BUILD" --no-rebuild --quiet --destdir "$TMP/root" >"$TMP/log" 2>&1 ||
	fail "meson install: $(cat "$TMP/log")"

want=(
	"$BINDIR/netcheck 755"
	"$DATADIR/bash-completion/completions/netcheck 644"
	"$DATADIR/zsh/vendor-completions/_netcheck 644"
	"$DATADIR/netcheck/report.schema.json 644"
)
[ "$MAN_BUILT" = true ] && want+=("$MANDIR/man1/netcheck.1 644")
for w in "${want[@]}"; do
	f=$TMP/root${w% *}
	[ -f "$f" ] || fail "not installed: ${w% *}"
	[ "$(stat -c %a "$f")" = "${w#* }" ] || fail "${w% *}: mode $(stat -c %a "$f"), want ${w#* }"
done
got=$(cd "$TMP/root" && find . -type f | sort)
expected=$(printf '.%s\n' "${want[@]% *}" | sort)
[ "$got" = "$expected" ] || fail "installed files differ: $(diff <(echo "$expected") <(echo "$got") | grep '^[<>]' | tr '\n' ' ')"
"$TMP/root$BINDIR/netcheck" --version | grep -q '^netcheck ' || fail "the installed binary does not run"
python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$TMP/root$DATADIR/netcheck/report.schema.json" ||
	fail "the installed schema is not JSON"
echo "PASS install"
