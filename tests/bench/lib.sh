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
