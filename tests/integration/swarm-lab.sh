#!/bin/bash
# The Swarm lab (tests/labs/swarm-lab.sh) comes up, carries the paths a later
# `netcheck run --swarm` will probe, and goes away without a trace:
#   - N nodes (NC_SWARM_NODES, 2 or 3; default 2) Ready in the manager's `node ls`;
#   - a global service of the lab's busybox image on an attachable overlay, with a
#     host-mode published port: one running task per node, answering on every
#     node's lab address from the host (on-link: a namespace we made);
#   - overlay connectivity: node 1's task reaches every other node's task by its
#     overlay IP (VXLAN between the nodes' namespaces, bridged by nclab-br0);
#   - whether this kernel has IPVS (ingress-mode publishing and VIP services need it);
#   - after `down`: no netns, bridge, veth, FORWARD rule, process, mount, cgroup or data dir.
# Times for up, the service's convergence and down are printed ("# time ...").
[ "${CI:-}" = true ] && export NC_CI=1 # CI: a missing prerequisite fails, never skips
. "$(dirname "$0")/lib.sh"
need_root

LAB=$SWARM_LAB
N=${NC_SWARM_NODES:-2}
case "$N" in 2 | 3) ;; *) fail "NC_SWARM_NODES is 2 or 3, not '$N'" ;; esac
DOCKER=/usr/bin/docker
SERVICE=nclab-web
OVERLAY=nclab-overlay
PORT=8080
PUBLISHED=18080
WAIT_S=90 # every wait below: at most this long, polling every 0.5 s

for c in ip nsenter unshare setsid dockerd "$DOCKER" iptables curl hostname; do
	command -v "$c" >/dev/null || prerequisite_missing "$c is not installed (tests/setup.sh installs it)"
done
[ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1 ||
	prerequisite_missing "/bin/busybox is not a static busybox (apt-get install busybox-static)"
ip link add nclab-vxprobe type vxlan id 4242 dstport 4789 2>/dev/null ||
	prerequisite_missing "the kernel cannot make VXLAN interfaces (overlay networks need them)"
ip link del nclab-vxprobe

now_ms() { date +%s%3N; }
took() { note "time $1: $(($(now_ms) - $2)) ms"; }
dk() { # NODE docker-args...
	local i=$1
	shift
	timeout 60 "$DOCKER" -H "unix:///run/nclab/node$i/docker.sock" "$@"
}
# wait_for WHAT COMMAND...: until COMMAND succeeds, at most WAIT_S
wait_for() {
	local what=$1 deadline
	shift
	deadline=$(($(now_ms) + WAIT_S * 1000))
	until "$@"; do
		[ "$(now_ms)" -lt "$deadline" ] || fail "timed out after $WAIT_S s waiting for $what"
		sleep 0.5
	done
}

# ---- up -----------------------------------------------------------------------
t0=$(now_ms)
swarm_lab_up "$N"
took "up $N" "$t0"
expect_eq "nodes in env" "$NCLAB_NODES" "$N"
expect_eq "manager" "$NCLAB_MANAGER_HOST" unix:///run/nclab/node1/docker.sock

# nothing can leave the nodes through the host's gateway: no default route in any node
for i in $(seq 1 "$N"); do
	ns_var=NCLAB_NODE${i}_NETNS
	expect_eq "default route in ${!ns_var}" "$(ip -n "${!ns_var}" route show default)" ""
done

nodes=$(dk 1 node ls --format '{{.Hostname}} {{.Status}} {{.Availability}}')
note "node ls: $(echo "$nodes" | tr '\n' ';')"
expect_eq "Ready nodes" "$(grep -c ' Ready Active$' <<<"$nodes")" "$N"
for i in $(seq 1 "$N"); do
	grep -q "^nclab-node$i Ready" <<<"$nodes" || fail "nclab-node$i is not Ready: $nodes"
done

# ---- the service ----------------------------------------------------------------
dk 1 network create --driver overlay --attachable "$OVERLAY" >/dev/null || fail "overlay network not created"
t0=$(now_ms)
# dnsrr: no VIP, so no IPVS in the tasks' namespaces; 1 s grace: a node's stop waits
# for its tasks (stop_grace_period + 5 s) before it exits
# shellcheck disable=SC2016
dk 1 service create --detach --quiet --name $SERVICE --mode global --no-resolve-image \
	--network $OVERLAY --endpoint-mode dnsrr --stop-grace-period 1s \
	--publish "mode=host,target=$PORT,published=$PUBLISHED" \
	--env 'NCLAB_NODE={{.Node.Hostname}}' \
	"$NCLAB_IMAGE" sh -c 'echo "$NCLAB_NODE" >/www/index.html && exec httpd -f -p '$PORT' -h /www' \
	>/dev/null || fail "service create failed"

running_tasks() {
	dk 1 service ps $SERVICE --filter desired-state=running --format '{{.Node}} {{.CurrentState}}' 2>/dev/null |
		awk '$2 == "Running" { print $1 }' | sort -u
}
one_task_per_node() { [ "$(running_tasks | wc -l)" = "$N" ]; }
wait_for "one running task per node" one_task_per_node

fetch() { # ADDR: the page the service serves on ADDR:PUBLISHED (on-link, never a proxy)
	curl -s --noproxy '*' --max-time 3 "http://$1:$PUBLISHED/" 2>/dev/null
}
all_answer() {
	local i addr
	for i in $(seq 1 "$N"); do
		addr=NCLAB_NODE${i}_ADDR
		[ "$(fetch "${!addr}")" = "nclab-node$i" ] || return 1
	done
}
wait_for "every node's published port to answer" all_answer
took "service converged on $N nodes" "$t0"
for i in $(seq 1 "$N"); do
	addr=NCLAB_NODE${i}_ADDR
	note "http://${!addr}:$PUBLISHED/ -> $(fetch "${!addr}")"
done
n=$(dk 1 service ps $SERVICE --format '{{.Error}}' | grep -c . || true)
[ "$n" = 0 ] || note "tasks with errors (earlier attempts): $n"

# ---- overlay: node 1's task to every other node's task ---------------------------
task_on() { # NODE: the id of the service's container on that node
	dk "$1" ps -q --filter "label=com.docker.swarm.service.name=$SERVICE" | head -n 1
}
c1=$(task_on 1)
[ -n "$c1" ] || fail "no task container on node 1"
for i in $(seq 2 "$N"); do
	ci=$(task_on "$i")
	[ -n "$ci" ] || fail "no task container on node $i"
	ip_i=$(dk "$i" inspect -f "{{(index .NetworkSettings.Networks \"$OVERLAY\").IPAddress}}" "$ci")
	[[ $ip_i == 198.19.* ]] || fail "node $i's task has overlay address '$ip_i', not in 198.19.0.0/16"
	# busybox's wget segfaults in Debian's busybox-static 1.35: plain HTTP/1.0 over nc instead
	got=$(printf 'GET / HTTP/1.0\r\n\r\n' | dk 1 exec -i "$c1" nc -w 5 "$ip_i" $PORT | tail -n 1 | tr -d '\r')
	expect_eq "node 1's task -> node $i's task at $ip_i:$PORT over $OVERLAY" "$got" "nclab-node$i"
	note "overlay: node 1 task -> node $i task $ip_i:$PORT: $got"
done
# the embedded DNS knows every task (dnsrr): informational
note "tasks.$SERVICE from node 1's task: $(dk 1 exec "$c1" nslookup "tasks.$SERVICE" 127.0.0.11 2>/dev/null |
	awk '/^Address: / && $2 !~ /^127\./ { printf "%s ", $2 }')"

