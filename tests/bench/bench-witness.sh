#!/bin/bash
# A/B: netcheck run with and without the kernel witness (NETCHECK_NO_WITNESS=1), alternating;
# prints "with|without WALL_US USER_S SYS_S" per run.  tests/bench/bench-witness.sh NETCHECK [PAIRS]
N=${2:-12}
B=$1
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
for i in $(seq 1 $N); do
  for mode in with without; do
    if [ $mode = without ]; then export NETCHECK_NO_WITNESS=1; else unset NETCHECK_NO_WITNESS; fi
    s=$(date +%s%N)
    /usr/bin/time -f "%U %S" -o "$T/time" $B run --json "$T/r.json" >/dev/null 2>&1
    e=$(date +%s%N)
    read u sy < "$T/time"
    echo "$mode $(( (e-s)/1000 )) $u $sy"
  done
done
