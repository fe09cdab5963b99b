#!/usr/bin/env bash
# Builds the libFuzzer target over body classification with clang (in build/fuzz) and
# runs it for SECONDS (default 60) on a copy of the seed corpus tests/fuzz/corpus/, so
# that what the fuzzer adds never lands in the repository.
#
#   scripts/fuzz.sh [SECONDS]
#
# Exits non-zero when the fuzzer finds a crash, a hang, a memory blow-up or a broken
# invariant; the input that did it is kept under build/fuzz/artifacts/ and its path is
# printed. Extra libFuzzer flags go in AMSTREAM_FUZZ_FLAGS (e.g. "-jobs=2 -workers=2").
# Needs clang and libclang-rt-14-dev (scripts/install-deps.sh).
set -euo pipefail

cd "$(dirname "$0")/.."
seconds=${1:-60}
if [[ ! $seconds =~ ^[0-9]+$ ]]; then
  echo "fuzz.sh: SECONDS must be a whole number, not '$seconds'" >&2
  exit 2
fi
build=build/fuzz
fuzzer=$build/amstream_classify_fuzz
artifacts=$PWD/$build/artifacts

echo "fuzz.sh: configure ($build, clang)"
CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DAMSTREAM_FUZZ=ON -DAMSTREAM_TESTS=OFF >/dev/null
echo "fuzz.sh: build"
set +e
nice cmake --build "$build" --target amstream_classify_fuzz -j 2 2>&1 | grep -vE '^\[[0-9]+/[0-9]+\] '
status=${PIPESTATUS[0]}
set -e
if [[ $status -ne 0 ]]; then
  echo "fuzz.sh: FAILED: build" >&2
  exit "$status"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/amstream-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
cp -R tests/fuzz/corpus "$work/corpus"
mkdir -p "$artifacts"

echo "fuzz.sh: run for ${seconds}s on a copy of tests/fuzz/corpus"
# Lines about each new input and the recommended dictionary are dropped; progress,
# findings and final stats stay.
set +e
# shellcheck disable=SC2086 # AMSTREAM_FUZZ_FLAGS is a list of flags
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 nice "$fuzzer" "$work/corpus" \
  -dict=tests/fuzz/classify.dict -max_total_time="$seconds" -max_len=1200000 \
  -rss_limit_mb=2048 -timeout=30 -artifact_prefix="$artifacts/" -print_final_stats=1 \
  ${AMSTREAM_FUZZ_FLAGS:-} 2>&1 | tee "$work/log" |
  awk '/^###### Recommended dictionary/ { skip = 1 }
       !skip && !/^#[0-9]+[[:space:]]+(NEW|REDUCE) / && !/^[[:space:]]+NEW_FUNC/ { print }
       /^###### End of recommended dictionary/ { skip = 0 }'
status=${PIPESTATUS[0]}
set -e

if [[ $status -ne 0 ]]; then
  found=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$work/log" | tail -n 1)
  echo "fuzz.sh: FAILED: the fuzzer stopped with status $status" >&2
  if [[ -n $found ]]; then
    echo "fuzz.sh: crashing input: $found" >&2
    echo "fuzz.sh: reproduce with: $fuzzer $found" >&2
  fi
  exit "$status"
fi
echo "fuzz.sh: no crash in ${seconds}s"
