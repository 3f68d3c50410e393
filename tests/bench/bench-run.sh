#!/usr/bin/env bash
# Benchmark: `netcheck run` against the engine's floor.
#
#   tests/bench/bench-run.sh NETCHECK_BINARY [RUNS]     (RUNS: 1..200, default 15)
#
# With NETCHECK_BASE=OTHER_BINARY (an earlier build, say), that one runs
# too, in the same rounds (floor, subject, base), and both ratios are
# printed with the ratio of the two: a before/after measured in one run.
#
# The floor is the least any tool must pay to do what netcheck does with the
# engine: create + start + inspect + force-delete one container of the same
# image and the same request shape, in one curl process over one connection
# (netcheck, too, is one process reusing one libcurl handle).  The subject is
# the default `netcheck run --json FILE` (capture on; run it as root, or
# capture is skipped and the script says so), or with NC_BENCH_NO_CAPTURE=1
# `netcheck run --no-capture --json FILE`.  Runs alternate floor/subject after
# one warm-up of each, so machine noise lands on both; what counts is the ratio
# of medians measured in this same run, not the absolute figures.
#
# A measurement, not a test: exits 0 whatever the verdict, 1 if a run fails.
# Talks only to the engine's unix socket and (through netcheck) to the test
# containers it creates.  Leaves nothing behind, even on Ctrl-C.
set -euo pipefail

NETCHECK=${1:?usage: $0 NETCHECK_BINARY [RUNS]}
RUNS=${2:-15}
SOCK=${NC_BENCH_SOCK:-/var/run/docker.sock}
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

TARGET_RATIO=1.10 # issue 16: within 1.10x of the engine's floor (aiming at 1.05)
TARGET_PROBE_MS=50
SUBJECT_ARGS=()
SUBJECT_NAME="netcheck run --json (capture on)"
if [ "${NC_BENCH_NO_CAPTURE:-0}" = 1 ]; then
	SUBJECT_ARGS=(--no-capture)
	SUBJECT_NAME="netcheck run --no-capture --json"
fi

die() { printf 'bench-run: %s\n' "$*" >&2; exit 1; }

if ! [[ $RUNS =~ ^[0-9]+$ ]] || [ "$RUNS" -lt 1 ] || [ "$RUNS" -gt 200 ]; then
	die "RUNS must be 1..200, got '$RUNS'"
fi
[ -x "$NETCHECK" ] || die "$NETCHECK is not an executable"
NETCHECK_BASE=${NETCHECK_BASE:-}
[ -z "$NETCHECK_BASE" ] || [ -x "$NETCHECK_BASE" ] || die "NETCHECK_BASE=$NETCHECK_BASE is not an executable"
command -v curl >/dev/null || die "needs curl"
curl -sf --max-time 3 --unix-socket "$SOCK" http://localhost/_ping >/dev/null || die "no engine answers at $SOCK"

IMAGE= # the image netcheck runs: read from the warm-up run's report
API="http://localhost/v1.41"
TMP=$(mktemp -d /tmp/netcheck-bench.XXXXXX)
NC_PIDFILE="$TMP/netcheck.pid"

# ---- cleanup: containers of ours, whatever stopped us ------------------------

. "$(dirname "$0")/lib.sh" # api, remove_labelled, netcheck_timed

