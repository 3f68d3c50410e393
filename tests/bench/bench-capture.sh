#!/usr/bin/env bash
# Benchmark: what packet capture costs.
#
#   tests/bench/bench-capture.sh NETCHECK_BINARY [RUNS]     (RUNS: 1..200, default 15)
#
# 1. Run overhead: `netcheck run --json FILE` (capture on, the default)
#    against `netcheck run --no-capture --json FILE`.  One warm-up of each,
#    then RUNS of each, interleaved (the order flips every pair, so drift
#    lands on both sides alike); the ratio of medians is what counts.
#
# 2. Drops under a bulk stream: a sink container (busybox nc + dd to
#    /dev/null, from an image made here out of Debian's busybox-static)
#    publishes port 5001 on 127.0.0.1.  One TCP stream is pushed through
#    the published port as fast as it goes, for NC_BENCH_STREAM_S seconds
#    (default 4; NC_BENCH_PACE_MBS=N paces it to N MB/s instead), while
#    `netcheck capture` watches the container, and
#    again without capture as the baseline rate; NC_BENCH_ROUNDS (default 5)
#    rounds, the order flipping every round.  Reported: rates, their ratio,
#    and per capture point the packets stored, the kernel's count (pcapng
#    interface statistics: ifrecv = pcap_stats ps_recv, ifdrop = ps_drop)
#    and the drops.
#
# A measurement, not a test: exits 0 whatever the verdict, 1 if a step fails.
# Traffic goes only over loopback and to the containers it creates.  Its
# own containers carry io.netcheck.bench=capture (not io.netcheck.run, so
# `netcheck gc` and other runs leave them alone) and it removes them, the
# sink image and its temp files on exit, also on Ctrl-C.
set -euo pipefail

NETCHECK=${1:?usage: $0 NETCHECK_BINARY [RUNS]}
RUNS=${2:-15}
ROUNDS=${NC_BENCH_ROUNDS:-5}
STREAM_S=${NC_BENCH_STREAM_S:-4}
PACE_MBS=${NC_BENCH_PACE_MBS:-0} # 0: as fast as one stream goes; else cap it (MB/s)
SOCK=${NC_BENCH_SOCK:-/var/run/docker.sock}
BUSYBOX=/bin/busybox
SINK_PORT=5001
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

TARGET_RATIO=1.10

die() { printf 'bench-capture: %s\n' "$*" >&2; exit 1; }
uint_in() { [[ $1 =~ ^[0-9]+$ ]] && [ "$1" -ge "$2" ] && [ "$1" -le "$3" ]; }

uint_in "$RUNS" 1 200 || die "RUNS must be 1..200, got '$RUNS'"
uint_in "$ROUNDS" 1 20 || die "NC_BENCH_ROUNDS must be 1..20, got '$ROUNDS'"
uint_in "$STREAM_S" 1 30 || die "NC_BENCH_STREAM_S must be 1..30, got '$STREAM_S'"
uint_in "$PACE_MBS" 0 100000 || die "NC_BENCH_PACE_MBS must be 0..100000, got '$PACE_MBS'"
CAPTURE_S=$((STREAM_S + 5)) # covers the wait for the points and the stream
[ -x "$NETCHECK" ] || die "$NETCHECK is not an executable"
command -v curl >/dev/null || die "needs curl"
[ -x "$BUSYBOX" ] || die "needs Debian's busybox-static for the sink image (apt-get install busybox-static)"
# the image holds nothing else: its busybox must need no shared library
if ldd "$BUSYBOX" >/dev/null 2>&1; then
	die "$BUSYBOX is dynamically linked; the sink image needs busybox-static (apt-get install busybox-static)"
fi
curl -sf --max-time 3 --unix-socket "$SOCK" http://localhost/_ping >/dev/null || die "no engine answers at $SOCK"

