#!/bin/bash
# A Docker-Desktop-like lab on one Linux host, as root:
#   bash tests/labs/desktop-lab.sh up     build it (clearing leftovers of an earlier run first)
#   bash tests/labs/desktop-lab.sh down   take it apart; idempotent, copes with a killed run
#   bash tests/labs/desktop-lab.sh env    print the lab engine's URL
#
# The "VM" is a network namespace (nc-vm) joined to the host by a veth pair
# 10.250.250.1/30 (host, nc-vm-host) -- 10.250.250.2/30 (VM, eth0).  A dockerd
# of its own runs in it (own data-root, exec-root, containerd, iptables),
# with its bridge on 10.251.0.0/24: the host has no route there except its
# default route, so netcheck must refuse to probe the containers' IPs.  By
# default the lab dockerd also has its own PID namespace, as a VM would: the
# pids it reports mean nothing on the host (NC_LAB_PIDNS=0 shares the host's).
# A host process (tests/labs/desktop-forwarder.py) stands for Desktop's
# backend: it serves the engine API on the host's socket, passing requests to
# the lab dockerd's socket, and for each published port it runs socat
# listeners on 127.0.0.1, ::1 and the host's primary address, forwarding to
# 10.250.250.2 on the same port, where the lab's dockerd publishes it.  As in
# Desktop, a container start returns once its ports listen on the host.
# host.docker.internal as Desktop gives it: the lab's dockerd names the VM's
# address as the containers' name server, where the forwarder answers that one
# name with 10.250.250.254 (an address of no interface, like Desktop's
# 192.168.65.254; every other name is REFUSED), and a REDIRECT rule in the VM's
# namespace hands connections to that address to the forwarder, which carries
# them to 127.0.0.1 on the host at the same port.
# The host forwards nothing between the veth and anything else (FORWARD drop).
set -euo pipefail

LAB=nc-vm
NS=nc-vm
VETH_HOST=nc-vm-host
VETH_PEER=nc-vm-peer # renamed eth0 inside the namespace
HOST_ADDR=10.250.250.1
VM_ADDR=10.250.250.2
LINK_PREFIX=30
HOST_INTERNAL=10.250.250.254 # what host.docker.internal resolves to in the lab's containers
REDIRECT_PORT=61999 # in the VM's namespace only: where its REDIRECT rule sends host.docker.internal
BIP=10.251.0.1/24
CONTAINER_NET=10.251.0.0/24
RUN_DIR=/run/$LAB
EXEC_ROOT=$RUN_DIR/exec
DATA_ROOT=/var/lib/$LAB
LOG_DIR=/var/log/$LAB
SOCK=$RUN_DIR/docker.sock  # the host's API socket, served by the backend (the forwarder)
VM_SOCK=$RUN_DIR/vm/docker.sock # the lab dockerd's own socket, "inside the VM"
URL=unix://$SOCK
CGROUP_PARENT=/$LAB
FW_COMMENT="netcheck-desktop-lab"
PIDNS=${NC_LAB_PIDNS:-1}
LAB_PORTS="20000 20999" # the lab engine's published ports (its netns's ephemeral range)
HERE=$(cd "$(dirname "$0")" && pwd)

log() { printf 'desktop-lab: %s\n' "$*" >&2; }
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh" # cmdline_of, pids_with_cmdline, LAB_FRESH_ENGINE_MOUNTS
die() { log "$*"; exit 1; }

answers() { # SOCKET
	curl -sf --max-time 2 --unix-socket "$1" http://localhost/_ping >/dev/null 2>&1
}

