#!/bin/bash
# The IPv6 readiness wait: N runs, each the first container of a fresh IPv6
# user network of its own (fd6e:6372:6479::/64, removed after each), then one
# more run on the same network (its bridge out of DAD already).  Prints
# "first|again WAITED_MS POLLS WALL_MS TCP6_VERDICT" per run.
#   tests/bench/bench-ipv6-ready.sh NETCHECK [N]
set -u
B=$1
N=${2:-5}
NET=ncbench-ipv6ready-$$
T=$(mktemp -d)
trap 'docker network rm "$NET" >/dev/null 2>&1; rm -rf "$T"' EXIT
show() {
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); w=d["environment"]["ipv6_readiness"]; p={x["name"]:x for x in d["paths"]}
print(sys.argv[2], w["waited_ms"], w["polls"], sys.argv[3], p["direct-tcp6"]["verdict"])' "$T/r.json" "$1" "$2"
}
for i in $(seq 1 "$N"); do
	docker network create --ipv6 --subnet fd6e:6372:6479::/64 "$NET" >/dev/null || exit 1
	for mode in first again; do
		s=$(date +%s%N)
		"$B" run --network "$NET" --no-capture --json "$T/r.json" >/dev/null 2>&1
		e=$(date +%s%N)
		show "$mode" $(( (e - s) / 1000000 ))
	done
	docker network rm "$NET" >/dev/null
done