API="http://localhost/v1.41"
SINK_IMAGE="netcheck-bench-sink:$$"  # per invocation: two benchmarks at once do not share it
SINK_NAME="netcheck-bench-sink-$$"
TMP=$(mktemp -d /tmp/netcheck-bench-capture.XXXXXX)
NC_PIDFILE="$TMP/netcheck.pid"   # the `netcheck run` in progress
CAP_PIDFILE="$TMP/capture.pid"   # the `netcheck capture` in progress
CAP_JOB=""                       # its `timeout` wrapper, a child of ours
IMAGE_MADE=0

# ---- cleanup: what we started, whatever stopped us ----------------------------

. "$(dirname "$0")/lib.sh" # api, remove_labelled, netcheck_timed

stop_capture() { # ends the `netcheck capture` we started, if it still runs
	local pid
	[ -n "$CAP_JOB" ] || return 0
	pid=$(cat "$CAP_PIDFILE" 2>/dev/null || true)
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null || true
	fi
	for _ in $(seq 50); do
		kill -0 "$CAP_JOB" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$CAP_JOB" 2>/dev/null; then
		[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
		kill -KILL "$CAP_JOB" 2>/dev/null || true
	fi
	wait "$CAP_JOB" 2>/dev/null || true
	CAP_JOB=""
}

cleanup() {
	local rc=$?
	# a second Ctrl-C must not cut the clean-up short (it is bounded)
	trap - EXIT
	trap '' INT TERM HUP
	stop_capture
	# An interrupted create may still be running in the engine after its
	# client died: sweep again once it has had time to finish.
	for sweep in 1 2; do
		remove_labelled "io.netcheck.bench.owner=$$"
		# netcheck removes its own container, also on SIGINT; this is the
		# backstop for one stopped harder, by the pid label it puts on it
		if [ -s "$NC_PIDFILE" ]; then
			remove_labelled "io.netcheck.pid=$(cat "$NC_PIDFILE")"
		fi
		[ "$rc" = 0 ] && break
		[ "$sweep" = 1 ] && sleep 1
	done
	if [ "$IMAGE_MADE" = 1 ] || [ "$rc" != 0 ]; then
		api DELETE "/images/$SINK_IMAGE?force=1" >/dev/null || true
	fi
	rm -rf "$TMP"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# ---- 1. netcheck run with and without capture ---------------------------------

NOCAP_MS=() CAP_MS=()

netcheck_once() { # MODE(nocap|cap) N [warmup]: one `netcheck run`; appends its time
	local mode=$1 json="$TMP/run-$1-$2.json" log="$TMP/run-$1-$2.log" t0 t1
	local args=(run --json "$json")
	[ "$mode" = nocap ] && args=(run --no-capture --json "$json")
	netcheck_timed "$log" "netcheck ${args[*]} ($mode $2)" "${args[@]}"
	t0=$T0 t1=$T1
	# a capture run that did not capture would make the comparison moot
	"$PY" - "$json" "$mode" <<'EOF' || die "netcheck run ($mode $2): capture did not run as asked; see $json"
import json, sys
env = json.load(open(sys.argv[1]))["environment"]
if sys.argv[2] == "cap":
    ok = env["capture_note"] == "" and len(env["capture_points"]) > 0
else:
    ok = len(env["capture_points"]) == 0
sys.exit(0 if ok else 1)
EOF
	[ "${3:-}" = warmup ] && return 0
	if [ "$mode" = cap ]; then CAP_MS+=("$((t1 - t0))"); else NOCAP_MS+=("$((t1 - t0))"); fi
}

printf 'bench-capture: %s, %d cores; 1) netcheck run, %d runs each (+1 warm-up)\n' \
	"$NETCHECK" "$(nproc)" "$RUNS" >&2
netcheck_once nocap 0 warmup # also imports the responder image if the engine lacks it
netcheck_once cap 0 warmup
for ((i = 1; i <= RUNS; i++)); do
	if ((i % 2)); then
		netcheck_once nocap "$i"
		netcheck_once cap "$i"
	else
		netcheck_once cap "$i"
		netcheck_once nocap "$i"
	fi
	printf '.' >&2
done
printf '\n' >&2

# ---- 2. the sink: image, container --------------------------------------------

printf 'bench-capture: 2) bulk stream through a published port, %d rounds of %d s\n' "$ROUNDS" "$STREAM_S" >&2

# an image of one static busybox and the names it answers to
"$PY" - "$BUSYBOX" "$TMP/sink.tar" <<'EOF'
import os, sys, tarfile
busybox, out = sys.argv[1], sys.argv[2]
def entry(name, kind, mode, link=""):
    ti = tarfile.TarInfo(name)
    ti.type, ti.mode, ti.linkname, ti.uid, ti.gid = kind, mode, link, 0, 0
    return ti
with tarfile.open(out, "w") as t:
    t.addfile(entry("bin", tarfile.DIRTYPE, 0o755))
    t.addfile(entry("tmp", tarfile.DIRTYPE, 0o1777))
    ti = entry("bin/busybox", tarfile.REGTYPE, 0o755)
    with open(busybox, "rb") as f:
        ti.size = os.fstat(f.fileno()).st_size
        t.addfile(ti, f)
    for name in ("sh", "nc", "dd"):
        t.addfile(entry("bin/" + name, tarfile.SYMTYPE, 0o777, "busybox"))
EOF
IMAGE_MADE=1
api POST "/images/create?fromSrc=-&repo=$(printf %s "$SINK_IMAGE" | sed 's/:/%3A/')&changes=LABEL%20io.netcheck.bench%3Dcapture" \
	-H 'Content-Type: application/x-tar' --data-binary @"$TMP/sink.tar" >"$TMP/import.log" ||
	die "importing the sink image failed: $(head -c 300 "$TMP/import.log")"
rm -f "$TMP/sink.tar"
[ "$(api GET "/images/$SINK_IMAGE/json" -o /dev/null -w '%{http_code}')" = 200 ] ||
	die "the sink image is not there after import: $(head -c 300 "$TMP/import.log")"

# nc -ll: a new `dd` for every connection, reading 1 MiB at a time (busybox
# nc's own copy loop, with its small buffer, tops out near 100 MB/s)
SPEC=$(cat <<EOF
{"Image":"$SINK_IMAGE","Labels":{"io.netcheck.bench":"capture","io.netcheck.bench.owner":"$$"},
 "User":"65534:65534","ExposedPorts":{"$SINK_PORT/tcp":{}},
 "Cmd":["/bin/busybox","nc","-ll","-p","$SINK_PORT","-e","/bin/busybox","dd","of=/dev/null","bs=1M","status=none"],
 "HostConfig":{"PortBindings":{"$SINK_PORT/tcp":[{"HostIp":"127.0.0.1","HostPort":""}]},
  "NetworkMode":"bridge","ReadonlyRootfs":true,"CapDrop":["ALL"],"SecurityOpt":["no-new-privileges"]}}
EOF
)
code=$(api POST "/containers/create?name=$SINK_NAME" -H 'Content-Type: application/json' \
	--data-binary "$SPEC" -o "$TMP/create.json" -w '%{http_code}') || true
[ "$code" = 201 ] || die "creating the sink container failed: HTTP $code $(head -c 300 "$TMP/create.json")"
SINK_ID=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["Id"])' "$TMP/create.json")
code=$(api POST "/containers/$SINK_ID/start" -o "$TMP/start.json" -w '%{http_code}') || true
[ "$code" = 204 ] || die "starting the sink container failed: HTTP $code $(head -c 300 "$TMP/start.json")"
api GET "/containers/$SINK_ID/json" >"$TMP/inspect.json"
read -r SINK_PID PUBLISHED < <("$PY" - "$TMP/inspect.json" "$SINK_PORT" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
ports = (d["NetworkSettings"]["Ports"] or {}).get(sys.argv[2] + "/tcp") or []
print(d["State"]["Pid"], next((p["HostPort"] for p in ports if p.get("HostPort")), 0))
EOF
) || die "cannot read the sink's pid and published port"
[ "$PUBLISHED" != 0 ] && [ "$SINK_PID" -gt 0 ] || die "the sink runs without a published port or pid"

# ---- 2. the stream, with and without capture ---------------------------------

# One TCP stream to 127.0.0.1:PORT for SECONDS: 1 MiB sendall()s, then
# shutdown and wait for the sink's close, so what the socket buffers still
# held has arrived too.  Paced to PACE_MBS when set.  Prints "bytes seconds".
stream() { # PORT SECONDS
	timeout -k 5 $(($2 + 30)) "$PY" - "$1" "$2" "$PACE_MBS" <<'EOF'
import socket, sys, time
port, seconds, pace = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]) * 1e6
buf = bytes(1 << 20)
s = socket.create_connection(("127.0.0.1", port), timeout=10)
sent, t0 = 0, time.monotonic()
while time.monotonic() - t0 < seconds:
    s.sendall(buf)
    sent += len(buf)
    if pace > 0:
        time.sleep(max(0.0, t0 + sent / pace - time.monotonic()))
