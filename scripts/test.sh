#!/usr/bin/env bash
# Builds amstream and runs every test: the unit tests in parallel, then the integration
# tests (one ctest test, run alone, starting its own PostgreSQL and fauxqs on 127.0.0.1).
#
#   scripts/test.sh [PRESET] [extra ctest arguments...]
#
# PRESET is a CMakePresets.json preset with tests: dev (the default: Debug, ASan + UBSan)
# or ci (the same). Examples: `scripts/test.sh dev -L unit`, `scripts/test.sh dev -R integration`.
# Dependencies come from scripts/install-deps.sh.
set -euo pipefail

cd "$(dirname "$0")/.."
preset=${1:-dev}
shift || true

echo "test.sh: configure (preset $preset)"
cmake --preset "$preset" >/dev/null
echo "test.sh: build"
# Ninja's progress lines are dropped; warnings and errors stay.
set +e
cmake --build --preset "$preset" 2>&1 | grep -vE '^\[[0-9]+/[0-9]+\] '
status=${PIPESTATUS[0]}
set -e
if [[ $status -ne 0 ]]; then
  echo "test.sh: FAILED: build (preset $preset)" >&2
  exit "$status"
fi
echo "test.sh: test"
ctest --preset "$preset" "$@"
