#!/bin/bash
# A Docker Swarm of two or three nodes on this one host, as root:
#   bash tests/labs/swarm-lab.sh up N     build it, N = 2 or 3 (clears leftovers of an earlier run first)
#   bash tests/labs/swarm-lab.sh down     take it apart; idempotent, copes with a killed run
#   bash tests/labs/swarm-lab.sh env      print shell assignments (NCLAB_*) for the lab that is up
#   bash tests/labs/swarm-lab.sh status   what of the lab exists, and the manager's `node ls`
#   bash tests/labs/swarm-lab.sh stop-node I   kill worker I's dockerd (a node that went down)
#
# Addresses: only 198.18.0.0/15, and nothing routed off the host.
#   198.18.10.1/24      the host's end: bridge nclab-br0
#   198.18.10.1<i>/24   node i: netns nclab-node<i>, eth0 (veth nclab-n<i>-h on the bridge);
#                       routes on-link only, no default route
#   198.18.1<i>.1/24    node i's docker0 (--bip), inside its namespace only
#   198.18.<32*i>.0/19  node i's local address pool (docker_gwbridge, user bridges)
#   198.19.0.0/16       the swarm's address pool: ingress and overlay networks (/24 each)
#
# Each node is a dockerd (Debian's docker.io) with its own network, mount, PID
# and UTS namespaces (hostname nclab-node<i>; with NCLAB_TWIN_HOSTNAME=1 the
# last node takes the hostname of the one before it, as nodes cloned from one
# image do -- `up 3` then has nodes nclab-node1, nclab-node2, nclab-node2): /sys remounted so it sees its
# netns's interfaces, the cgroup hierarchy bound back in, tmpfs over
# /run/docker and /run/containerd so it neither sees nor reuses the host's
# engine, its own data root (under a fresh mktemp dir: a reused one would
# already be in a swarm), exec root, pid file, socket
# (unix:///run/nclab/node<i>/docker.sock) and managed containerd.  Killing a
# node's dockerd (PID 1 of its namespace) kills everything it started.
#
# With br_netfilter, frames bridged between the nodes pass the host's FORWARD
# chain, whose policy Docker sets to DROP: `up` inserts one ACCEPT for
# nclab-br0 -> nclab-br0 (tagged with the comment nclab-swarm-lab) and `down`
# deletes exactly that rule.  No registry is reachable: `up` imports an image
# made of Debian's busybox-static into every node (NCLAB_IMAGE); services must
# be created with --no-resolve-image.
set -euo pipefail

LAB=nclab
RUN_DIR=/run/$LAB
STATE=$RUN_DIR/state
DATA_PARENT=/var/lib # the data dirs: mktemp -d $DATA_PARENT/nclab.XXXXXX
BRIDGE=nclab-br0
BRIDGE_ADDR=198.18.10.1
LAB_NET=198.18.10.0/24
FW_COMMENT=nclab-swarm-lab
FW_RULE=(FORWARD -i "$BRIDGE" -o "$BRIDGE" -m comment --comment "$FW_COMMENT" -j ACCEPT)
IMAGE=nclab-busybox:1
BUSYBOX=/bin/busybox
DOCKER=${NCLAB_DOCKER:-/usr/bin/docker} # docker.io's client, the engine's own version
MAX_NODES=3
# 1: a node runs a service's task from a local image without trying a pull
# first; 0 (NCLAB_PREFER_OFFLINE=0): dockerd's default, which tries a pull for
# every task named by tag -- how a user's swarm behaves, for netcheck's test
PREFER_OFFLINE=${NCLAB_PREFER_OFFLINE:-1}
TWIN_HOSTNAME=${NCLAB_TWIN_HOSTNAME:-0} # 1: the last node repeats the hostname of the one before it
UP_TIMEOUT_S=${NCLAB_UP_TIMEOUT:-90}  # per wait: dockerds answering, nodes Ready
STOP_TIMEOUT_S=${NCLAB_STOP_TIMEOUT:-10} # SIGTERM to SIGKILL

log() { printf 'swarm-lab: %s\n' "$*" >&2; }
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh" # cmdline_of, pids_with_cmdline, LAB_FRESH_ENGINE_MOUNTS
die() { log "$*"; exit 1; }
now_ms() { date +%s%3N; }

