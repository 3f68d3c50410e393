#!/bin/bash
# The command line: bad input gets one line on stderr and exit 64; help
# and version answer; an option of another command is refused; --json is
# written on every exit.  Needs no engine: the ones named here do not exist.
set -euo pipefail
NETCHECK=$(realpath "${1:?usage: $0 NETCHECK}")
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }

fails() { # WANT_RC WANT_GREP args...: one line on stderr, nothing on stdout
	local want=$1 pattern=$2 rc=0
	shift 2
	"$NETCHECK" "$@" >"$TMP/out" 2>"$TMP/err" || rc=$?
	[ "$rc" = "$want" ] || fail "'$*': exit $rc, want $want ($(cat "$TMP/err"))"
	[ "$(wc -l <"$TMP/err")" = 1 ] || fail "'$*': stderr has $(wc -l <"$TMP/err") lines"
	grep -q -- "$pattern" "$TMP/err" || fail "'$*': stderr '$(cat "$TMP/err")' lacks '$pattern'"
	[ ! -s "$TMP/out" ] || fail "'$*': wrote to stdout"
}
bad() { fails 64 "$@"; }

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
bad "netcheck run: --expect: unknown path 'sideways' (a path name: netcheck paths lists them" run --expect sideways=reachable
grep -q -- "--expect: --expect" "$TMP/err" && fail "the --expect message says --expect twice"
bad "neither a verdict nor a mechanism" run --expect direct=maybe
bad "pcap contradicts --no-capture" run --pcap x.pcapng --no-capture

# long options are spelled in full: getopt's unique prefixes would let a
# typo mean another option (run --col once started a run)
bad "unknown option '--col' (options are spelled in full: --color)" run --col
bad "unknown option '--colo' (options are spelled in full: --color)" run --colo=always
bad "unknown option '--kep' (options are spelled in full: --kept)" gc --kep
bad "unknown option '--jso' (options are spelled in full: --json)" probe web --jso x
bad "unknown option '--co' (options are spelled in full: --context or --color or --count)" run --co x
bad "unknown option '--pcap-fmt'" run --pcap-fmt pcap
bad "option '--peer' takes no value" run --peer=yes
bad "option '--timeout' needs a value" probe web --timeout
bad "unknown option '-x'" run -vx
bad "unknown option '-.xd3'" run -H x -$'\xd3'oson - # a byte of a cluster after a word (fuzz-cli found it read past that word)
bad "unknown option '-Z'" run --peer -vZ

# no option starts a run: only a bare 'netcheck' does; global options go
# before or after the command, the others after it
bad "a command is needed before '--no-capture'" --no-capture
bad "a command is needed before '-v'" -v
bad "a command is needed before '-H'" -H unix:///x
bad "unknown option '--col' (options are spelled in full: --color); and a command is needed" --col
bad "netcheck run: --json is not a global option: it goes after the command" --json x run
bad "netcheck gc: --kept is not a global option" --kept gc
bad "netcheck: unknown option '--bogus'" --bogus x run # the option's fault before 'x'
bad "netcheck version: --engine-timeout does not apply to version" --engine-timeout 5 version
bad "netcheck help: -v does not apply to help" -v help
bad "milliseconds" --engine-timeout 0 gc   # a global option before the command is checked as after it
bad "give one" --context ctx run -H unix:///x
bad "unknown command 'frob'" -H unix:///x frob

# options of another command: one line naming the option and the command
bad "netcheck gc: --pcap does not apply to gc (see netcheck gc --help)" gc --pcap x
bad "netcheck engines: --kept does not apply to engines" engines --kept
bad "netcheck probe: --image does not apply to probe" probe web --image x
bad "netcheck probe: --keep does not apply to probe" probe web --keep
bad "netcheck capture: --json does not apply to capture" capture web --json x
bad "netcheck run: -w does not apply to run" run -w x
bad "netcheck run: -c does not apply to run" run -c 5
bad "netcheck gc: --json does not apply to gc" gc --color=always --json x --pcap y # the first foreign one
bad "netcheck version: -H does not apply to version" version -H unix:///x