s.shutdown(socket.SHUT_WR)
if s.recv(1) != b"":
    sys.exit("the sink answered instead of closing")
t1 = time.monotonic()
s.close()
print(sent, f"{t1 - t0:.6f}")
EOF
}

# The sink's nc may still be starting: a short stream until one gets through.
for try in $(seq 10); do
	stream "$PUBLISHED" 1 >"$TMP/warm.out" 2>"$TMP/warm.err" && break
	[ "$try" = 10 ] && die "no stream reaches the sink at 127.0.0.1:$PUBLISHED: $(cat "$TMP/warm.err")"
	sleep 0.5
done

cpu_ticks() { # PID: its utime+stime so far
	awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat" 2>/dev/null || echo 0
}

# Waits until the capture has its packet sockets open, in our netns and the
# sink's, and their number has held still for 0.5 s.  Prints "count seconds".
wait_points() { # CAPTURE_PID
	"$PY" - "$1" "$SINK_PID" <<'EOF'
import os, sys, time
pid, sink_pid = sys.argv[1], sys.argv[2]
def packet_inodes():
    inodes = set()
    for table in ("/proc/net/packet", f"/proc/{sink_pid}/net/packet"):
        try:
            for line in open(table).read().splitlines()[1:]:
                inodes.add(line.split()[-1])
        except OSError:
            pass
    return inodes
def count():
    mine = set()
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                link = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if link.startswith("socket:["):
                mine.add(link[8:-1])
    except OSError:
        return -1
    return len(mine & packet_inodes())
t0, last, still = time.monotonic(), 0, 0
while time.monotonic() - t0 < 4:
    n = count()
    if n < 0:
        sys.exit("netcheck capture exited before opening its points")
    still = still + 1 if n == last and n > 0 else 0
    last = n
    if still >= 5:
        print(n, f"{time.monotonic() - t0:.2f}")
        sys.exit(0)
    time.sleep(0.1)
sys.exit(f"netcheck capture had {last} packet sockets open, not settled, after 4 s")
EOF
}

