#!/bin/sh
# docs/performance.md "netcheck watch over 1,000 cycles"; run under /tmp/nc-integration.lock from the worktree
# RSS of netcheck watch at cycle 10 and near cycle 1000
cd /work/wt-watch
rm -f /tmp/rss.ndjson
NC_WATCH_MIN_INTERVAL_MS=50 ./build/netcheck/netcheck watch --interval 50ms --count 1000 --listen 127.0.0.1:19470 --json /tmp/rss.ndjson 2>/tmp/rss.err &
pid=$!
r10= r1000=
while kill -0 $pid 2>/dev/null; do
	n=$(wc -l < /tmp/rss.ndjson 2>/dev/null || echo 0)
	if [ -z "$r10" ] && [ "$n" -ge 10 ]; then r10="$n $(grep VmRSS /proc/$pid/status)"; fi
	if [ "$n" -ge 995 ] && [ -z "$r1000" ]; then r1000="$n $(grep VmRSS /proc/$pid/status)"; fi
	sleep 0.05
done
wait $pid; echo "rc=$?"
echo "at cycle $r10"; echo "at cycle $r1000"
