#!/bin/sh
# docs/performance.md "netcheck watch over 1,000 cycles": RSS of netcheck
# watch at cycle 10 and near cycle 1000 (50 ms cycles: the test-only
# NC_WATCH_MIN_INTERVAL_MS lowers the 1 s floor).  As root, with an engine,
# nothing else using it:
#   sh tests/watch-rss.sh build/netcheck/netcheck
set -u
netcheck=${1:?usage: $0 NETCHECK_BINARY}
work=$(mktemp -d /tmp/netcheck-rss.XXXXXX)
trap 'rm -rf "$work"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
NC_WATCH_MIN_INTERVAL_MS=50 "$netcheck" watch --interval 50ms --count 1000 --listen "127.0.0.1:$port" \
	--json "$work/rss.ndjson" 2>"$work/rss.err" &
pid=$!
r10= r1000= trend=
# bounded: 1000 cycles of 50 ms and more take minutes, not an hour
for _ in $(seq 1 36000); do
	kill -0 $pid 2>/dev/null || break
	n=$(wc -l <"$work/rss.ndjson" 2>/dev/null || echo 0)
	if [ -z "$r10" ] && [ "$n" -ge 10 ]; then r10="$n $(grep VmRSS /proc/$pid/status)"; fi
	if [ "$n" -ge 995 ] && [ -z "$r1000" ]; then r1000="$n $(grep VmRSS /proc/$pid/status)"; fi
	# every 200th cycle: flat, or growing with the cycles
	if [ $((n % 200)) -eq 0 ] && [ "$n" -gt 0 ] && ! echo "$trend" | grep -q " $n:"; then
		trend="$trend $n:$(awk '/VmRSS/ {print $2}' /proc/$pid/status)"
	fi
	sleep 0.05
done
kill $pid 2>/dev/null
wait $pid; echo "rc=$?"
echo "at cycle $r10"; echo "at cycle $r1000"; echo "kB at cycle:$trend"
