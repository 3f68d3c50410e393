#!/bin/bash
# Every test suite, in the order that fails fastest: unit, then integration
# against the real engine.  Called by tests/setup.sh test (and so by .ci/run).
# In CI (CI=true) a skipped test is a failure: a suite that did not run is
# not green.
set -euo pipefail
cd "$(dirname "$0")/.."

status=0
for suite in unit integration; do
	procs=2
	[ "$suite" = integration ] && procs=1
	meson test -C build --suite "$suite" --print-errorlogs --num-processes "$procs" | tee "build/test-$suite.out" || status=1
	if [ "${CI:-}" = "true" ] && grep -qE '^Skipped: +[1-9]' "build/test-$suite.out"; then
		echo "run-all: tests were skipped in CI; that is a failure" >&2
		status=1
	fi
done
exit $status