# kill_pid PID WHAT: TERM, up to 10 s, then KILL; only if /proc/PID/cmdline matches WHAT
kill_pid() {
	local pid=$1 what=$2 i
	[ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 0
	cmdline_of "$pid" && [[ $CMDLINE == *"$what"* ]] || return 0
	kill -TERM "$pid" 2>/dev/null || return 0
	for i in $(seq 1 100); do
		[ -e "/proc/$pid" ] || return 0
		sleep 0.1
	done
	log "pid $pid ($what) ignored SIGTERM for 10 s; SIGKILL"
	kill -KILL "$pid" 2>/dev/null || true
}

fw_rules() { # add|del
	local op=$1 ipt i
	for ipt in iptables ip6tables; do
		command -v $ipt >/dev/null || continue
		if [ "$op" = add ]; then
			$ipt -w 5 -I FORWARD 1 -i $VETH_HOST -m comment --comment $FW_COMMENT -j DROP
			$ipt -w 5 -I FORWARD 1 -o $VETH_HOST -m comment --comment $FW_COMMENT -j DROP
		else
			for i in $(seq 1 10); do
				$ipt -w 5 -D FORWARD -i $VETH_HOST -m comment --comment $FW_COMMENT -j DROP 2>/dev/null || break
			done
			for i in $(seq 1 10); do
				$ipt -w 5 -D FORWARD -o $VETH_HOST -m comment --comment $FW_COMMENT -j DROP 2>/dev/null || break
			done
		fi
	done
}

down() {
	local t0 pid c d
	t0=$(date +%s%N)
	# 1. the forwarder and its socats
	[ -f "$RUN_DIR/forwarder.pid" ] && kill_pid "$(cat "$RUN_DIR/forwarder.pid")" desktop-forwarder.py
	for pid in $(pids_with_cmdline "desktop-forwarder.py --engine $VM_SOCK"); do kill_pid "$pid" desktop-forwarder.py; done
	for pid in $(pids_with_cmdline "TCP4:$VM_ADDR:"); do kill_pid "$pid" "TCP4:$VM_ADDR:"; done
	# 2. dockerd (it stops its containers and its containerd)
	[ -f "$RUN_DIR/dockerd.hostpid" ] && kill_pid "$(cat "$RUN_DIR/dockerd.hostpid")" "--exec-root $EXEC_ROOT"
	for pid in $(pids_with_cmdline "dockerd --config-file $RUN_DIR/daemon.json"); do kill_pid "$pid" "--exec-root $EXEC_ROOT"; done
	# 3. what a killed dockerd leaves: containerd, shims, container processes
	for pid in $(pids_with_cmdline "$EXEC_ROOT/containerd"); do kill_pid "$pid" "$EXEC_ROOT/containerd"; done
	for c in /sys/fs/cgroup/pids$CGROUP_PARENT /sys/fs/cgroup/pids$CGROUP_PARENT/*/; do
		[ -f "$c/cgroup.procs" ] || continue
		for pid in $(cat "$c/cgroup.procs"); do kill -KILL "$pid" 2>/dev/null || true; done
	done
	# the namespace holders (unshare/sh of a killed up)
	[ -f "$RUN_DIR/holder.pid" ] && kill_pid "$(cat "$RUN_DIR/holder.pid")" "$RUN_DIR/cgsave"
	for pid in $(pids_with_cmdline "$RUN_DIR/cgsave"); do kill_pid "$pid" "$RUN_DIR/cgsave"; done
	sleep 0.2
	for d in /sys/fs/cgroup/*$CGROUP_PARENT; do
		[ -d "$d" ] || continue
		find "$d" -mindepth 1 -depth -type d -exec rmdir {} + 2>/dev/null || true
		rmdir "$d" 2>/dev/null || log "cgroup $d not removed (still in use?)"
	done
	# 4. network
	fw_rules del
	ip link del $VETH_HOST 2>/dev/null || true
	if [ -e /run/netns/$NS ]; then
		ip netns del $NS 2>/dev/null || { umount -l /run/netns/$NS 2>/dev/null; rm -f /run/netns/$NS; }
	fi
	# 5. state (mounts made by the lab's dockerd lived in its own mount namespace, gone with it)
	if grep -qE " ($RUN_DIR|$DATA_ROOT)[/ ]" /proc/self/mounts; then
		grep -oE " ($RUN_DIR|$DATA_ROOT)[^ ]*" /proc/self/mounts | sort -r | while read -r d; do umount -l "$d" || true; done
	fi
	rm -rf "$RUN_DIR" "$DATA_ROOT"
	log "down in $((($(date +%s%N) - t0) / 1000000)) ms"
}

primary_address() {
	local dev
	dev=$(ip -4 route show default | awk '{for (i = 1; i < NF; i++) if ($i == "dev") { print $(i + 1); exit }}')
	[ -n "$dev" ] || return 0
	ip -4 -o addr show dev "$dev" scope global | awk '{split($4, a, "/"); print a[1]; exit}'
}

up() {
	local t0 i pid host_address
	[ "$(id -u)" = 0 ] || die "needs root"
	for i in ip nsenter unshare dockerd socat curl /usr/bin/python3 iptables; do
		command -v $i >/dev/null || die "$i is not installed"
	done
	t0=$(date +%s%N)
	down 2>/dev/null
	mkdir -p "$RUN_DIR" "$RUN_DIR/vm" "$EXEC_ROOT" "$DATA_ROOT" "$LOG_DIR" "$RUN_DIR/cgsave"
	: >"$LOG_DIR/dockerd.log"
	: >"$LOG_DIR/forwarder.log"

	# the VM's network: a namespace and a veth pair
	ip netns add $NS
	ip link add $VETH_HOST type veth peer name $VETH_PEER
	ip link set $VETH_PEER netns $NS
	ip -n $NS link set $VETH_PEER name eth0
	ip addr add $HOST_ADDR/$LINK_PREFIX dev $VETH_HOST
	ip link set $VETH_HOST up
	ip -n $NS addr add $VM_ADDR/$LINK_PREFIX dev eth0
	ip -n $NS link set lo up
	ip -n $NS link set eth0 up
	ip -n $NS route add default via $HOST_ADDR
	# the lab's dockerd picks published ports from its netns's ephemeral range, and the
	# forwarder listens on the same ports here: a range of its own, below this host's
	# (where this host's engine picks its own), so the two engines never pick the same
	ip netns exec $NS sysctl -q -w net.ipv4.ip_local_port_range="$LAB_PORTS"
	fw_rules add
	# the point of the lab: the host has no route to the containers but its default
	case "$(ip -4 route get ${CONTAINER_NET%.0/*}.2 2>/dev/null)" in
	*" via "*) ;;
	*) die "the host routes $CONTAINER_NET somewhere other than its gateway: pick another --bip" ;;
	esac

	# its own dockerd: own mount namespace with /sys of the VM's netns, cgroups bound back,
	# a fresh /run/containerd and /run/docker so nothing of the host's engine is seen
	echo '{}' >"$RUN_DIR/daemon.json"
	local pidns_args=()
	[ "$PIDNS" = 1 ] && pidns_args=(-p --fork --kill-child --mount-proc)
	# shellcheck disable=SC2016
	setsid nsenter --net=/run/netns/$NS unshare -m --propagation slave "${pidns_args[@]}" sh -c '
		save=$1; shift
		'"$LAB_FRESH_ENGINE_MOUNTS" sh "$RUN_DIR/cgsave" \
		dockerd --config-file "$RUN_DIR/daemon.json" \
		--data-root "$DATA_ROOT/docker" --exec-root "$EXEC_ROOT" --pidfile "$RUN_DIR/dockerd.pid" \
		-H "unix://$VM_SOCK" --bip $BIP --cgroup-parent $CGROUP_PARENT --iptables=true --ip-forward=true \
		--dns $VM_ADDR \
		--log-level warn \
		>>"$LOG_DIR/dockerd.log" 2>&1 </dev/null &
	echo $! >"$RUN_DIR/holder.pid"
	for i in $(seq 1 120); do
		answers "$VM_SOCK" && break
		kill -0 "$(cat "$RUN_DIR/holder.pid")" 2>/dev/null || break
		sleep 0.5
	done
	if ! answers "$VM_SOCK"; then
		tail -n 30 "$LOG_DIR/dockerd.log" >&2 || true
		die "the lab's dockerd did not answer at $VM_SOCK within 60 s (log: $LOG_DIR/dockerd.log)"
	fi
	pid=$(pids_with_cmdline "dockerd --config-file $RUN_DIR/daemon.json" | while read -r p; do
		[ "$(cat /proc/$p/comm 2>/dev/null)" = dockerd ] && echo "$p"; done | head -n 1)
	echo "$pid" >"$RUN_DIR/dockerd.hostpid"

	# host.docker.internal: the VM's own rule, gone with its namespace
	ip netns exec $NS iptables -w 5 -t nat -I PREROUTING 1 -d $HOST_INTERNAL/32 -p tcp \
		-m comment --comment $FW_COMMENT -j REDIRECT --to-ports $REDIRECT_PORT

	# Desktop's backend: the port forwarder on the host
	host_address=$(primary_address)
	setsid /usr/bin/python3 "$HERE/desktop-forwarder.py" --engine "$VM_SOCK" --listen "$SOCK" --target $VM_ADDR \
		--host-address "$host_address" --ready "$RUN_DIR/forwarder.ready" \
		--netns /run/netns/$NS --dns-address $VM_ADDR --host-internal $HOST_INTERNAL --redirect-port $REDIRECT_PORT \
		--state "$RUN_DIR/forwarders" >>"$LOG_DIR/forwarder.log" 2>&1 </dev/null &
	echo $! >"$RUN_DIR/forwarder.pid"
	for i in $(seq 1 300); do
		[ -e "$RUN_DIR/forwarder.ready" ] && break
		kill -0 "$(cat "$RUN_DIR/forwarder.pid")" 2>/dev/null || break
		sleep 0.1
	done
	[ -e "$RUN_DIR/forwarder.ready" ] && answers "$SOCK" || { cat "$LOG_DIR/forwarder.log" >&2; die "the forwarder did not start"; }
	log "up in $((($(date +%s%N) - t0) / 1000000)) ms: $URL (dockerd host pid $pid, bridge $BIP, VM $VM_ADDR, pid namespace: $([ "$PIDNS" = 1 ] && echo own || echo shared))"
}

case "${1:-}" in
up) up ;;
down)
	[ "$(id -u)" = 0 ] || die "needs root"
	down
	;;
env) echo "$URL" ;;
*)
	echo "usage: $0 up|down|env" >&2
	exit 64
	;;
esac
