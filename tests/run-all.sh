#!/bin/bash
# Every test suite, in the order that fails fastest: unit, then integration
# against the real engine.  Called by tests/setup.sh test (and so by .ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."

meson test -C build --suite unit --print-errorlogs --num-processes 2
meson test -C build --suite integration --print-errorlogs --num-processes 1
