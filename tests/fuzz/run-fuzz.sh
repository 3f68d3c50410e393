#!/bin/sh
# Runs every libFuzzer target for SECONDS (default 60), one after another.
#   tests/fuzz/run-fuzz.sh [SECONDS [TARGET...]]     e.g. run-fuzz.sh 600 packet cli
# Builds build-fuzz (clang, -Dfuzz=true) when it does not exist yet, then
# brings it up to date.  Each target starts from a copy of its seed corpus
# in a temporary directory, so the repository is never modified; crash
# inputs go to <tmp>/artifacts/<target>/, which is kept (and printed) when
# anything is found.  Exit: 0 nothing found, 1 a finding, 2 no build.
set -u

seconds=${1:-60}
[ $# -gt 0 ] && shift
case $seconds in '' | *[!0-9]*) echo "usage: $0 [SECONDS [TARGET...]]" >&2; exit 2 ;; esac
src=$(cd "$(dirname "$0")/../.." && pwd)
build=${NC_FUZZ_BUILD:-$src/build-fuzz}
all_targets="engine-parse responder-request responder-connect responder-dns probe-answer packet pcapng-roundtrip context cli witness"
targets=${*:-$all_targets}

if [ ! -f "$build/build.ninja" ]; then
	CC=clang meson setup "$build" "$src" -Dfuzz=true -Dtests=false -Db_sanitize=none >/dev/null || exit 2
fi
ninja -C "$build" >/dev/null || { echo "run-fuzz: build failed (ninja -C $build)" >&2; exit 2; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/nc-fuzz.XXXXXX") || exit 2
found=0
trap 'if [ $found -eq 0 ]; then rm -rf "$tmp"; fi' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

printf '%-18s %12s %9s %6s %7s  %s\n' target execs execs/s cov corpus result
for t in $targets; do
	exe=$build/tests/fuzz/fuzz-$t
	[ -x "$exe" ] || { echo "run-fuzz: no target $t" >&2; exit 2; }
	mkdir -p "$tmp/corpus/$t" "$tmp/artifacts/$t" "$tmp/tmp/$t"
	cp "$src/tests/fuzz/corpus/$t/"* "$tmp/corpus/$t/" 2>/dev/null
	# -close_fd_mask=3: the targets' own output (usage text) is dropped;
	# libFuzzer and the sanitizers still report on a copy of stderr.
	# timeout: a backstop in case the fuzzer itself does not stop.
	TMPDIR=$tmp/tmp/$t timeout -k 10 $((seconds + 60)) "$exe" \
		-max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 \
		-artifact_prefix="$tmp/artifacts/$t/" -print_final_stats=1 -close_fd_mask=3 \
		"$tmp/corpus/$t" >"$tmp/$t.log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$tmp/$t.log")
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$tmp/$t.log")
	last=$(grep -E '^#[0-9]+' "$tmp/$t.log" | tail -n 1)
	cov=$(printf '%s\n' "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
	corp=$(printf '%s\n' "$last" | sed -n 's/.* corp: \([0-9]*\)\/.*/\1/p')
	artifacts=$(ls "$tmp/artifacts/$t")
	if [ $rc -eq 0 ] && [ -z "$artifacts" ]; then
		result=ok
	else
		result="FINDING (exit $rc)"
		found=1
	fi
	printf '%-18s %12s %9s %6s %7s  %s\n' "$t" "${execs:-?}" "${rate:-?}" "${cov:-?}" "${corp:-?}" "$result"
	if [ "$result" != ok ]; then
		grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error)' "$tmp/$t.log" | head -n 5 | sed 's/^/    /'
		for a in $artifacts; do
			echo "    input: $tmp/artifacts/$t/$a"
			echo "    reproduce: $exe $tmp/artifacts/$t/$a"
		done
		echo "    log: $tmp/$t.log"
	fi
	rm -rf "$tmp/tmp/$t"
done
if [ $found -ne 0 ]; then
	echo "run-fuzz: findings kept in $tmp"
	exit 1
fi
exit 0
