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

complete_line() { # WORDS...: the last word is the one being completed; prints COMPREPLY sorted
	COMP_WORDS=(netcheck "$@")
	COMP_CWORD=$#
	COMP_LINE="netcheck $*"
	COMP_POINT=${#COMP_LINE}
	COMPREPLY=()
	_netcheck netcheck "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
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
expect "capture engines gc help probe run" ''
expect "probe" pr
expect "--json --junit" run --j
expect "--kept" gc --ke
expect "--help" engines --
has --peer run --
has --swarm run --
lacks --kept run --
lacks --peer probe --
has --http probe --
has --duration capture --
has -w capture -
lacks --json capture --
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
