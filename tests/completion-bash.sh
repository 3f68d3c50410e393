#!/bin/bash
# The bash completion, sourced alone: commands, options per command, fixed
# values, and container names from `docker ps` (a stub here) for probe and
# capture; with no docker installed, no names and no error.
set -euo pipefail
SCRIPT=${1:?usage: $0 netcheck.bash}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }

mkdir "$TMP/bin"
cat >"$TMP/bin/docker" <<'STUB'
#!/bin/sh
case "$1 $2" in
"ps --format") printf 'web\nworker-1\n' ;;
"network ls") printf 'bridge\nnc-net\n' ;;
*) exit 1 ;;
esac
STUB
chmod +x "$TMP/bin/docker"

# shellcheck source=/dev/null
. "$SCRIPT"
complete -p netcheck | grep -q -- '-F _netcheck' || fail "netcheck is not bound to _netcheck"

# shellcheck source=tests/completion-lib.sh
. "$(dirname "$0")/completion-lib.sh"
complete_line() { # WORDS...: the last word is the one being completed; prints COMPREPLY sorted
	complete_words "$@"
	printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' ' | sed 's/ $//'
}
expect() { # WANT WORDS...
	local want=$1 got
	shift
	got=$(complete_line "$@")
	[ "$got" = "$want" ] || fail "netcheck $*<TAB>: got '$got', want '$want'"
}
has() { # WORD WORDS...: WORD is among the completions
	local word=$1 got
	shift
	got=" $(complete_line "$@") "
	[[ $got == *" $word "* ]] || fail "netcheck $*<TAB>: '$word' not in '$got'"
}
lacks() {
	local word=$1 got
	shift
	got=" $(complete_line "$@") "
	[[ $got != *" $word "* ]] || fail "netcheck $*<TAB>: '$word' should not be offered"
}

PATH="$TMP/bin:$PATH"
expect "capture engines explain gc help paths probe run version watch" ''
expect "probe" pr
expect "--json --junit" run --j
expect "--kept" gc --ke
expect "--engine --engine-timeout" engines --eng
expect "--no-color" engines --no   # no options of its own: the global ones
has --peer run --
has --swarm run --
lacks --kept run --
lacks --peer probe --
has --http probe --
has --duration capture --
has -w capture -
lacks --json capture --
lacks --pcap-format capture --
has --overwrite capture --
has --count capture --
has --snaplen capture --
has --write capture --
expect "--engine --engine-timeout" --eng   # before the command: global options only
lacks --json --
expect "run" -H unix:///x ru            # a global option's value is skipped
expect "web worker-1" probe --json r.json ''
expect "--help --version" version --
expect "web worker-1" capture -w x.pcapng --count 5 ''
expect "--color=" run --col
expect "always" run --color = al
expect "always auto never" run --color =
expect "pcap pcapng" run --pcap-format ''
expect "web worker-1" probe ''
expect "worker-1" capture wo
expect "web worker-1" capture --duration 5 ''
expect "" capture web ''          # after the container: a filter, nothing to offer
expect "" run --port ''           # a value is expected
expect "nc-net" run --network nc
expect "capture" help ca
expect "--json" probe web --js

# no docker CLI: a PATH holding only what the test itself calls
mkdir "$TMP/nodocker"
for t in sort tr sed; do ln -s "$(command -v $t)" "$TMP/nodocker/$t"; done
saved_path=$PATH
PATH=$TMP/nodocker
expect "" probe ''
expect "--kept" gc --ke
PATH=$saved_path
echo "PASS completion-bash"
