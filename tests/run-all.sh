#!/bin/bash
# Every test suite, in the order that fails fastest: unit, the C unit tests
# under valgrind memcheck and under ASan+UBSan, then integration against
# the real engine.  Called by tests/setup.sh test (and so by .ci/run).
# In CI (CI=true) a skipped test is a failure: a suite that did not run is
# not green.
set -euo pipefail
cd "$(dirname "$0")/.."

status=0
check_skips() { # OUTPUT_FILE
	if [ "${CI:-}" = "true" ] && grep -qE '^Skipped: +[1-9]' "$1"; then
		echo "run-all: tests were skipped in CI; that is a failure" >&2
		status=1
	fi
}

step() { printf '\n== %s\n' "$*"; }

step "unit tests"
meson test -C build --suite unit --print-errorlogs --num-processes 2 | tee build/test-unit.out || status=1
check_skips build/test-unit.out

step "C unit tests under valgrind memcheck"
meson test -C build --setup valgrind --suite unit-c --print-errorlogs --num-processes 2 || status=1

step "C unit tests under ASan+UBSan"
if [ ! -d build-asan ]; then
	meson setup build-asan -Db_sanitize=address,undefined -Db_lundef=false >/dev/null
fi
ninja -C build-asan >/dev/null
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	meson test -C build-asan --suite unit-c --print-errorlogs --num-processes 2 || status=1

step "fuzz targets: build and a 10 s smoke run each (tests/fuzz/run-fuzz.sh 60 for the real run)"
bash tests/fuzz/run-fuzz.sh 10 || status=1

step "integration tests (real engine)"
meson test -C build --suite integration --print-errorlogs --num-processes 1 | tee build/test-integration.out || status=1
check_skips build/test-integration.out
exit $status