# values
bad "port number" probe web --port 0
bad "port number" probe web --port 70000
bad "given twice" probe web --port 80 --port 80
ports=()
for p in $(seq 1 17); do ports+=(--port "$p"); done
bad "at most 16" probe web "${ports[@]}"
bad "given once for run" run --port 80 --port 81
bad "Docker network name" run --network 'two words'
bad "Docker network name" run --network -dash-first
bad "Docker network name" run --network "$(printf 'n%.0s' $(seq 1 129))"
bad "starts with '/'" run --http=health
bad "starts with '/'" probe web --http='/a b'
bad "starts with '/'" run --http="/$(printf 'p%.0s' $(seq 1 256))"
bad "unexpected argument '/x'" probe web --http /x # the path needs '='
bad "context name" run --context 'no/slash'
bad "give one" run --context ctx -H unix:///x
bad "several engines only with run --swarm" run -H unix:///a -H unix:///b
bad "several engines only with run --swarm" gc -H unix:///a -H unix:///b
bad "auto, always or never" run --color=sometimes
bad "packet count" capture web -c 0
bad "packet count" capture web -c 1000000001
bad "snapshot length" capture web -s 63
bad "snapshot length" capture web -s 262145
bad "seconds 1-86400" capture web --duration 86401
# the user's filter alone, before any container or interface: not inside netcheck's own scope
bad 'bad capture filter "tcp portt 8080": can'"'"'t parse' capture web tcp portt 8080
bad "longer than 1024 bytes" capture web "$(printf 'x%.0s' $(seq 1 1000))" port 80000000000000000000000
bad "CONTAINER is missing" capture
bad "CONTAINER is missing" probe
bad "not a container name" probe 'a/b'
bad "unexpected argument 'b'" probe a b
bad "standard output" run --json - --pcap -
bad "standard output" probe web --junit - --html -
bad "no command 'nope'" help nope
bad "unexpected argument" version extra

# help: one per command, naming it; `help CMD` is `CMD --help`
"$NETCHECK" --help >"$TMP/help"
for cmd in run probe capture gc engines help version paths explain; do
	"$NETCHECK" "$cmd" --help >"$TMP/help-$cmd" || fail "$cmd --help: exit $?"
	head -n 1 "$TMP/help-$cmd" | grep -q "^Usage: netcheck $cmd" || fail "$cmd --help: $(head -n 1 "$TMP/help-$cmd")"
	grep -q "^Exit codes:" "$TMP/help-$cmd" || fail "$cmd --help lists no exit codes"
	"$NETCHECK" help "$cmd" | cmp -s - "$TMP/help-$cmd" || fail "'help $cmd' differs from '$cmd --help'"
	cmp -s "$TMP/help" "$TMP/help-$cmd" && fail "$cmd --help is the general help"
	grep -qE "^  $cmd( |\$)" "$TMP/help" || fail "--help does not list $cmd"
done
[ "$(sort -u <(md5sum "$TMP"/help-* | cut -d' ' -f1) | wc -l)" = 9 ] || fail "two commands share a help text"
grep -q -- "--image" "$TMP/help-run" || fail "run --help lacks --image"
grep -q -- "--image" "$TMP/help-probe" && fail "probe --help lists --image"
grep -q -- "--kept" "$TMP/help-gc" || fail "gc --help lacks --kept"
grep -q -- "--overwrite" "$TMP/help-capture" || fail "capture --help lacks --overwrite"
"$NETCHECK" -h | cmp -s - "$TMP/help" || fail "-h differs from --help"
"$NETCHECK" help | cmp -s - "$TMP/help" || fail "help differs from --help"

for code in 0 1 64 69 70 73 77 129 130 143; do
	grep -qE "^  ([0-9]+/)*$code(/| )" "$TMP/help" || fail "--help does not document exit code $code"
done
for v in --version -V version "probe -V" "-H unix:///x -V"; do
	# shellcheck disable=SC2086 # "probe -V": two words
	"$NETCHECK" $v >"$TMP/version" || fail "$v: exit $?"
	grep -qE '^netcheck [0-9]+\.[0-9]+\.[0-9]+$' "$TMP/version" || fail "$v: $(cat "$TMP/version")"
	# the libraries as loaded, and the build's features
	grep -qE '^libraries: libuv [0-9]+\.[0-9]+\.[0-9]+, libpcap [0-9]+\.[0-9]+[^,]*, jansson [0-9.]+, libcurl [0-9.]+' \
		"$TMP/version" || fail "$v names no library versions: $(cat "$TMP/version")"
	grep -qE '^features: ([+-][a-z0-9]+ ?)*[+-]nftables' "$TMP/version" || fail "$v names no features"
	if grep -q '+nftables' "$TMP/version"; then
		grep -qE ', libnftables [0-9.]+' "$TMP/version" || fail "$v: +nftables without its version"
	fi
done
cmp -s "$TMP/version" <("$NETCHECK" version) || fail "-V and version differ"

