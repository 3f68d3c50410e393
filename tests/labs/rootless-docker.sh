#!/bin/bash
# A rootless Docker engine on this host, for the integration tests:
#   tests/labs/rootless-docker.sh up     start it (as an unprivileged user), wait until it answers
#   tests/labs/rootless-docker.sh down   stop it and remove its data and runtime dirs (idempotent)
#   tests/labs/rootless-docker.sh env    print its engine URL (unix:///run/user/UID/docker.sock)
# As root.  Debian packages only: docker.io (dockerd-rootless.sh), rootlesskit,
# slirp4netns, uidmap.  /dev/net/tun stays 0666 (see open_tun); everything
# else `down` removes: the engine's processes, its data, the test user, its
# group and its /etc/subuid, /etc/subgid lines.
#
# The engine runs dockerd-rootless.sh: rootlesskit (builtin port driver) holds
# a user+network namespace with slirp4netns; the engine's bridge there uses
# 172.17.0.0/16 too, the same addresses as the host's docker0.  Nothing in it
# reaches a registry: netcheck imports its own image.
set -euo pipefail
# shellcheck source=tests/labs/lib.sh
. "$(dirname "$0")/lib.sh"

LAB_USER=${NC_LAB_ROOTLESS_USER:-nc-rootless}
STATE=/run/netcheck-labs/rootless-docker  # pid file and log, root's
LAB_HOME=/var/lib/netcheck-lab-rootless   # the user's HOME; dockerd's data root is under it
PIDFILE=$STATE/rootlesskit.pid
LOG=$STATE/dockerd.log
UP_TIMEOUT_S=${NC_LAB_UP_TIMEOUT:-30}
DOWN_TIMEOUT_S=10
SUB_COUNT=65536
ROOTLESS_SH=/usr/share/docker.io/contrib/dockerd-rootless.sh

log() { printf 'lab rootless-docker: %s\n' "$*" >&2; }
die() { log "$*"; exit "${2:-1}"; }
now_ms() { date +%s%3N; }

[ "$(id -u)" = 0 ] || die "must run as root" 77

lab_uid() { id -u "$LAB_USER" 2>/dev/null; }
rundir() { printf '/run/user/%s' "$1"; }
sock_of() { printf '%s/docker.sock' "$(rundir "$1")"; }

answers() { # SOCKET
	curl -sf --max-time 2 --unix-socket "$1" http://localhost/_ping >/dev/null 2>&1
}