# ---- IPVS: what ingress-mode publishing and VIP services would need ---------------
if [ -e /proc/net/ip_vs ]; then
	ipvs="available (/proc/net/ip_vs)"
elif command -v modprobe >/dev/null && modprobe -n ip_vs >/dev/null 2>&1; then
	ipvs="loadable (modprobe -n ip_vs)"
else
	ipvs="absent: no /proc/net/ip_vs, $(command -v modprobe >/dev/null && echo 'modprobe -n ip_vs fails' || echo 'no modprobe')"
fi
note "IPVS: $ipvs; ingress-mode publishing and VIP endpoints $([[ $ipvs == absent* ]] && echo 'cannot work here' || echo 'can work')"

# no node asked a registry for the image (DOCKER_SERVICE_PREFER_OFFLINE_IMAGE=1 in the lab;
# without it the task manager tries a pull even with --no-resolve-image)
pulls=$(grep -h 'pulling image' "$NCLAB_DATA_DIR"/node*/dockerd.log 2>/dev/null | head -n 3 || true)
[ -z "$pulls" ] || fail "a node tried to pull an image: $pulls"

# ---- down, and nothing left ------------------------------------------------------
data_dir=$NCLAB_DATA_DIR
t0=$(now_ms)
SWARM_LAB_UP=0
timeout 60 bash "$LAB" down || fail "lab down failed"
took down "$t0"
left=()
for i in 1 2 3; do
	[ -e "/run/netns/nclab-node$i" ] && left+=("netns nclab-node$i")
	ip link show "nclab-n$i-h" >/dev/null 2>&1 && left+=("veth nclab-n$i-h")
	for d in /sys/fs/cgroup/*/nclab-node$i; do [ -d "$d" ] && left+=("cgroup $d"); done
done
ip link show nclab-br0 >/dev/null 2>&1 && left+=("bridge nclab-br0")
iptables -w 5 -S FORWARD | grep -q nclab && left+=("FORWARD rule: $(iptables -w 5 -S FORWARD | grep nclab)")
for f in /proc/[0-9]*/cmdline; do
	grep -qa /run/nclab/ "$f" 2>/dev/null && left+=("process ${f//[^0-9]/}: $(tr '\0' ' ' <"$f" 2>/dev/null | head -c 100)")
done
grep -qE " (/run/nclab|$data_dir)[/ ]" /proc/self/mounts && left+=("mounts: $(grep -E " (/run/nclab|$data_dir)" /proc/self/mounts)")
[ -e "$data_dir" ] && left+=("data dir $data_dir")
[ -e /run/nclab ] && left+=("/run/nclab")
[ ${#left[@]} = 0 ] || fail "left after down: ${left[*]}"

echo "PASS swarm-lab ($N nodes)"