netns_of() { echo "$LAB-node$1"; }
hostname_of() { # I N: node I's hostname in a lab of N nodes
	if [ "$TWIN_HOSTNAME" = 1 ] && [ "$1" = "$2" ] && [ "$1" -gt 1 ]; then
		echo "$LAB-node$(($1 - 1))"
	else
		echo "$LAB-node$1"
	fi
}
veth_of() { echo "$LAB-n$1-h"; }
node_addr() { echo "198.18.10.$((10 + $1))"; }
node_dir() { echo "$RUN_DIR/node$1"; }
sock_of() { echo "$RUN_DIR/node$1/docker.sock"; }
exec_root_of() { echo "$RUN_DIR/node$1/exec"; }
dk() { # NODE docker-args...: the docker client on node NODE's socket
	local i=$1
	shift
	timeout 60 "$DOCKER" -H "unix://$(sock_of "$i")" "$@"
}

answers() { # SOCKET
	curl -sf --max-time 2 --unix-socket "$1" http://localhost/_ping >/dev/null 2>&1
}

# the host pid of node i's dockerd (PID 1 of the node's PID namespace), or nothing
dockerd_pid() {
	local p
	for p in $(pids_with_cmdline "--exec-root $(exec_root_of "$1") "); do
		[ "$(cat "/proc/$p/comm" 2>/dev/null)" = dockerd ] && { echo "$p"; return 0; }
	done
	return 0
}

# every process of the lab: dockerds, containerds, shims, holders (their command
# lines name $RUN_DIR/node); the containers die with their node's PID namespace
lab_pids() { pids_with_cmdline "$RUN_DIR/node"; }

# wait_gone SECONDS PID...: until none of the PIDs exists; 1 if some still do
wait_gone() {
	local limit=$1 deadline p left
	shift
	deadline=$(($(now_ms) + limit * 1000))
	while :; do
		left=
		for p in "$@"; do [ -e "/proc/$p" ] && left=1; done
		[ -z "$left" ] && return 0
		[ "$(now_ms)" -ge "$deadline" ] && return 1
		sleep 0.1
	done
}

fw_rule() { # add|del|check
	case $1 in
	add) iptables -w 5 -I "${FW_RULE[@]:0:1}" 1 "${FW_RULE[@]:1}" ;;
	del)
		local i
		for i in 1 2 3 4 5 6 7 8 9 10; do
			iptables -w 5 -D "${FW_RULE[@]}" 2>/dev/null || break
		done
		;;
	check) iptables -w 5 -C "${FW_RULE[@]}" 2>/dev/null ;;
	esac
}

