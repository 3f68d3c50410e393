# Shared by the benchmark scripts (sourced): the Engine API over the local
# socket, and removal of the containers a benchmark labelled.  Needs SOCK,
# API and PY set by the caller.

api() { # METHOD PATH [curl args...]
	local m=$1 p=$2
	shift 2
	curl -s --max-time 20 --unix-socket "$SOCK" -X "$m" "$@" "$API$p"
}

remove_labelled() { # LABEL=VALUE: force-remove every container carrying it
	local filter ids id
	filter=$(printf '{"label":["%s"]}' "$1" | "$PY" -c 'import sys,urllib.parse; print(urllib.parse.quote(sys.stdin.read()))')
	ids=$(api GET "/containers/json?all=1&filters=$filter" |
		"$PY" -c 'import json,sys; [print(c["Id"]) for c in json.load(sys.stdin)]' 2>/dev/null) || return 0
	for id in $ids; do
		api DELETE "/containers/$id?force=1&v=1" >/dev/null || true
	done
}

# One timed netcheck: "$NETCHECK" ARGS... with its output in LOG, bounded to 120 s, its pid
# in $NC_PIDFILE while it runs (cleared after).  WHAT names it in errors.  Sets T0 and T1
# (microseconds, around the run).  Needs NETCHECK, NC_PIDFILE and die().
netcheck_timed() { # LOG WHAT ARGS...
	local log=$1 what=$2 rc=0
	shift 2
	T0=${EPOCHREALTIME//[.,]/}
	# exec keeps the pid, so the pid file names netcheck itself; --foreground
	# lets Ctrl-C reach netcheck, which then removes its container
	timeout --foreground -s INT -k 10 120 \
		sh -c 'echo $$ >"$0"; exec "$@"' "$NC_PIDFILE" "$NETCHECK" "$@" >"$log" 2>&1 || rc=$?
	T1=${EPOCHREALTIME//[.,]/}
	case $rc in
	0) ;;
	# netcheck handled the Ctrl-C (and removed its container) and exited
	# normally, so bash takes the signal as dealt with: stop here ourselves
	130 | 143) exit "$rc" ;;
	124) die "$what did not finish within 120 s" ;;
	*)
		cat "$log" >&2
		die "$what failed (exit $rc)"
		;;
	esac
	: >"$NC_PIDFILE"
}