cleanup() {
	local rc=$?
	# a second Ctrl-C must not cut the clean-up short (it is bounded)
	trap - EXIT
	trap '' INT TERM HUP
	# An interrupted create may still be running in the engine after its
	# client died: sweep again once it has had time to finish.
	for sweep in 1 2; do
		remove_labelled io.netcheck.run=bench
		# netcheck removes its own container, also on SIGINT; this is the
		# backstop for one stopped harder, by the pid label it puts on it
		if [ -s "$NC_PIDFILE" ]; then
			remove_labelled "io.netcheck.pid=$(cat "$NC_PIDFILE")"
		fi
		[ "$rc" = 0 ] && break
		[ "$sweep" = 1 ] && sleep 1
	done
	rm -rf "$TMP"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# ---- the two sides ------------------------------------------------------------

# Same shape as netcheck's fill_spec() (netcheck/run/target-launched.c) for its own
# responder: TCP and UDP published (each its own docker-proxy and NAT rules
# in the engine), host.docker.internal, the sysctl.  Only the labels and the
# responder's --allow arguments differ.
floor_spec() {
	SPEC=$(cat <<EOF
{"Image":"$IMAGE","Labels":{"io.netcheck.run":"bench"},"ExposedPorts":{"80/tcp":{},"80/udp":{}},
 "User":"65534:65534","Cmd":["/responder","80"],
 "HostConfig":{"PortBindings":{"80/tcp":[{"HostIp":"","HostPort":""}],"80/udp":[{"HostIp":"","HostPort":""}]},
  "AutoRemove":false,"NetworkMode":"bridge","ExtraHosts":["host.docker.internal:host-gateway"],
  "ReadonlyRootfs":true,"CapDrop":["ALL"],"SecurityOpt":["no-new-privileges"],
  "Sysctls":{"net.ipv4.ip_unprivileged_port_start":"0"}}}
EOF
	)
}

FLOOR_MS=() NC_MS=() BASE_MS=()

floor_once() { # N: one create/start/inspect/delete cycle; appends its time
	local name="netcheck-bench-$$-$1" codes t0 t1
	t0=${EPOCHREALTIME//[.,]/}
	codes=$(curl -s --max-time 20 --unix-socket "$SOCK" -H 'Content-Type: application/json' \
		-o "$TMP/create.json" -w '%{http_code} ' -X POST --data-binary "$SPEC" "$API/containers/create?name=$name" \
		--next -s --max-time 20 --unix-socket "$SOCK" \
		-o /dev/null -w '%{http_code} ' -X POST "$API/containers/$name/start" \
		--next -s --max-time 20 --unix-socket "$SOCK" \
		-o "$TMP/inspect.json" -w '%{http_code} ' "$API/containers/$name/json" \
		--next -s --max-time 20 --unix-socket "$SOCK" \
		-o "$TMP/delete.json" -w '%{http_code}' -X DELETE "$API/containers/$name?force=1&v=1") || true
	t1=${EPOCHREALTIME//[.,]/}
	if [ "$codes" != "201 204 200 204" ]; then
		remove_labelled io.netcheck.run=bench
		# `netcheck gc` (tests/integration/gc.sh) takes io.netcheck.run containers
		# without a live netcheck owner for orphans: do not run both at once
		die "engine floor run $1 failed: HTTP codes '$codes' for create/start/inspect/delete (want 201 204 200 204):" \
			"$(cat "$TMP/create.json" "$TMP/delete.json" 2>/dev/null | head -c 400)" \
			"$([[ $codes == *409 ]] && echo '(is `netcheck gc` or the integration suite running at the same time?)')"
	fi
	# what netcheck waits for before probing must have been there at once,
	# or the floor would be measuring less than netcheck has to do
	"$PY" - "$TMP/inspect.json" <<'EOF' || die "engine floor run $1: container not running with an IP and a published port at first inspect"
import json, sys
d = json.load(open(sys.argv[1]))
ports = (d["NetworkSettings"]["Ports"] or {}).get("80/tcp") or []
ok = d["State"]["Running"] and d["NetworkSettings"]["IPAddress"] and any(p.get("HostPort") for p in ports)
sys.exit(0 if ok else 1)
EOF
	[ "${2:-}" = warmup ] || FLOOR_MS+=("$((t1 - t0))")
}

netcheck_once() { # N [warmup]: one `netcheck run`; appends its time
	local json="$TMP/run-$1.json" log="$TMP/run-$1.log" t0 t1
	netcheck_timed "$log" "netcheck run $1" run "${SUBJECT_ARGS[@]}" --json "$json"
	t0=$T0 t1=$T1
	[ "${2:-}" = warmup ] || NC_MS+=("$((t1 - t0))")
}

base_once() { # N [warmup]: the same with NETCHECK_BASE
	local json="$TMP/base-$1.json" log="$TMP/base-$1.log" subject=$NETCHECK
	NETCHECK=$NETCHECK_BASE
	netcheck_timed "$log" "base netcheck run $1" run "${SUBJECT_ARGS[@]}" --json "$json"
	NETCHECK=$subject
	[ "${2:-}" = warmup ] || BASE_MS+=("$((T1 - T0))")
}

# ---- measure ------------------------------------------------------------------

netcheck_once 0 warmup # also imports the image if the engine lacks it
# the floor uses the image netcheck used: its tag (version-<hash of the
# responder>) is netcheck's to choose, not this script's to guess
IMAGE=$("$PY" -c 'import json, sys; print(json.load(open(sys.argv[1]))["container"]["image"] or "")' \
	"$TMP/run-0.json") || IMAGE=
[ -n "$IMAGE" ] || die "the warm-up run's report ($TMP/run-0.json) names no container image"
floor_spec
printf 'bench-run: %s vs the engine floor, %d runs each (+1 warm-up), image %s, %d cores\n' \
	"$NETCHECK" "$RUNS" "$IMAGE" "$(nproc)" >&2
floor_once 0 warmup
[ -z "$NETCHECK_BASE" ] || base_once 0 warmup
for ((i = 1; i <= RUNS; i++)); do
	floor_once "$i"
	netcheck_once "$i"
	[ -z "$NETCHECK_BASE" ] || base_once "$i"
	printf '.' >&2
done
printf '\n' >&2

# ---- report -------------------------------------------------------------------

"$PY" - "$TMP" "$RUNS" "$TARGET_RATIO" "$TARGET_PROBE_MS" "${FLOOR_MS[*]}" "${NC_MS[*]}" "$SUBJECT_NAME" \
	"${BASE_MS[*]}" <<'EOF'
import json, math, statistics, sys

tmp, runs, target_ratio, target_probe = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
floor = [int(x) / 1000 for x in sys.argv[5].split()]
subject = [int(x) / 1000 for x in sys.argv[6].split()]
subject_name = sys.argv[7]
base = [int(x) / 1000 for x in sys.argv[8].split()]

def p90(xs):  # nearest rank
    s = sorted(xs)
    return s[max(0, math.ceil(0.9 * len(s)) - 1)]

probe, per_path, captured = [], {}, 0
for i in range(1, runs + 1):
    d = json.load(open(f"{tmp}/run-{i}.json"))
    captured += bool(d["environment"].get("capture_points"))
    totals = []
    for p in d["paths"]:
        t = (p.get("timings_ms") or {}).get("total")
        if t is not None:
            totals.append(t)
            per_path.setdefault(p["name"], []).append(t)
    probe.append(max(totals) if totals else float("nan"))

def probe_phase(prefix):
    out = []
    for i in range(1, runs + 1):
        d = json.load(open(f"{tmp}/{prefix}-{i}.json"))
        totals = [(p.get("timings_ms") or {}).get("total") for p in d["paths"]]
        totals = [t for t in totals if t is not None]
        out.append(max(totals) if totals else float("nan"))
    return out

rows = [("engine floor (curl: create+start+inspect+delete)", floor),
        (subject_name, subject),
        ("probe phase (max of paths' timings_ms.total)", probe)]
if base:
    rows += [("NETCHECK_BASE, the same run", base), ("  its probe phase", probe_phase("base"))]
rows += [(f"  path {name} timings_ms.total", xs) for name, xs in per_path.items()]
print(f"{'':50} {'n':>3} {'median ms':>10} {'p90 ms':>9}")
for name, xs in rows:
    print(f"{name:50} {len(xs):3} {statistics.median(xs):10.1f} {p90(xs):9.1f}")
ratio = statistics.median(subject) / statistics.median(floor)
probe_med = statistics.median(probe)
print()
print(f"runs that captured:              {captured} of {runs}")
print(f"ratio of medians netcheck/floor: {ratio:.2f}   (target <= {target_ratio})")
print(f"median probe phase:              {probe_med:.1f} ms (target < {target_probe:g} ms)")
if base:
    print(f"NETCHECK_BASE/floor:             {statistics.median(base) / statistics.median(floor):.2f}")
    print(f"netcheck/NETCHECK_BASE:          {statistics.median(subject) / statistics.median(base):.3f}"
          f"   ({statistics.median(subject) - statistics.median(base):+.1f} ms)")
ok_ratio, ok_probe = ratio <= target_ratio, probe_med < target_probe
print("verdict: ratio {}, probe phase {} -> {}".format(
    "met" if ok_ratio else "MISSED", "met" if ok_probe else "MISSED",
    "targets met" if ok_ratio and ok_probe else "targets not met"))
EOF
