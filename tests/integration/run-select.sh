#!/bin/bash
# --paths/--skip and --expect-file on a real run: the selected run holds
# exactly the paths of a full run that the globs choose, in the same
# order, and nothing else (not probed, not counted, published-remote's
# namespace not made); the JSON names the globs; --expect beats the file.
. "$(dirname "$0")/lib.sh"
need_root
need_engine

rc=0
"$NETCHECK" run --no-capture --json "$TMP/full.json" >"$TMP/full.txt" 2>&1 || rc=$?
[ "$rc" = 0 ] || { cat "$TMP/full.txt" >&2; fail "full run: exit $rc"; }

cat >"$TMP/netcheck.yaml" <<'YAML'
expect:
  published-*: nat|proxy
  published-host: unroutable        # wrong on purpose: --expect below beats it
environments:
  native-linux:
    published-loopback6: [reachable, unreachable]
YAML
rc=0
"$NETCHECK" run --paths 'published-*' --skip published-remote --expect-file "$TMP/netcheck.yaml" \
	--expect 'published-host=nat|proxy' --json "$TMP/sel.json" --junit "$TMP/sel.xml" >"$TMP/sel.txt" 2>&1 || rc=$?
[ "$rc" = 0 ] || { cat "$TMP/sel.txt" >&2; fail "selected run: exit $rc"; }
check_schema "$TMP/sel.json"
$PY - "$TMP/full.json" "$TMP/sel.json" "$TMP/sel.xml" <<'PY' || fail "the selected run's report"
import json, sys
import xml.etree.ElementTree as ET
full, sel = (json.load(open(f)) for f in sys.argv[1:3])
want = [p["name"] for p in full["paths"] if p["name"].startswith("published-") and p["name"] != "published-remote"]
got = [p["name"] for p in sel["paths"]]
assert "published-loopback" in want and "published-host" in want, want
assert got == want, (got, want)
assert sel["summary"]["paths"] == len(want), sel["summary"]
assert sel["selection"] == {"paths": ["published-*"], "skip": ["published-remote"]}, sel["selection"]
assert full["selection"] == {"paths": [], "skip": []}, full["selection"]
# a path left out is not prepared either: no remote-client namespace, so no capture point in it
points = [c["name"] for c in sel["environment"]["capture_points"]]
assert "docker0" in points and not any(n.startswith("ncr") for n in points), points
host = next(p for p in sel["paths"] if p["name"] == "published-host")["expectation"]
assert host["verdict"] == "reachable" and host["mechanisms"] == ["nat", "proxy"] and host["overridden"], host
cases = [c.get("name") for c in ET.parse(sys.argv[3]).getroot().iter("testcase")]
assert len(cases) == len(want), cases
PY
grep -qE "^ *published-remote[ :]" "$TMP/sel.txt" && fail "the text report names a skipped path: $(cat "$TMP/sel.txt")"
grep -q "^only the paths chosen by --paths published-\* --skip published-remote$" "$TMP/sel.txt" ||
	fail "the text report does not say which paths were chosen: $(head -n 3 "$TMP/sel.txt")"

# a selection that leaves this run no path: 64, nothing proven is no success
rc=0
"$NETCHECK" run --no-capture --paths 'published-node:*' >"$TMP/none.txt" 2>&1 || rc=$?
expect_eq "a selection with no path" "$rc" 64
grep -q "left no path" "$TMP/none.txt" || fail "$(cat "$TMP/none.txt")"
echo "PASS run-select"
