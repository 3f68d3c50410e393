# bash completion for netcheck(1): commands, each command's options, the
# values of the options that take a fixed set, and container names from the
# engine (through the docker CLI when it is installed) for probe and capture.
# Self-contained: it needs none of bash-completion's helpers, so it can be
# sourced and tested alone.  The option lists are held against netcheck's
# one option table by tests/cli-drift.py: a new option goes there first.

_netcheck_docker() { # WHAT: ps | network | context | project
	command -v docker >/dev/null 2>&1 || return 0
	case $1 in
	ps) docker ps --format '{{.Names}}' 2>/dev/null ;;
	network) docker network ls --format '{{.Name}}' 2>/dev/null ;;
	context) docker context ls --format '{{.Name}}' 2>/dev/null ;;
	project) docker ps --format '{{.Label "com.docker.compose.project"}}' 2>/dev/null | sort -u ;;
	esac
}

_netcheck() {
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]:-} cword=$COMP_CWORD
	local commands='run probe capture watch gc engines help version paths explain'
	local help_opts='-h --help -V --version'
	# before or after the command
	local global_opts="-H --host --engine --context --engine-timeout -v --verbose --color --no-color $help_opts"
	local report_opts='--http --json --junit --html --pcap --pcap-format --capture-via --no-capture --require-capture
		--expect --expect-file --paths --skip --timeout --allow-offhost'
	# options whose value is the next word; --http and --color take theirs after '='
	local takes_value=' -H --host --engine --context --engine-timeout --image --port --project --to --host-port --network
		--json --junit --html --pcap --pcap-format --capture-via --expect --expect-file --paths --skip --timeout --start-timeout -w --write
		--duration -c --count -s --snaplen --container --interval --listen --metrics-file'
	takes_value=" $(printf '%s ' $takes_value)" # one space around each, whatever the line breaks

	# bash splits --color=al into '--color' '=' 'al' (COMP_WORDBREAKS)
	if [ "$cur" = "=" ]; then
		cur='' prev=${COMP_WORDS[cword - 1]}
	elif [ "$prev" = "=" ] && [ "$cword" -ge 2 ]; then
		prev=${COMP_WORDS[cword - 2]}
	elif [[ $cur == --*=* ]]; then
		prev=${cur%%=*} cur=${cur#*=}
	fi

	COMPREPLY=()
	case $prev in
	--color) COMPREPLY=($(compgen -W 'auto always never' -- "$cur")); return 0 ;;
	--pcap-format) COMPREPLY=($(compgen -W 'pcapng pcap' -- "$cur")); return 0 ;;
	--capture-via) COMPREPLY=($(compgen -W 'auto host engine' -- "$cur")); return 0 ;;
	--context) COMPREPLY=($(compgen -W "$(_netcheck_docker context)" -- "$cur")); return 0 ;;
	--network) COMPREPLY=($(compgen -W "$(_netcheck_docker network)" -- "$cur")); return 0 ;;
	--project) COMPREPLY=($(compgen -W "$(_netcheck_docker project)" -- "$cur")); return 0 ;;
	--to) COMPREPLY=($(compgen -W "$(_netcheck_docker ps)" -- "$cur")); return 0 ;;
	--paths | --skip) COMPREPLY=($(compgen -W "$(netcheck paths 2>/dev/null | cut -d' ' -f1)" -- "$cur")); return 0 ;;
	--json | --junit | --html | --pcap | -w | --write | --expect-file)
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -f -- "$cur"))
		return 0
		;;
	-H | --host | --engine)
		COMPREPLY=($(compgen -W 'unix:// tcp://' -- "$cur"))
		compopt -o nospace 2>/dev/null
		return 0
		;;
	--http) return 0 ;; # a path on the container's server: nothing to offer
	esac
	[[ $takes_value == *" $prev "* ]] && return 0

	# the command (first word that is not an option), and whether a
	# container has already been named after it
	local command='' has_arg=0 i w
	for ((i = 1; i < cword; i++)); do
		w=${COMP_WORDS[i]}
		[[ $w == -* || $w == = ]] && continue
		[[ ${COMP_WORDS[i - 1]} == = ]] && continue # the value in --opt=value
		[[ $takes_value == *" ${COMP_WORDS[i - 1]} "* ]] && continue
		if [ -z "$command" ]; then
			command=$w
		else
			has_arg=1
		fi
	done

	local opts
	case $command in
	'') opts=$global_opts ;; # only global options go before the command
	run) opts="$global_opts $report_opts --image --port --host-port --network --peer --keep
		--start-timeout --swarm" ;;
	probe) opts="$global_opts $report_opts --port --project --to" ;;
	capture) opts="$global_opts -w --write --overwrite --duration --port -c --count -s --snaplen" ;;
	watch) opts="$global_opts --image --port --host-port --network --http --json --capture-via --no-capture
		--require-capture --expect --expect-file --paths --skip --timeout --start-timeout --allow-offhost
		--container --project --interval --count --listen --metrics-file" ;;
	gc) opts="$global_opts --kept" ;;
	engines) opts=$global_opts ;;
	help | version | explain) opts=$help_opts ;;
	paths) opts="$help_opts --json" ;;
	*) return 0 ;;
	esac

	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$opts" -- "$cur"))
		# --color takes its value after '=': let the user type the value next
		if [ "${COMPREPLY[*]}" = --color ]; then
			COMPREPLY=(--color=)
			compopt -o nospace 2>/dev/null
		fi
		return 0
	fi
	case $command in
	'') COMPREPLY=($(compgen -W "$commands" -- "$cur")) ;;
	help) [ "$has_arg" = 0 ] && COMPREPLY=($(compgen -W "$commands" -- "$cur")) ;;
	explain) # the codes, from netcheck itself
		[ "$has_arg" = 0 ] && COMPREPLY=($(compgen -W "$("${COMP_WORDS[0]}" explain 2>/dev/null | cut -d' ' -f1)" -- "$cur")) ;;
	probe | capture) [ "$has_arg" = 0 ] && COMPREPLY=($(compgen -W "$(_netcheck_docker ps)" -- "$cur")) ;;
	esac
	return 0
}
complete -F _netcheck netcheck