down() {
	local t0 i pid pids=() d data_dir=
	t0=$(now_ms)
	[ -f "$STATE" ] && data_dir=$(sed -n 's/^DATA_DIR=//p' "$STATE")
	# 1. every node's dockerd at once: SIGTERM (it stops its containers, --shutdown-timeout 2),
	#    then SIGKILL after STOP_TIMEOUT_S; as PID 1 of its namespace, its death kills the rest
	for i in $(seq 1 $MAX_NODES); do
		pid=$(dockerd_pid "$i")
		[ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && pids+=("$pid")
	done
	if [ ${#pids[@]} -gt 0 ] && ! wait_gone "$STOP_TIMEOUT_S" "${pids[@]}"; then
		log "dockerd (${pids[*]}) still running ${STOP_TIMEOUT_S} s after SIGTERM: SIGKILL"
		kill -KILL "${pids[@]}" 2>/dev/null || true
		wait_gone 5 "${pids[@]}" || log "dockerd (${pids[*]}) survived SIGKILL for 5 s"
	fi
	# 2. what is left (the namespace holders, or a dockerd of a killed `up` not yet answering)
	mapfile -t pids < <(lab_pids)
	if [ ${#pids[@]} -gt 0 ]; then
		kill -KILL "${pids[@]}" 2>/dev/null || true
		wait_gone 5 "${pids[@]}" || log "lab processes left: $(lab_pids | tr '\n' ' ')"
	fi
	# 3. cgroups (--cgroup-parent /nclab-node<i>): empty once the processes are gone
	for i in $(seq 1 $MAX_NODES); do
		for d in /sys/fs/cgroup/*/"$LAB-node$i" "/sys/fs/cgroup/$LAB-node$i"; do
			[ -d "$d" ] || continue
			find "$d" -mindepth 1 -depth -type d -exec rmdir {} + 2>/dev/null || true
			rmdir "$d" 2>/dev/null || log "cgroup $d not removed (still in use?)"
		done
	done
	# 4. network
	fw_rule del
	for i in $(seq 1 $MAX_NODES); do
		ip link del "$(veth_of "$i")" 2>/dev/null || true
		if [ -e "/run/netns/$(netns_of "$i")" ]; then
			ip netns del "$(netns_of "$i")" 2>/dev/null ||
				{ umount -l "/run/netns/$(netns_of "$i")" 2>/dev/null; rm -f "/run/netns/$(netns_of "$i")"; }
		fi
	done
	ip link del $BRIDGE 2>/dev/null || true
	# 5. state: the nodes' mounts lived in their own mount namespaces; a host mount here would be a bug
	for d in $(awk -v a="$RUN_DIR" -v b="${data_dir:-/nonexistent}" \
		'index($2, a) == 1 || index($2, b) == 1 { print $2 }' /proc/self/mounts | sort -r); do
		log "unmounting $d (left in the host's mount namespace)"
		umount -l "$d" || true
	done
	# data dirs of this lab, and of earlier ones whose state file is gone (they carry a marker)
	for d in $data_dir "$DATA_PARENT/$LAB".*; do
		[ -f "$d/.nclab-swarm-lab" ] && rm -rf --one-file-system "$d"
	done
	rm -rf "$RUN_DIR"
	log "down in $(($(now_ms) - t0)) ms"
}

# an image of one static busybox, its applets' names and an empty /www
make_image_tar() { # OUT
	/usr/bin/python3 - "$BUSYBOX" "$1" <<'EOF'
import os, sys, tarfile
busybox, out = sys.argv[1], sys.argv[2]
def entry(name, kind, mode, link=""):
    ti = tarfile.TarInfo(name)
    ti.type, ti.mode, ti.linkname, ti.uid, ti.gid = kind, mode, link, 0, 0
    return ti
with tarfile.open(out, "w") as t:
    for d, mode in (("bin", 0o755), ("tmp", 0o1777), ("www", 0o755), ("etc", 0o755)):
        t.addfile(entry(d, tarfile.DIRTYPE, mode))
    ti = entry("bin/busybox", tarfile.REGTYPE, 0o755)
    with open(busybox, "rb") as f:
        ti.size = os.fstat(f.fileno()).st_size
        t.addfile(ti, f)
    for name in ("sh", "httpd", "nc", "wget", "hostname", "ip", "cat", "echo", "sleep", "nslookup", "ls", "ps"):
        t.addfile(entry("bin/" + name, tarfile.SYMTYPE, 0o777, "busybox"))
EOF
}

start_node() { # I DATA_DIR N: the node's namespace, veth and dockerd (returns once dockerd is started)
	local i=$1 data=$2/node$1 n=$3 ns veth dir
	ns=$(netns_of "$i")
	veth=$(veth_of "$i")
	dir=$(node_dir "$i")
	mkdir -p "$dir/cgsave" "$(exec_root_of "$i")" "$data"
	ip netns add "$ns"
	ip link add "$veth" type veth peer name "$veth-p"
	ip link set "$veth-p" netns "$ns"
	ip -n "$ns" link set "$veth-p" name eth0
	ip link set "$veth" master $BRIDGE up
	ip -n "$ns" addr add "$(node_addr "$i")/24" dev eth0 # on-link route only: no default route
	ip -n "$ns" link set lo up
	ip -n "$ns" link set eth0 up
	echo '{}' >"$dir/daemon.json"
	# own mount namespace with the netns's /sys and the cgroups bound back; own PID and
	# UTS namespaces; fresh /run/containerd and /run/docker so nothing of the host's engine is seen
	# shellcheck disable=SC2016
	setsid nsenter --net="/run/netns/$ns" unshare -m -u -p --fork --kill-child --mount-proc \
		--propagation slave sh -c '
		save=$1 name=$2; shift 2
		hostname "$name" &&
		'"$LAB_FRESH_ENGINE_MOUNTS" sh "$dir/cgsave" "$(hostname_of "$i" "$n")" \
		env DOCKER_SERVICE_PREFER_OFFLINE_IMAGE="$PREFER_OFFLINE" dockerd --config-file "$dir/daemon.json" \
		--data-root "$data/docker" --exec-root "$(exec_root_of "$i")" --pidfile "$dir/dockerd.pid" \
		-H "unix://$(sock_of "$i")" --bip "198.18.1$i.1/24" \
		--default-address-pool "base=198.18.$((32 * i)).0/19,size=24" \
		--cgroup-parent "/$ns" --iptables=true --ip-forward=true --shutdown-timeout 2 \
		--log-level "${NCLAB_LOG_LEVEL:-warn}" \
		>>"$data/dockerd.log" 2>&1 </dev/null &
	echo $! >"$dir/holder.pid"
}

# wait_for SECONDS WHAT COMMAND...: until COMMAND succeeds, polling every 0.5 s
wait_for() {
	local limit=$1 what=$2 deadline
	shift 2
	deadline=$(($(now_ms) + limit * 1000))
	until "$@"; do
		[ "$(now_ms)" -lt "$deadline" ] || { log "timed out after $limit s waiting for $what"; return 1; }
		sleep 0.5
	done
}

all_answer() { # N
	local i
	for i in $(seq 1 "$1"); do answers "$(sock_of "$i")" || return 1; done
}

ready_nodes() { # N: all N nodes Ready (and active) in the manager's node list
	local n
	n=$(dk 1 node ls --format '{{.Status}} {{.Availability}}' 2>/dev/null | grep -c '^Ready Active$') || true
	[ "${n:-0}" = "$1" ]
}

up() {
	local n=${1:-} t0 i data_dir token tar pids=() rc
	[ "$(id -u)" = 0 ] || die "needs root"
	case "$n" in 2 | 3) ;; *) die "up N: N is 2 or 3, not '$n'" ;; esac
	for i in ip nsenter unshare setsid dockerd "$DOCKER" iptables curl hostname /usr/bin/python3; do
		command -v "$i" >/dev/null || die "$i is not installed"
	done
	[ -x "$BUSYBOX" ] && ! ldd "$BUSYBOX" >/dev/null 2>&1 ||
		die "$BUSYBOX is missing or dynamically linked: apt-get install busybox-static"
	t0=$(now_ms)
	down 2>/dev/null
	# the lab's network must be ours alone
	case "$(ip -4 route get "$(node_addr 1)" 2>/dev/null)" in
	*" via "* | *" dev lo "* | "") ;;
	*) die "the host already has an on-link route to $LAB_NET: $(ip -4 route get "$(node_addr 1)")" ;;
	esac
	mkdir -p "$RUN_DIR"
	data_dir=$(mktemp -d "$DATA_PARENT/$LAB.XXXXXX")
	: >"$data_dir/.nclab-swarm-lab"
	printf 'NODES=%s\nDATA_DIR=%s\nTWIN_HOSTNAME=%s\n' "$n" "$data_dir" "$TWIN_HOSTNAME" >"$STATE"

	ip link add $BRIDGE type bridge
	ip addr add $BRIDGE_ADDR/24 dev $BRIDGE
	ip link set $BRIDGE up
	fw_rule add
	for i in $(seq 1 "$n"); do start_node "$i" "$data_dir" "$n"; done
	if ! wait_for "$UP_TIMEOUT_S" "the nodes' dockerds to answer" all_answer "$n"; then
		for i in $(seq 1 "$n"); do tail -n 10 "$data_dir/node$i/dockerd.log" >&2 || true; done
		die "not every node's dockerd answered (logs: $data_dir/node*/dockerd.log)"
	fi
	log "$n dockerds answer after $(($(now_ms) - t0)) ms"

	# the image, into every node at once
	tar=$data_dir/image.tar
	make_image_tar "$tar"
	for i in $(seq 1 "$n"); do
		dk "$i" import --change 'LABEL io.netcheck.lab=swarm' - "$IMAGE" <"$tar" >/dev/null &
		pids+=($!)
	done
	for i in "${pids[@]}"; do wait "$i" || die "importing $IMAGE failed"; done
	rm -f "$tar"

	# the swarm: node 1 manages, the others join as workers (at once)
	dk 1 swarm init --advertise-addr "$(node_addr 1)" --listen-addr "$(node_addr 1):2377" \
		--default-addr-pool 198.19.0.0/16 --default-addr-pool-mask-length 24 >/dev/null ||
		die "swarm init on node 1 failed"
	token=$(dk 1 swarm join-token -q worker)
	pids=()
	for i in $(seq 2 "$n"); do
		dk "$i" swarm join --advertise-addr "$(node_addr "$i")" --listen-addr "$(node_addr "$i"):2377" \
			--token "$token" "$(node_addr 1):2377" >/dev/null &
		pids+=($!)
	done
	rc=0
	for i in "${pids[@]}"; do wait "$i" || rc=1; done
	[ "$rc" = 0 ] || die "a worker did not join"
	wait_for "$UP_TIMEOUT_S" "$n nodes Ready" ready_nodes "$n" || {
		dk 1 node ls >&2 || true
		die "not all $n nodes are Ready"
	}
	log "up $n in $(($(now_ms) - t0)) ms (data: $data_dir)"
}

env_() {
	local n i twin
	[ -f "$STATE" ] || die "the lab is not up"
	n=$(sed -n 's/^NODES=//p' "$STATE")
	twin=$(sed -n 's/^TWIN_HOSTNAME=//p' "$STATE")
	echo "NCLAB_NODES=$n"
	echo "NCLAB_BRIDGE=$BRIDGE"
	echo "NCLAB_BRIDGE_ADDR=$BRIDGE_ADDR"
	echo "NCLAB_IMAGE=$IMAGE"
	echo "NCLAB_DATA_DIR=$(sed -n 's/^DATA_DIR=//p' "$STATE")"
	for i in $(seq 1 "$n"); do
		echo "NCLAB_NODE${i}_HOST=unix://$(sock_of "$i")"
		echo "NCLAB_NODE${i}_ADDR=$(node_addr "$i")"
		echo "NCLAB_NODE${i}_NETNS=$(netns_of "$i")"
		echo "NCLAB_NODE${i}_HOSTNAME=$(TWIN_HOSTNAME=$twin hostname_of "$i" "$n")"
	done
	echo "NCLAB_MANAGER=1"
	echo "NCLAB_MANAGER_HOST=unix://$(sock_of 1)"
	echo "NCLAB_MANAGER_ADDR=$(node_addr 1)"
}

status() {
	local i pid
	if [ -f "$STATE" ]; then cat "$STATE"; else echo "no state file ($STATE)"; fi
	echo "bridge $BRIDGE: $(ip -br addr show $BRIDGE 2>/dev/null || echo absent)"
	echo "FORWARD rule: $(fw_rule check && echo present || echo absent)"
	for i in $(seq 1 $MAX_NODES); do
		pid=$(dockerd_pid "$i")
		[ -e "/run/netns/$(netns_of "$i")" ] || [ -n "$pid" ] || continue
		echo "node$i: netns $(netns_of "$i") $(ip -n "$(netns_of "$i")" -br -4 addr show eth0 2>/dev/null | awk '{print $3}')," \
			"dockerd ${pid:-absent}, $(answers "$(sock_of "$i")" && echo answers || echo 'does not answer')," \
			"swarm $(dk "$i" info --format '{{.Swarm.LocalNodeState}}' 2>/dev/null || echo '?')"
	done
	answers "$(sock_of 1)" && dk 1 node ls 2>/dev/null || true
}

# stop-node I: node I's dockerd stops (SIGKILL: a node that vanishes); the
# manager marks it down after its heartbeats stop.  `down` still clears it.
stop_node() {
	local pid
	[ "$(id -u)" = 0 ] || die "needs root"
	[[ ${1:-} =~ ^[2-$MAX_NODES]$ ]] || die "stop-node takes a worker's number, 2..$MAX_NODES"
	pid=$(dockerd_pid "$1")
	[ -n "$pid" ] || die "node $1's dockerd is not running"
	kill -KILL "$pid"
	wait_gone 10 "$pid" || die "node $1's dockerd (pid $pid) did not stop"
}

case "${1:-}" in
up) up "${2:-}" ;;
stop-node) stop_node "${2:-}" ;;
down)
	[ "$(id -u)" = 0 ] || die "needs root"
	down
	;;
env) env_ ;;
status) status ;;
*)
	echo "usage: $0 up 2|3 | down | env | status | stop-node I" >&2
	exit 64
	;;
esac