RATE_BASE=() RATE_CAP=()

round_base() { # N
	local out
	out=$(stream "$PUBLISHED" "$STREAM_S") || die "baseline stream $1 failed"
	RATE_BASE+=("$out")
	printf '%s base %s\n' "$1" "$out" >>"$TMP/rounds"
}

round_capture() { # N
	local pcap="$TMP/cap-$1.pcapng" cap_pid ready cpu0 cpu1 out rc=0
	: >"$CAP_PIDFILE"
	timeout -s INT -k 5 $((CAPTURE_S + 30)) \
		sh -c 'echo $$ >"$0"; exec "$@"' "$CAP_PIDFILE" \
		"$NETCHECK" capture "$SINK_ID" --port "$SINK_PORT" -w "$pcap" --duration "$CAPTURE_S" \
		>"$TMP/cap-$1.out" 2>"$TMP/cap-$1.err" &
	CAP_JOB=$!
	for _ in $(seq 50); do
		[ -s "$CAP_PIDFILE" ] && break
		sleep 0.02
	done
	cap_pid=$(cat "$CAP_PIDFILE")
	ready=$(wait_points "$cap_pid") || die "round $1: $(cat "$TMP/cap-$1.err")"
	cpu0=$(cpu_ticks "$cap_pid")
	out=$(stream "$PUBLISHED" "$STREAM_S") || die "stream $1 (with capture) failed"
	cpu1=$(cpu_ticks "$cap_pid")
	kill -0 "$cap_pid" 2>/dev/null || die "round $1: netcheck capture ended before the stream did (raise CAPTURE_S)"
	wait "$CAP_JOB" || rc=$?
	CAP_JOB=""
	[ "$rc" = 0 ] || die "round $1: netcheck capture failed (exit $rc): $(cat "$TMP/cap-$1.err")"
	RATE_CAP+=("$out")
	printf '%s cap %s %s %s %s\n' "$1" "$out" "$ready" "$((cpu1 - cpu0))" "$(getconf CLK_TCK)" >>"$TMP/rounds"
}

