#!/usr/bin/env bash
# Builds amstream and the benchmark driver (Release, with debug symbols for profilers) in
# build/bench and runs it: it starts its own PostgreSQL and fauxqs on 127.0.0.1 and prints
# one table. Progress goes to stderr, the table to stdout.
#
#   bash bench/run.sh [--quick] [driver options...]
#
# --quick is a smoke check of about a minute; without it the run takes about ten minutes.
# Other options are passed to the driver (build/bench/bench/amstream_bench --help lists
# them). Set AMSTREAM_BENCH_WRAPPER="perf record -g -o /tmp/amstream.perf" to run every
# `amstream run` under a profiler. Dependencies come from scripts/install-deps.sh.
set -euo pipefail

cd "$(dirname "$0")/.."
build=build/bench

echo "bench: configure and build ($build)" >&2
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS=-g \
  -DAMSTREAM_BENCH=ON -DAMSTREAM_TESTS=OFF >/dev/null
# Ninja's progress lines are dropped; warnings and errors stay.
set +e
nice cmake --build "$build" -j2 2>&1 | grep -vE '^\[[0-9]+/[0-9]+\] ' >&2
status=${PIPESTATUS[0]}
set -e
if [[ $status -ne 0 ]]; then
  echo "bench: FAILED: build" >&2
  exit "$status"
fi

export AWS_EC2_METADATA_DISABLED=true
exec "$build/bench/amstream_bench" "$@"
