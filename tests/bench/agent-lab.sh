#!/bin/bash
# docs/performance.md "The capture agent on the Desktop-like lab" (and "... on the rootless
# labs"): netcheck run on a lab with --capture-via host and auto (the agent), alternating,
# ROUNDS runs each (default 5); each run's wall time and the agent's clock offset/uncertainty,
# then the medians and what the agent adds (difference of the medians).  As root, under the
# integration lock.  NETCHECK: the binary (default build/netcheck/netcheck); NETCHECK_BASE: a
# second binary (an older build) measured in the same rounds, alternating, for a before/after;
# NC_BENCH_LAB: desktop-lab (default), rootless-docker or rootless-podman.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
LAB=$HERE/../labs/${NC_BENCH_LAB:-desktop-lab}.sh
NC=${NETCHECK:-$HERE/../../build/netcheck/netcheck}
ROUNDS=${ROUNDS:-5}
[[ $ROUNDS =~ ^[0-9]+$ ]] && [ "$ROUNDS" -ge 1 ] && [ "$ROUNDS" -le 50 ] || { echo "ROUNDS must be 1..50"; exit 1; }
TMP=$(mktemp -d)
trap 'timeout 120 bash "$LAB" down >/dev/null 2>&1; rm -rf "$TMP"' EXIT
timeout 150 bash "$LAB" up >"$TMP/up.log" 2>&1 || { echo "lab up failed"; exit 1; }
# desktop-lab and rootless-docker print the URL; rootless-podman shell assignments
URL=$(bash "$LAB" env | sed -n 's/^NC_PODMAN_ENGINE=//p; /^unix:/p' | tail -n 1)
echo "lab ${NC_BENCH_LAB:-desktop-lab} at $URL"
BINS=(new)
[ -n "${NETCHECK_BASE:-}" ] && BINS=(base new)
binary() { if [ "$1" = base ]; then echo "$NETCHECK_BASE"; else echo "$NC"; fi; }
for b in "${BINS[@]}"; do
	"$(binary "$b")" run --engine "$URL" --no-color >/dev/null 2>&1 # the image import, once each
done
for i in $(seq "$ROUNDS"); do
	for b in "${BINS[@]}"; do
		for via in host auto; do
			t0=$(date +%s%N)
			"$(binary "$b")" run --engine "$URL" --capture-via $via --json "$TMP/$b-$via-$i.json" --no-color \
				>/dev/null 2>&1
			t=$((($(date +%s%N) - t0) / 1000000))
			echo "$t" >>"$TMP/$b-$via.ms"
			clock=$(python3 -c 'import json,sys; a=json.load(open(sys.argv[1]))["environment"].get("capture_agent") or {}
print(a.get("clock_offset_ns"), a.get("clock_uncertainty_ns"))' "$TMP/$b-$via-$i.json" 2>/dev/null)
			echo "$b $via run $i: $t ms; clock offset, uncertainty (ns): $clock"
		done
	done
done
median() { sort -n "$1" | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
for b in "${BINS[@]}"; do
	h=$(median "$TMP/$b-host.ms")
	a=$(median "$TMP/$b-auto.ms")
	echo "$b: median host $h ms, auto $a ms: the agent adds $(awk -v a="$a" -v h="$h" 'BEGIN {print a - h}') ms"
done
