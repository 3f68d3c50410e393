#!/bin/bash
# Two containers on one host port number, on two addresses, on purpose:
# the engine allocates host ports per address, so `web`, published on
# 127.0.0.1:P only, and `other`, published on this host's address at the
# same P, coexist (the collision diagnose-state.sh once met by chance).
#   netcheck probe web: its remote client (published-remote at HOST:P, where
#   web is not meant to be reached) reaches `other` instead.  The path is not
#   as expected, and the diagnosis says why: other-container-answered, naming
#   `other` (name and short id), citing the conntrack entry's DNAT to other's
#   address and the engine's binding of HOST:P; the table says "UNEXPECTED
#   (another container answered)".  web's own loopback path is fine.
#   netcheck probe other: its remote path reaches itself: no such diagnosis.
# A fixed port of its own (free on every address when picked).  Both
# containers, the image and $TMP are removed (trap).
. "$(dirname "$0")/lib.sh"
need_root
need_engine

tag=nctest-other-$$
busybox_group "$tag" "$tag-nonet" # no network of its own: the default bridge
host_ip=$(ip -4 route get 192.0.2.1 | sed -n 's/.* src \([0-9.]*\).*/\1/p')
[ -n "$host_ip" ] || prerequisite_missing "a host address (ip route get)"
port=$($PY -c 'import socket; s=socket.socket(); s.bind(("0.0.0.0", 0)); print(s.getsockname()[1])')
start web -p "127.0.0.1:$port:80" "$img"
start other -p "$host_ip:$port:80" "$img"
other_id=$(docker inspect -f '{{.Id}}' "$tag-other")
other_ip=$(docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$tag-other")
[ -n "$other_ip" ] || fail "no address for $tag-other"
observed() { # FILE PATH SOURCE: the texts of the path's observations from SOURCE
	json_get "$1" "'\\n'.join(o['text'] for o in (p['$2']['diagnosis'] or {}).get('observed', []) if o['source'] == '$3')"
}

# -- web: its remote path answered by other
rc=0
"$NETCHECK" probe "$tag-web" --timeout 1000 --json "$TMP/web.json" >"$TMP/web.txt" 2>&1 || rc=$?
expect_eq "web exit ($(cat "$TMP/web.txt"))" "$rc" 1
check_schema "$TMP/web.json"
expect_eq "web: published-remote target" "$(json_get "$TMP/web.json" "p['published-remote']['target']")" "$host_ip:$port"
expect_eq "web: published-remote verdict" "$(json_get "$TMP/web.json" "p['published-remote']['verdict']")" reachable
expect_eq "web: published-remote diagnosis ($(cat "$TMP/web.txt"))" "$(diag "$TMP/web.json" published-remote)" \
	other-container-answered
detail=$(json_get "$TMP/web.json" "p['published-remote']['diagnosis']['detail']")
[[ $detail == *"reached container $tag-other (${other_id:0:12}), not this one"* ]] ||
	fail "the detail does not name $tag-other (${other_id:0:12}): $detail"
[[ $detail == *"DNAT sent it to $other_ip:80"* ]] || fail "the detail does not say where the DNAT went: $detail"
# read whole, then matched (grep -q would close the pipe under pipefail)
cited=$(observed "$TMP/web.json" published-remote conntrack)
[[ $cited == *"DNAT to $other_ip:80"* ]] || fail "no conntrack entry cited: $cited"
cited=$(observed "$TMP/web.json" published-remote engine)
[[ $cited == *"container $tag-other (${other_id:0:12}) at $other_ip, publishing $host_ip:$port to its port 80/tcp"* ]] ||
	fail "the engine's binding of the other is not cited: $cited"
expect_eq "web: published-remote expected" "$(json_get "$TMP/web.json" "p['published-remote']['expected']")" False
grep -q "published-remote .*UNEXPECTED (another container answered)" "$TMP/web.txt" ||
	fail "the table does not say why: $(cat "$TMP/web.txt")"
grep -q "published-remote: \[other-container-answered\]" "$TMP/web.txt" || fail "no diagnosis line: $(cat "$TMP/web.txt")"
expect_eq "web: published-loopback" "$(json_get "$TMP/web.json" "p['published-loopback']['verdict']")" reachable
expect_eq "web: published-loopback expected" "$(json_get "$TMP/web.json" "p['published-loopback']['expected']")" True
note "the run's text (docs/diagnosis.md quotes it):"
sed 's/^/# /' "$TMP/web.txt" >&2

# -- other: its remote path reaches itself
rc=0
"$NETCHECK" probe "$tag-other" --timeout 1000 --json "$TMP/other.json" >"$TMP/other.txt" 2>&1 || rc=$?
expect_eq "other exit ($(cat "$TMP/other.txt"))" "$rc" 0
expect_eq "other: published-remote verdict" "$(json_get "$TMP/other.json" "p['published-remote']['verdict']")" reachable
expect_eq "other: published-remote diagnosis" "$(diag "$TMP/other.json" published-remote)" None
echo "ok: the container that answered is named"