# paths and explain: every path kind and diagnosis code, one line each,
# from the model's table (the names reports use)
"$NETCHECK" paths >"$TMP/paths" || fail "paths: exit $?"
for p in direct-icmp direct-tcp direct-udp published-loopback published-host published-remote container-to-host \
	container-to-container-dns published-ingress task-to-service-dns; do
	grep -qE "^$p +[a-z]" "$TMP/paths" || fail "paths does not list $p"
done
[ "$(wc -l <"$TMP/paths")" -ge 18 ] || fail "paths lists $(wc -l <"$TMP/paths") kinds"
"$NETCHECK" paths --json | python3 -c '
import json, sys
doc = json.load(sys.stdin)
names = [p["name"] for p in doc]
assert len(names) == len(set(names)) and all(p["meaning"] for p in doc), doc
assert "published-remote" in names, names
with open(sys.argv[1]) as f:
    assert names == [l.split()[0] for l in f], "paths and paths --json differ"
' "$TMP/paths" || fail "paths --json"
"$NETCHECK" explain >"$TMP/codes" || fail "explain: exit $?"
for c in listening-on-loopback-only not-listening container-exited not-published dropped reset no-answer \
	source-address-lost input-firewall-bypassed name-not-resolved no-forwarder; do
	grep -qE "^$c +[a-z]" "$TMP/codes" || fail "explain does not list $c"
	"$NETCHECK" explain "$c" | grep -qE "^$c: [a-z]" || fail "explain $c"
done
"$NETCHECK" explain direct-tcp | grep -q "^direct-tcp (a path): " || fail "explain direct-tcp"
bad "unknown code 'sideways'" explain sideways
bad "unexpected argument 'dropped'" explain reset dropped
bad "option '--json' takes no value" paths --json=x
bad "netcheck paths: -H does not apply to paths" paths -H unix:///x
bad "netcheck explain: --json does not apply to explain" explain --json

# --paths and --skip: globs over path names, each checked before any engine
bad "netcheck run: --paths: 'sideways' matches no path (netcheck paths lists them)" run --paths sideways
bad "netcheck probe: --skip: 'publshed-?' matches no path" probe web --skip 'direct-tcp,publshed-?'
bad "--paths: an empty glob in 'direct-tcp,'" run --paths direct-tcp,
bad "--skip needs GLOB" run --skip ''
bad "at most 95 characters" run --paths "$(printf 'direct-%0100d' 0)"
bad "netcheck capture: --paths does not apply to capture" capture web --paths direct-tcp

# --expect takes sets and globs; --expect-file's errors name the file and line
bad "--expect: 'prxy' is neither a verdict nor a mechanism" run --expect 'published-*=nat|prxy'
printf 'expect:\n  direct-*: reachable\n  published-host: reachble\n' >"$TMP/typo.yaml"
bad "netcheck run: $TMP/typo.yaml:3: unknown verdict 'reachble' (verdicts: reachable," run --expect-file "$TMP/typo.yaml"
printf 'expect:\n  direct-*: reachable\nenvironments:\n  laptop:\n    direct-*: unroutable\n' >"$TMP/env.yaml"
bad "$TMP/env.yaml:4: unknown environment 'laptop'" probe web --expect-file "$TMP/env.yaml"
printf 'expect:\n  direct-tcp: reachable\n published-host: nat\n' >"$TMP/indent.yaml"
bad "$TMP/indent.yaml:3: not YAML" run --expect-file "$TMP/indent.yaml"
bad "--expect-file: cannot read $TMP/none.yaml: No such file or directory" run --expect-file "$TMP/none.yaml"
bad "--expect-file: $TMP is not a file of at most 65536 bytes" run --expect-file "$TMP"
head -c 70000 /dev/zero | tr '\0' '#' >"$TMP/big.yaml"
bad "is not a file of at most 65536 bytes" run --expect-file "$TMP/big.yaml"

# an engine that is not there: exit 69, one line, and --json still written
# with the reason (run and probe); no capture file left behind
noengine=unix://$TMP/no-engine.sock
for cmd in run "probe web"; do
	rc=0
	# shellcheck disable=SC2086 # "probe web": two words
	printf 'expect:\n  published-*: nat|proxy\n  published-remote: [reachable, unreachable]\n' >"$TMP/good.yaml"
	"$NETCHECK" $cmd --engine "$noengine" --json "$TMP/r.json" --pcap "$TMP/r.pcapng" --paths 'published-*' \
		--skip published-remote --expect-file "$TMP/good.yaml" --expect 'direct-*=nat|proxy' \
		>"$TMP/out" 2>"$TMP/err" || rc=$?
	[ "$rc" = 69 ] || fail "$cmd without an engine: exit $rc, want 69 ($(cat "$TMP/err"))"
	[ "$(wc -l <"$TMP/err")" = 1 ] || fail "$cmd without an engine: stderr has $(wc -l <"$TMP/err") lines"
	[ ! -s "$TMP/out" ] || fail "$cmd without an engine printed: $(head -n 3 "$TMP/out")"
	[ ! -e "$TMP/r.pcapng" ] || fail "$cmd without an engine left the capture file"
	python3 - "$TMP/r.json" <<'PY' || fail "$cmd without an engine: the JSON report"
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc["exit_code"] == 69, doc["exit_code"]
assert "no-engine.sock" in doc["error"]["message"], doc.get("error")
# a name a program can match on, not only netcheck's internal number
assert doc["error"]["name"] == "ENOENT", doc.get("error")
assert doc["paths"] == []
assert doc["selection"] == {"paths": ["published-*"], "skip": ["published-remote"]}, doc["selection"]
PY
	rm -f "$TMP/r.json"
