#!/bin/bash
# docs/performance.md "The capture agent on the Desktop-like lab" (and "... on the rootless
# labs"): netcheck run on a lab with --capture-via host and auto (the agent), alternating,
# 5 runs each; each run's wall time and the agent's clock offset/uncertainty.  As root,
# under the integration lock.  NETCHECK: the binary (default build/netcheck/netcheck);
# NC_BENCH_LAB: desktop-lab (default), rootless-docker or rootless-podman.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
LAB=$HERE/../labs/${NC_BENCH_LAB:-desktop-lab}.sh
NC=${NETCHECK:-$HERE/../../build/netcheck/netcheck}
TMP=$(mktemp -d)
trap 'timeout 120 bash "$LAB" down >/dev/null 2>&1; rm -rf "$TMP"' EXIT
timeout 150 bash "$LAB" up >"$TMP/up.log" 2>&1 || { echo "lab up failed"; exit 1; }
# desktop-lab and rootless-docker print the URL; rootless-podman shell assignments
URL=$(bash "$LAB" env | sed -n 's/^NC_PODMAN_ENGINE=//p; /^unix:/p' | tail -n 1)
echo "lab ${NC_BENCH_LAB:-desktop-lab} at $URL"
"$NC" run --engine "$URL" --no-color >/dev/null 2>&1 # the image import, once
for i in 1 2 3 4 5; do
	for via in host auto; do
		t0=$(date +%s%N)
		"$NC" run --engine "$URL" --capture-via $via --json "$TMP/$via-$i.json" --no-color >/dev/null 2>&1
		t=$((($(date +%s%N) - t0) / 1000000))
		clock=$(python3 -c 'import json,sys; a=json.load(open(sys.argv[1]))["environment"].get("capture_agent") or {}
print(a.get("clock_offset_ns"), a.get("clock_uncertainty_ns"))' "$TMP/$via-$i.json")
		echo "$via run $i: $t ms; clock offset, uncertainty (ns): $clock"
	done
done
