#!/bin/bash
# Rootless Podman lab: an unprivileged user runs `podman system service` on its
# own socket, so netcheck can be pointed at a rootless engine on this machine.
#
#   tests/labs/rootless-podman.sh up     install what is missing, start the service
#   tests/labs/rootless-podman.sh down   stop it, remove the user, its group, home and subuids (idempotent)
#   tests/labs/rootless-podman.sh env    print shell assignments (eval "$(... env)")
#
# Needs root.  Debian packages: podman slirp4netns uidmap fuse-overlayfs passt runc
# conmon catatonit.  Why the settings below:
#   runtime "runc"           crun fails on this machine's hybrid cgroup v1/v2 layout
#   cgroup_manager cgroupfs  no systemd user session (no logind, no D-Bus user bus)
#   events_logger "file"     no journald
#   /dev/net/tun 0666        what udev would leave; slirp4netns opens it as the user
# Every wait is bounded.
set -euo pipefail
# shellcheck source=tests/labs/lib.sh
. "$(dirname "$0")/lib.sh"

LAB_USER=${NC_PODMAN_USER:-nc-podman}
LAB_STATE=/run/netcheck-labs/rootless-podman # root-owned: pid file and service log
PACKAGES="podman slirp4netns uidmap fuse-overlayfs passt runc conmon catatonit"
PING_WAIT_S=${NC_PODMAN_PING_WAIT_S:-30}

die() { printf 'rootless-podman lab: %s\n' "$*" >&2; exit 1; }
say() { printf '# rootless-podman lab: %s\n' "$*" >&2; }

[ "$(id -u)" = 0 ] || die "needs root"

user_exists() { id -u "$LAB_USER" >/dev/null 2>&1; }

# Values that depend on the user; only valid once it exists.
user_vars() {
	LAB_UID=$(id -u "$LAB_USER")
	LAB_GID=$(id -g "$LAB_USER")
	LAB_HOME=$(getent passwd "$LAB_USER" | cut -d: -f6)
	LAB_RUNTIME_DIR=/run/user/$LAB_UID
	LAB_SOCK=$LAB_RUNTIME_DIR/podman/podman.sock
}

install_packages() {
	local missing="" p
	for p in $PACKAGES; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	say "installing:$missing"
	# another apt may hold the lock (bounded wait)
	local _
	for _ in $(seq 1 60); do
		fuser /var/lib/dpkg/lock-frontend >/dev/null 2>&1 || break
		sleep 2
	done
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y -q --no-install-recommends $missing >&2 ||
		die "apt-get install$missing failed"
}

ensure_user() {
	if ! user_exists; then
		# useradd allocates /etc/subuid and /etc/subgid ranges (SUB_UID_* in login.defs)
		useradd --create-home --shell /usr/sbin/nologin --comment "netcheck rootless podman lab" "$LAB_USER"
	fi
	grep -q "^$LAB_USER:" /etc/subuid || usermod --add-subuids 1065536-1131071 "$LAB_USER"
	grep -q "^$LAB_USER:" /etc/subgid || usermod --add-subgids 1065536-1131071 "$LAB_USER"
	user_vars
}

write_config() {
	local conf=$LAB_HOME/.config/containers
	install -d -o "$LAB_UID" -g "$LAB_GID" -m 0755 "$LAB_HOME/.config" "$conf"
	cat >"$conf/containers.conf" <<-EOF
		# written by netcheck tests/labs/rootless-podman.sh
		[containers]
		[engine]
		runtime = "runc"
		cgroup_manager = "cgroupfs"
		events_logger = "file"
	EOF
	local mount_program=""
	# Native overlay works unprivileged from kernel 5.13 on; fuse-overlayfs only before.
	if [ "${NC_PODMAN_FUSE_OVERLAYFS:-0}" = 1 ]; then
		mount_program='mount_program = "/usr/bin/fuse-overlayfs"'
	fi
	cat >"$conf/storage.conf" <<-EOF
		# written by netcheck tests/labs/rootless-podman.sh
		[storage]
		driver = "overlay"
		runroot = "$LAB_RUNTIME_DIR/containers"
		graphroot = "$LAB_HOME/.local/share/containers/storage"
		[storage.options.overlay]
		$mount_program
	EOF
	chown "$LAB_UID:$LAB_GID" "$conf/containers.conf" "$conf/storage.conf"
}

