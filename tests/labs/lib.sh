# Shared by the labs that start their own engines (desktop-lab.sh, swarm-lab.sh,
# rootless-docker.sh, rootless-podman.sh): finding the processes they started by
# the paths on their command lines; what a daemon they start must not inherit.
# Sourced, not run.

# CMDLINE=the command line of pid $1, space-joined.  Bash builtins only, no
# subshell: a fork per process costs seconds on a loaded machine.
cmdline_of() {
	local args=()
	CMDLINE=
	[ -r "/proc/$1/cmdline" ] || return 1
	mapfile -d '' args 2>/dev/null <"/proc/$1/cmdline" || return 1
	CMDLINE="${args[*]}"
}

# host pids whose command line contains STRING (our own lab paths: never a broad name)
pids_with_cmdline() {
	local f pid
	for f in /proc/[0-9]*; do
		pid=${f#/proc/}
		[ "$pid" = $$ ] && continue
		cmdline_of "$pid" || continue
		[[ $CMDLINE == *"$1"* ]] && echo "$pid"
	done
	return 0
}

# The shell text (for `sh -c`, after save=<a scratch dir> and the command in "$@") that gives a
# lab's own dockerd, inside `unshare -m` in the lab's netns: cgroups bound back over a /sys of
# that netns, and fresh /run/containerd and /run/docker, so nothing of the host's engine is seen.
# shellcheck disable=SC2016
LAB_FRESH_ENGINE_MOUNTS='mount --rbind /sys/fs/cgroup "$save" &&
		mount -t sysfs sysfs /sys &&
		mount --rbind "$save" /sys/fs/cgroup &&
		umount -l "$save" &&
		mkdir -p /run/containerd /run/docker &&
		mount -t tmpfs -o mode=0711 tmpfs /run/containerd &&
		mount -t tmpfs -o mode=0711 tmpfs /run/docker &&
		exec "$@"'

# Closes every fd above 2 of this (sub)shell, for a daemon started from it:
# what the caller had open stays the caller's -- above all the lock of
# `flock /tmp/nc-integration.lock CMD`, which an engine that outlives its test
# would hold for every other test on the machine.
close_inherited_fds() {
	local fd
	for fd in /proc/$BASHPID/fd/*; do
		fd=${fd##*/}
		[ "$fd" -gt 2 ] 2>/dev/null && eval "exec $fd>&-" 2>/dev/null
	done
	return 0
}

# Removes a lab's unprivileged user USER, its group and its /etc/subuid and
# /etc/subgid ranges (its processes must be gone: userdel refuses otherwise).
remove_lab_user() {
	local user=$1 f
	if id -u "$user" >/dev/null 2>&1; then
		userdel "$user" || return 1
	fi
	if getent group "$user" >/dev/null; then
		groupdel "$user" || return 1
	fi
	for f in /etc/subuid /etc/subgid; do
		[ -f "$f" ] && grep -q "^$user:" "$f" && sed -i "/^$user:/d" "$f"
	done
	return 0
}
