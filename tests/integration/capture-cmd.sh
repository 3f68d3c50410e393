#!/bin/bash
# `netcheck capture CONTAINER`: the same capture points for a user's own
# running container; stops after --duration or at SIGINT, and the file is
# valid pcapng in both cases.
. "$(dirname "$0")/lib.sh"
need_root
need_engine
command -v capinfos >/dev/null || prerequisite_missing "capinfos (Debian package tshark)"

"$NETCHECK" run --no-capture --keep --json "$TMP/k.json" >/dev/null 2>&1 || fail "could not start a container to capture"
name=$(json_get "$TMP/k.json" 'd["container"]["name"]')
port=$(json_get "$TMP/k.json" 'd["container"]["published_port"]')
# its own kept container, by name (gc spares kept containers, anybody's)
trap 'api DELETE "/containers/$name?force=1" >/dev/null 2>&1; rm -rf "$TMP"' EXIT

# traffic while the capture runs: three requests through the published port
( sleep 0.7; for i in 1 2 3; do curl -s --max-time 2 "http://127.0.0.1:$port/capture$i" >/dev/null; done ) &
traffic=$!
rc=0
"$NETCHECK" capture "$name" -w "$TMP/c.pcapng" --duration 2 >"$TMP/out" 2>"$TMP/err" || rc=$?
wait $traffic || true
expect_eq "capture exit" "$rc" 0
cat "$TMP/out"
expect_eq "mode" "$(stat -c %a "$TMP/c.pcapng")" 600
packets=$(capinfos -c -M "$TMP/c.pcapng" | awk -F: '/Number of packets/ {gsub(/ /,"",$2); print $2}')
[ "$packets" -ge 30 ] || fail "$packets packets captured for 3 requests through the published port, want >= 30"
capinfos "$TMP/c.pcapng" | grep -q "Description = host veth of container" || fail "no veth interface in the file"
# the requests are seen in the container's own eth0 too
n_in=$(tshark -r "$TMP/c.pcapng" -Y 'frame.interface_description contains "inside container" && frame contains "GET /capture"' 2>/dev/null | wc -l)
expect_eq "requests seen inside the container" "$n_in" 3

# stopped by SIGINT: still a valid file
"$NETCHECK" capture "$name" -w "$TMP/i.pcapng" >/dev/null 2>&1 &
pid=$!
sleep 1
kill -INT $pid
rc=0
wait $pid || rc=$?
expect_eq "capture after SIGINT exit" "$rc" 0
capinfos "$TMP/i.pcapng" >/dev/null 2>&1 || fail "the file written at SIGINT is not readable"

# a container that does not exist: one line, 64, no file
rc=0
"$NETCHECK" capture netcheck-no-such-container -w "$TMP/n.pcapng" >/dev/null 2>"$TMP/err" || rc=$?
expect_eq "missing container exit" "$rc" 64
expect_eq "stderr lines" "$(wc -l <"$TMP/err")" 1
[ ! -e "$TMP/n.pcapng" ] || fail "a file was left for a missing container"
echo "PASS capture-cmd"
