# Drives the bash completion as bash does, for tests/completion-bash.sh and
# tests/cli-drift.py: source the completion, then `complete_words WORDS...`
# (the last word is the one being completed) leaves the answer in COMPREPLY.
complete_words() {
	COMP_WORDS=(netcheck "$@")
	COMP_CWORD=$#
	COMP_LINE="netcheck $*"
	COMP_POINT=${#COMP_LINE}
	COMPREPLY=()
	_netcheck netcheck "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
}
