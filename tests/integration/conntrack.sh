#!/bin/bash
# The conntrack entry of each path's own connection, as a real run records
# it: published-host's shows Docker's DNAT to the container's address and
# port (checked against `conntrack -L` where conntrack is installed, and
# always against the container's address as `docker inspect` gives it),
# and the JSON matches the schema; -v prints the entries.
. "$(dirname "$0")/lib.sh"
need_root
need_engine

"$NETCHECK" run --keep -v --json "$TMP/r.json" >"$TMP/out.txt" 2>"$TMP/err.txt" ||
	{ cat "$TMP/out.txt" "$TMP/err.txt" >&2; fail "netcheck run failed"; }
name=$(json_get "$TMP/r.json" 'd["container"]["name"]')
# its own kept container, by name (gc spares kept containers, anybody's)
trap 'api DELETE "/containers/$name?force=1" >/dev/null 2>&1; rm -rf "$TMP"' EXIT
check_schema "$TMP/r.json"

ct() { json_get "$TMP/r.json" "p['published-host']['conntrack']$1"; }
expect_eq "published-host entry found" "$(ct '["found"]')" True
expect_eq "published-host dnat" "$(ct '["dnat"]')" True
expect_eq "published-host snat" "$(ct '["snat"]')" False
# what the client sent is the probe's own tuple
expect_eq "original src" "$(ct '["original"]["src"]')" "$(json_get "$TMP/r.json" 'p["published-host"]["local"]')"
expect_eq "original dst" "$(ct '["original"]["dst"]')" "$(json_get "$TMP/r.json" 'p["published-host"]["target"]')"
# the answer comes from the container's address and port: the engine's word for it
ip=$(docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$name")
[ -n "$ip" ] || fail "docker inspect gave no address for $name"
port=$(json_get "$TMP/r.json" 'd["container"]["port"]')
expect_eq "reply src (docker inspect)" "$(ct '["reply"]["src"]')" "$ip:$port"
expect_eq "reply dst" "$(ct '["reply"]["dst"]')" "$(json_get "$TMP/r.json" 'p["published-host"]["local"]')"
# and the kernel's own tool, where installed (the entry is in TIME_WAIT for 120 s)
if command -v conntrack >/dev/null; then
	src=$(ct '["original"]["src"]')
	dst=$(ct '["original"]["dst"]')
	line=$(conntrack -L -p tcp --orig-src "${src%:*}" --orig-dst "${dst%:*}" --sport "${src##*:}" \
		--dport "${dst##*:}" 2>/dev/null | head -1)
	[ -n "$line" ] || fail "conntrack -L has no entry for $src > $dst"
	# the second src=/sport= of the line is the reply tuple's
	reply=$(echo "$line" | awk '{ n = 0; for (i = 1; i <= NF; i++) { if ($i ~ /^src=/) n++;
		if (n == 2 && $i ~ /^src=/) a = substr($i, 5); if (n == 2 && $i ~ /^sport=/ && p == "") p = substr($i, 7) }
		print a ":" p }')
	expect_eq "reply src (conntrack -L)" "$(ct '["reply"]["src"]')" "$reply"
else
	echo "conntrack(8) not installed: compared with docker inspect only"
fi
# a path of the container's own address is tracked as it was sent: no NAT
expect_eq "direct-tcp dnat" "$(json_get "$TMP/r.json" 'p["direct-tcp"]["conntrack"]["dnat"]')" False
# -v prints them
grep -q "^conntrack:" "$TMP/out.txt" || fail "-v prints no conntrack entries"
grep -qE "published-host: tcp .* > .*\[DNAT\]" "$TMP/out.txt" || fail "-v does not show published-host's DNAT"
echo "PASS conntrack"