done
# a global option before the command is the same as after it: the
# engine named first is the one asked
rc=0
"$NETCHECK" -H "$noengine" --engine-timeout 500 run --json "$TMP/r.json" >/dev/null 2>"$TMP/err" || rc=$?
[ "$rc" = 69 ] || fail "-H before run: exit $rc, want 69 ($(cat "$TMP/err"))"
grep -q "no-engine.sock" "$TMP/err" || fail "-H before run: the engine named is not the one asked: $(cat "$TMP/err")"
rm -f "$TMP/r.json"

# an output that cannot be created: 73 (sysexits EX_CANTCREAT), one line,
# no file; a --json that could be created says so too
mkdir "$TMP/folder"
for out in --json --junit --html --pcap; do
	fails 73 "cannot write" run --engine "$noengine" "$out" /nonexistent-dir/x
	fails 73 "cannot write" probe web --engine "$noengine" "$out" "$TMP/folder" # a folder is no file
done
fails 73 "cannot write the capture" capture web --engine "$noengine" -w /nonexistent-dir/x.pcapng
fails 73 "cannot write the capture" capture web --engine "$noengine" -w "$TMP/folder"
if [ "$(id -u)" != 0 ]; then # root writes anywhere
	chmod a-w "$TMP/folder"
	(cd "$TMP/folder" && fails 73 "cannot write the capture" capture web --engine "$noengine")
	chmod u+w "$TMP/folder"
fi
[ -z "$(ls -A "$TMP/folder")" ] || fail "an output that cannot be created left $(ls -A "$TMP/folder")"
[ ! -e /nonexistent-dir ] || fail "/nonexistent-dir exists"
rc=0
"$NETCHECK" run --engine "$noengine" --json "$TMP/r.json" --pcap /nonexistent-dir/x.pcapng >/dev/null 2>"$TMP/err" || rc=$?
[ "$rc" = 73 ] || fail "--pcap into a missing folder: exit $rc, want 73"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["exit_code"] == 73 and "cannot write the capture" in d["error"]["message"], d' \
	"$TMP/r.json" || fail "--pcap into a missing folder: the JSON report"
# --json -: the document on stdout, the message on stderr
rc=0
"$NETCHECK" run --engine "$noengine" --json - >"$TMP/out" 2>"$TMP/err" || rc=$?
[ "$rc" = 69 ] || fail "--json - without an engine: exit $rc"
python3 -c 'import json,sys; assert json.load(sys.stdin)["error"]["message"]' <"$TMP/out" || fail "--json - without an engine"

# capture never replaces a file silently
echo keep >"$TMP/exists.pcapng"
bad "exists; --overwrite replaces it" capture web -w "$TMP/exists.pcapng" --engine "$noengine"
[ "$(cat "$TMP/exists.pcapng")" = keep ] || fail "capture touched an existing file"
# the default name carries the container and a UTC time; nothing is left when the capture fails
rc=0
(cd "$TMP" && "$NETCHECK" capture web --engine "$noengine" >/dev/null 2>"$TMP/err") || rc=$?
[ "$rc" = 69 ] || fail "capture without an engine: exit $rc"
ls "$TMP"/netcheck-web-*.pcapng >/dev/null 2>&1 && fail "capture without an engine left $(ls "$TMP"/netcheck-web-*)"
# -w -: nothing but packets on stdout, so the message goes to stderr
rc=0
"$NETCHECK" capture web -w - --engine "$noengine" >"$TMP/out" 2>"$TMP/err" || rc=$?
if [ "$rc" != 69 ] || [ -s "$TMP/out" ]; then
	fail "capture -w - without an engine: exit $rc, stdout $(wc -c <"$TMP/out") bytes"
fi
echo "PASS cli"