need_tools() {
	local missing=() t
	[ -x "$ROOTLESS_SH" ] || missing+=("docker.io ($ROOTLESS_SH)")
	for t in rootlesskit:rootlesskit slirp4netns:slirp4netns newuidmap:uidmap newgidmap:uidmap \
		dockerd:docker.io setpriv:util-linux curl:curl; do
		command -v "${t%%:*}" >/dev/null 2>&1 || missing+=("${t#*:} (${t%%:*})")
	done
	[ ${#missing[@]} -eq 0 ] || die "missing: ${missing[*]}; apt-get install rootlesskit slirp4netns uidmap" 77
}

# first free start of a subordinate-id range in FILE (after every range there)
free_sub_start() {
	awk -F: -v min=100000 'NF>=3 { e = $2 + $3; if (e > min) min = e } END { print min }' "$1" 2>/dev/null || echo 100000
}

ensure_user() {
	if ! id -u "$LAB_USER" >/dev/null 2>&1; then
		log "creating user $LAB_USER"
		useradd --system --user-group --no-create-home --home-dir "$LAB_HOME" \
			--shell /usr/sbin/nologin "$LAB_USER"
	fi
	local f start
	for f in /etc/subuid /etc/subgid; do
		touch "$f"
		if ! grep -q "^$LAB_USER:" "$f"; then
			start=$(free_sub_start "$f")
			echo "$LAB_USER:$start:$SUB_COUNT" >>"$f"
			log "added $LAB_USER:$start:$SUB_COUNT to $f"
		fi
	done
}

# pids whose real uid is the lab user or in its subordinate range: the
# engine, containerd, shims and container processes (this user runs nothing else)
lab_pids() {
	local uid=$1 lo hi
	lo=$(awk -F: -v n="$LAB_USER" '$1==n { print $2; exit }' /etc/subuid 2>/dev/null)
	hi=$(awk -F: -v n="$LAB_USER" '$1==n { print $2 + $3; exit }' /etc/subuid 2>/dev/null)
	# /proc/PID/status:Uid:<tab>real ...; processes may vanish while we read
	{ grep -H '^Uid:' /proc/[0-9]*/status 2>/dev/null || true; } |
		awk -v uid="$uid" -v lo="${lo:-0}" -v hi="${hi:-0}" '{
			split($1, a, "/"); u = $2 + 0
			if (u == uid + 0 || (u >= lo + 0 && u < hi + 0)) print a[3]
		}'
}

# slirp4netns opens /dev/net/tun inside the user namespace, where only the
# "other" bits count.  Debian's udev makes it 0666; this machine has no udev
# (0600).  Set what udev would and leave it so: other labs (rootless-podman.sh)
# rely on the same mode, and restoring it under them would break them.
open_tun() {
	local mode
	[ -c /dev/net/tun ] || die "no /dev/net/tun (kernel module tun)" 77
	mode=$(stat -c %a /dev/net/tun)
	[ "$mode" = 666 ] && return 0
	chmod 0666 /dev/net/tun
	log "/dev/net/tun was mode $mode; now 0666 (udev's default)"
}

# wait up to $2 s until none of the pids in $1 exists
wait_gone() {
	local pids=$1 deadline=$(($(date +%s) + $2)) p alive
	while :; do
		alive=
		for p in $pids; do kill -0 "$p" 2>/dev/null && alive="$alive $p"; done
		[ -z "$alive" ] && return 0
		[ "$(date +%s)" -ge "$deadline" ] && { echo "$alive"; return 1; }
		sleep 0.1
	done
}

do_down() {
	local t0 uid pid pids left
	t0=$(now_ms)
	uid=$(lab_uid || true)
	# the process group started by `up` (setsid: pgid == pid)
	if [ -f "$PIDFILE" ]; then
		pid=$(cat "$PIDFILE" 2>/dev/null || true)
		if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && [ "$(stat -c %u "/proc/$pid" 2>/dev/null)" = "$uid" ]; then
			kill -TERM -- "-$pid" 2>/dev/null || true
			if ! wait_gone "$pid" "$DOWN_TIMEOUT_S" >/dev/null; then
				log "engine $pid still there after ${DOWN_TIMEOUT_S} s; SIGKILL"
				kill -KILL -- "-$pid" 2>/dev/null || true
				wait_gone "$pid" 5 >/dev/null || log "engine $pid survived SIGKILL"
			fi
		fi
	fi
	# what left the group (shims start their own): every process of the lab user, by pid
	if [ -n "$uid" ]; then
		pids=$(lab_pids "$uid" | tr '\n' ' ')
		if [ -n "${pids// /}" ]; then
			# shellcheck disable=SC2086
			kill -TERM $pids 2>/dev/null || true
			if ! left=$(wait_gone "$pids" 5); then
				# shellcheck disable=SC2086
				kill -KILL $left 2>/dev/null || true
				wait_gone "$left" 5 >/dev/null || log "processes left: $left"
			fi
		fi
		rm -rf --one-file-system "$(rundir "$uid")"
	fi
	rm -rf --one-file-system "$LAB_HOME" "$STATE"
	rmdir /run/netcheck-labs 2>/dev/null || true
	log "down in $(($(now_ms) - t0)) ms"
}

do_up() {
	local t0 uid gid rd sock pid deadline
	t0=$(now_ms)
	need_tools
	ensure_user
	uid=$(lab_uid)
	gid=$(id -g "$LAB_USER")
	rd=$(rundir "$uid")
	sock=$(sock_of "$uid")

	# already up and answering: re-use it
	if [ -f "$PIDFILE" ] && pid=$(cat "$PIDFILE" 2>/dev/null) && [ -n "$pid" ] &&
		kill -0 "$pid" 2>/dev/null && answers "$sock"; then
		log "already up (pid $pid)"
		echo "unix://$sock"
		return 0
	fi
	# anything left by a killed or failed run: stale pid file, socket, dirs
	if [ -e "$STATE" ] || [ -e "$rd" ] || [ -e "$LAB_HOME" ] || [ -n "$(lab_pids "$uid")" ]; then
		log "cleaning up what an earlier run left"
		do_down
	fi

	mkdir -p /run/user "$STATE"
	chmod 0755 /run/user
	chmod 0700 "$STATE"
	install -d -m 0700 -o "$uid" -g "$gid" "$rd" "$LAB_HOME"
	open_tun

	log "starting dockerd-rootless.sh as $LAB_USER (uid $uid; log $LOG)"
	# setsid: its own process group, so that `down` stops the lot
	# (a background subshell is no group leader: setsid execs without a fork)
	(
		close_inherited_fds
		exec setsid setpriv --reuid="$uid" --regid="$gid" --init-groups \
			env -i HOME="$LAB_HOME" USER="$LAB_USER" LOGNAME="$LAB_USER" \
			XDG_RUNTIME_DIR="$rd" PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
			"$ROOTLESS_SH"
	) >"$LOG" 2>&1 </dev/null &
	pid=$!
	echo "$pid" >"$PIDFILE"

	deadline=$(($(date +%s) + UP_TIMEOUT_S))
	while ! answers "$sock"; do
		if ! kill -0 "$pid" 2>/dev/null; then
			log "dockerd-rootless.sh exited before answering; last lines of $LOG:"
			tail -n 20 "$LOG" >&2 || true
			do_down
			exit 69
		fi
		if [ "$(date +%s)" -ge "$deadline" ]; then
			log "no answer at $sock within ${UP_TIMEOUT_S} s; last lines of $LOG:"
			tail -n 20 "$LOG" >&2 || true
			do_down
			exit 69
		fi
		sleep 0.1
	done
	log "up in $(($(now_ms) - t0)) ms (pid $pid)"
	echo "unix://$sock"
}

do_env() {
	local uid
	uid=$(lab_uid) || die "no user $LAB_USER: run '$0 up' first"
	echo "unix://$(sock_of "$uid")"
}

case "${1:-}" in
up) do_up ;;
down)
	do_down
	remove_lab_user "$LAB_USER" || die "user $LAB_USER not removed"
	;;
env) do_env ;;
*) die "usage: $0 up|down|env" 64 ;;
esac