: >"$TMP/rounds"
for ((i = 1; i <= ROUNDS; i++)); do
	if ((i % 2)); then
		round_base "$i"
		round_capture "$i"
	else
		round_capture "$i"
		round_base "$i"
	fi
	printf '.' >&2
done
printf '\n' >&2

# ---- report -------------------------------------------------------------------

"$PY" - "$TMP" "$TARGET_RATIO" "${NOCAP_MS[*]}" "${CAP_MS[*]}" "$PUBLISHED" "$PACE_MBS" <<'EOF'
import glob, json, math, re, statistics, struct, sys

tmp, target_ratio = sys.argv[1], float(sys.argv[2])
nocap = [int(x) / 1000 for x in sys.argv[3].split()]
cap = [int(x) / 1000 for x in sys.argv[4].split()]
published, pace = sys.argv[5], sys.argv[6]

def p90(xs):  # nearest rank
    s = sorted(xs)
    return s[max(0, math.ceil(0.9 * len(s)) - 1)]

print("1) netcheck run, capture on vs off")
print(f"{'':40} {'n':>3} {'median ms':>10} {'p90 ms':>9}")
for name, xs in (("netcheck run --no-capture --json", nocap), ("netcheck run --json (capture on)", cap)):
    print(f"{name:40} {len(xs):3} {statistics.median(xs):10.1f} {p90(xs):9.1f}")
ratio = statistics.median(cap) / statistics.median(nocap)
run_drops = 0
for f in glob.glob(f"{tmp}/run-cap-*.json"):
    for p in json.load(open(f))["environment"]["capture_points"]:
        run_drops += p["dropped"]
print(f"ratio of medians capture/no-capture: {ratio:.2f}   (target <= {target_ratio})")
print(f"drops over all capture runs' points: {run_drops}")
print()

def pcapng_points(path):
    """Per interface, in file order: name, stored packets, ifrecv, ifdrop."""
    data = open(path, "rb").read()
    if data[:4] != b"\x0a\x0d\x0d\x0a":
        raise SystemExit(f"{path}: not pcapng")
    e = "<" if data[8:12] == b"\x4d\x3c\x2b\x1a" else ">"
    ifs, off = [], 0
    while off + 12 <= len(data):
        btype, blen = struct.unpack_from(e + "II", data, off)
        body = data[off + 8:off + blen - 4]
        if btype == 1:  # IDB: options after linktype, reserved, snaplen
            name, o = "?", 8
            while o + 4 <= len(body):
                code, olen = struct.unpack_from(e + "HH", body, o)
                if code == 0:
                    break
                if code == 2:
                    name = body[o + 4:o + 4 + olen].decode(errors="replace")
                o += 4 + (olen + 3) // 4 * 4
            ifs.append({"name": name, "stored": 0, "ifrecv": None, "ifdrop": None})
        elif btype == 6:  # EPB
            ifs[struct.unpack_from(e + "I", body, 0)[0]]["stored"] += 1
        elif btype == 5:  # ISB
            i, o = struct.unpack_from(e + "I", body, 0)[0], 12
            while o + 4 <= len(body):
                code, olen = struct.unpack_from(e + "HH", body, o)
                if code == 0:
                    break
                if code in (4, 5) and olen == 8:
                    ifs[i]["ifrecv" if code == 4 else "ifdrop"] = struct.unpack_from(e + "Q", body, o + 4)[0]
                o += 4 + (olen + 3) // 4 * 4
        off += blen
    return ifs

