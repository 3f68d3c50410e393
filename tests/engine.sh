#!/bin/bash
# The Docker engine the tests use: started when no engine answers (there
# may be no systemd), coping with a stale pid file or socket left by a
# killed daemon.
#   bash tests/engine.sh start     start it unless it answers
#   bash tests/engine.sh restart   stop it (bounded) and start it again
set -euo pipefail

log() { printf 'engine: %s\n' "$*" >&2; }

SOCK=/var/run/docker.sock
PIDFILE=/var/run/docker.pid
DOCKERD_LOG=/var/log/netcheck-dockerd.log

engine_answers() {
	curl -sf --max-time 3 --unix-socket "$SOCK" http://localhost/_ping >/dev/null 2>&1
}

wait_engine() {
	local i
	for i in $(seq 1 120); do
		engine_answers && return 0
		sleep 0.5
	done
	return 1
}

start_engine() {
	engine_answers && return 0
	if command -v systemctl >/dev/null 2>&1 && systemctl is-system-running >/dev/null 2>&1; then
		log "starting docker with systemd"
		systemctl start docker && wait_engine && return 0
	fi
	if [ -f "$PIDFILE" ]; then
		local pid
		pid=$(cat "$PIDFILE" 2>/dev/null || true)
		if [ -n "$pid" ] && [ -r "/proc/$pid/comm" ] && grep -q dockerd "/proc/$pid/comm"; then
			log "dockerd $pid is running but not answering yet; waiting"
			wait_engine && return 0
			log "dockerd $pid does not answer; stopping it"
			kill "$pid" 2>/dev/null || true
			sleep 2
			kill -9 "$pid" 2>/dev/null || true
		fi
		log "removing stale $PIDFILE"
		rm -f "$PIDFILE"
	fi
	# a socket with no daemon behind it, and containerd's leftovers
	rm -f "$SOCK"
	rm -f /var/run/docker/containerd/containerd.pid
	log "starting dockerd in the background (log: $DOCKERD_LOG)"
	setsid dockerd >"$DOCKERD_LOG" 2>&1 </dev/null &
	if ! wait_engine; then
		log "dockerd did not answer within 60 s; last lines of $DOCKERD_LOG:"
		tail -n 20 "$DOCKERD_LOG" >&2 || true
		exit 69
	fi
}

stop_engine() {
	local pid i
	pid=$(cat "$PIDFILE" 2>/dev/null || true)
	[ -n "$pid" ] && [ -r "/proc/$pid/comm" ] && grep -q dockerd "/proc/$pid/comm" || return 0
	kill "$pid" 2>/dev/null || true
	for i in $(seq 1 100); do
		[ -e "/proc/$pid" ] || return 0
		sleep 0.2
	done
	log "dockerd $pid did not stop in 20 s; killing it"
	kill -9 "$pid" 2>/dev/null || true
	sleep 1
}

case "${1:-start}" in
start) start_engine ;;
restart)
	stop_engine
	start_engine
	;;
*)
	log "usage: $0 start|restart"
	exit 64
	;;
esac