# alive and not a zombie (pid 1 here reaps orphans late)
pid_alive() {
	[ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null || return 1
	[ "$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)" != Z ]
}

ping_ok() { curl -sf --max-time 2 --unix-socket "$LAB_SOCK" http://d/_ping >/dev/null 2>&1; }

cmd_up() {
	install_packages
	ensure_user
	# what udev would do (this machine has none); fuse for the fuse-overlayfs fallback
	chmod 0666 /dev/net/tun
	[ -e /dev/fuse ] && chmod 0666 /dev/fuse
	install -d -m 0755 "$(dirname "$LAB_STATE")"
	install -d -m 0700 "$LAB_STATE"
	install -d -o "$LAB_UID" -g "$LAB_GID" -m 0700 "$LAB_RUNTIME_DIR"
	write_config

	if [ -f "$LAB_STATE/service.pid" ] && pid_alive "$(cat "$LAB_STATE/service.pid")" && ping_ok; then
		say "already up: $LAB_SOCK"
		return 0
	fi
	# a killed run's leftovers (stale socket, pid file, conmon, slirp4netns) go first
	stop_everything

	install -d -o "$LAB_UID" -g "$LAB_GID" -m 0700 "$LAB_RUNTIME_DIR" "$LAB_RUNTIME_DIR/podman"
	# setpriv execs (no fork): $! is podman's own pid
	# (a background subshell is no group leader: setsid execs without a fork)
	(
		close_inherited_fds
		exec setsid setpriv --reuid "$LAB_UID" --regid "$LAB_GID" --init-groups \
			env -i HOME="$LAB_HOME" USER="$LAB_USER" LOGNAME="$LAB_USER" \
			PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin \
			XDG_RUNTIME_DIR="$LAB_RUNTIME_DIR" XDG_CONFIG_HOME="$LAB_HOME/.config" \
			podman system service --time=0 "unix://$LAB_SOCK"
	) </dev/null >"$LAB_STATE/service.log" 2>&1 &
	echo $! >"$LAB_STATE/service.pid"
	local pid
	pid=$(cat "$LAB_STATE/service.pid")
	for _ in $(seq 1 $((PING_WAIT_S * 10))); do
		ping_ok && break
		pid_alive "$pid" || { cat "$LAB_STATE/service.log" >&2; die "podman system service exited"; }
		sleep 0.1
	done
	ping_ok || { cat "$LAB_STATE/service.log" >&2; die "no answer on $LAB_SOCK after ${PING_WAIT_S}s"; }
	say "up: unix://$LAB_SOCK (pid $pid, log $LAB_STATE/service.log)"
}

# pids of every process owned by the lab user or one of its subordinate uids
# (conmon, slirp4netns, rootlessport, the pause process, container processes)
lab_pids() {
	local sub_start sub_count
	sub_start=$(awk -F: -v u="$LAB_USER" '$1 == u { print $2; exit }' /etc/subuid)
	sub_count=$(awk -F: -v u="$LAB_USER" '$1 == u { print $3; exit }' /etc/subuid)
	ps -e -o pid=,uid=,stat= | awk -v me="$$" -v u="$LAB_UID" -v s="${sub_start:--1}" -v n="${sub_count:-0}" \
		'$1 != me && $3 !~ /^Z/ && ($2 == u || ($2 >= s && $2 < s + n)) { print $1 }'
}

signal_lab() { # SIGNAL: each lab process, by pid
	local p
	for p in $(lab_pids); do
		kill "-$1" "$p" 2>/dev/null || true
	done
}

stop_everything() {
	local pid
	if [ -f "$LAB_STATE/service.pid" ]; then
		pid=$(cat "$LAB_STATE/service.pid")
		if pid_alive "$pid"; then
			kill -TERM "$pid" 2>/dev/null || true
			for _ in $(seq 1 50); do pid_alive "$pid" || break; sleep 0.1; done
		fi
		rm -f "$LAB_STATE/service.pid"
	fi
	signal_lab TERM
	for _ in $(seq 1 30); do [ -z "$(lab_pids)" ] && break; sleep 0.1; done
	signal_lab KILL
	for _ in $(seq 1 30); do [ -z "$(lab_pids)" ] && break; sleep 0.1; done
	[ -z "$(lab_pids)" ] || say "processes left: $(lab_pids | tr '\n' ' ')"
	rm -f "$LAB_SOCK"
}

cmd_down() {
	if ! user_exists; then
		rm -rf "$LAB_STATE"
		remove_lab_user "$LAB_USER" || die "subordinate ids of $LAB_USER not removed"
		return 0
	fi
	user_vars
	stop_everything
	# the mounts of rootless podman live in its user namespace, gone with its processes
	rm -rf "$LAB_HOME/.local/share/containers" "$LAB_HOME/.config/containers" "$LAB_RUNTIME_DIR"
	rm -rf "$LAB_STATE"
	# the user, its group, home and subordinate ranges: nothing stays on the machine
	[ -z "$(lab_pids)" ] || die "processes of $LAB_USER left: $(lab_pids | tr '\n' ' ')"
	case "$LAB_HOME" in /home/"$LAB_USER") rm -rf --one-file-system "$LAB_HOME" ;; esac
	remove_lab_user "$LAB_USER" || die "user $LAB_USER not removed"
	say "down"
}

cmd_env() {
	user_exists || die "no user $LAB_USER (run up first)"
	user_vars
	printf 'NC_PODMAN_USER=%s\n' "$LAB_USER"
	printf 'NC_PODMAN_UID=%s\n' "$LAB_UID"
	printf 'NC_PODMAN_RUNTIME_DIR=%s\n' "$LAB_RUNTIME_DIR"
	printf 'NC_PODMAN_SOCK=%s\n' "$LAB_SOCK"
	printf 'NC_PODMAN_ENGINE=unix://%s\n' "$LAB_SOCK"
	printf 'NC_PODMAN_LOG=%s\n' "$LAB_STATE/service.log"
}

case "${1:-}" in
up) cmd_up ;;
down) cmd_down ;;
env) cmd_env ;;
*) die "usage: $0 up|down|env" ;;
esac
