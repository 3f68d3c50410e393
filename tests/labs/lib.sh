# Shared by the labs that start their own engines (desktop-lab.sh, swarm-lab.sh):
# finding the processes they started by the paths on their command lines.
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