line_re = re.compile(r"^\s+(\S+)\s+(\d+) packets, (\d+) dropped, (\d+) over the storage cap\s+\((.*)\)$")
rounds = [l.split() for l in open(f"{tmp}/rounds")]
def mbs(r):
    return int(r[2]) / float(r[3]) / 1e6
base = [mbs(r) for r in rounds if r[1] == "base"]
capr = [mbs(r) for r in rounds if r[1] == "cap"]
print(f"2) one TCP stream to 127.0.0.1:{published} (docker-proxy -> sink container){', paced to ' + pace + ' MB/s' if pace != '0' else ''}")
print("   MB/s = 10^6 bytes/s, delivered (up to the sink's close)")
print(f"{'round':>5} {'no capture':>11} {'capture':>9} {'capture CPU':>12} {'points open after':>18}")
per_point, total_drops, drop_lines = {}, 0, []
for r in rounds:
    if r[1] != "cap":
        continue
    n, secs = r[0], float(r[3])
    b = next(mbs(x) for x in rounds if x[0] == n and x[1] == "base")
    c = mbs(r)
    cpu = int(r[6]) / int(r[7]) / secs * 100
    print(f"{n:>5} {b:11.0f} {c:9.0f} {cpu:11.0f}% {float(r[5]):16.2f} s  ({r[4]} packet sockets)")
    points = [m.groups() for m in map(line_re.match, open(f"{tmp}/cap-{n}.out")) if m]
    ifs = pcapng_points(f"{tmp}/cap-{n}.pcapng")
    if len(ifs) != len(points):
        raise SystemExit(f"round {n}: {len(points)} points printed, {len(ifs)} interfaces in the pcapng")
    for (name, packets, dropped, over_cap, descr), f in zip(points, ifs):
        if int(packets) != f["stored"] or int(dropped) != (f["ifdrop"] or 0):
            raise SystemExit(f"round {n}: {name}: printed {packets}/{dropped}, pcapng {f['stored']}/{f['ifdrop']}")
        # a loopback point's filter keeps only the incoming copy of each
        # looped packet, so the kernel counts it once (before df4536a: twice)
        seen = f["ifrecv"] or 0
        per_point.setdefault(name, []).append(
            {"stored": int(packets), "seen": seen, "dropped": int(dropped), "over_cap": int(over_cap),
             "pps": seen / secs})
        total_drops += int(dropped)
        if int(dropped):
            drop_lines.append(f"round {n}: {name} ({descr}): {dropped} dropped at {c:.0f} MB/s,"
                              f" {seen / secs / 1000:.1f}k packets/s seen there")
rb, rc_ = statistics.median(base), statistics.median(capr)
print(f"median MB/s: no capture {rb:.0f}, capture {rc_:.0f}; ratio capture/no capture {rc_ / rb:.2f}")
print()
print("per point, medians over the rounds (seen: the kernel's count, ifrecv)")
print(f"{'point':18} {'seen':>8} {'seen/s':>8} {'stored':>7} {'over cap':>9}  dropped (ps_drop) per round")
for name, xs in per_point.items():
    med = lambda k: statistics.median(x[k] for x in xs)
    print(f"{name:18} {med('seen'):8.0f} {med('pps'):8.0f} {med('stored'):7.0f} {med('over_cap'):9.0f}  "
          + ", ".join(str(x["dropped"]) for x in xs))
stored = [sum(v[i]["stored"] for v in per_point.values()) for i in range(len(capr))]
seen = [sum(v[i]["seen"] for v in per_point.values()) for i in range(len(capr))]
print(f"stored per round, all points: {', '.join(map(str, stored))} of {', '.join(map(str, seen))} seen"
      " (netcheck capture writes every packet it reads; 'over cap': read but not written)")
print()
print(f"verdict: run overhead {'met' if ratio <= target_ratio else 'MISSED'} ({ratio:.2f}, target <= {target_ratio}),"
      f" bulk drops {'met' if total_drops == 0 else 'MISSED'} ({total_drops}, target 0)")
for l in drop_lines:
    print("  " + l)
EOF
