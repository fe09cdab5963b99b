#!/usr/bin/env bash
# Fails when a C++ file under src/ or tests/ differs from what clang-format makes of it
# (the repository's .clang-format, Debian 12's clang-format). Fix with:
#   clang-format -i $(git ls-files 'src/*.cc' 'src/*.h' 'tests/*.cc' 'tests/*.h')
set -euo pipefail

cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files --cached --others --exclude-standard -- \
  'src/*.cc' 'src/*.h' 'tests/*.cc' 'tests/*.h')
if [[ ${#files[@]} -eq 0 ]]; then
  echo "check-format: no files found" >&2
  exit 1
fi
existing=()
for file in "${files[@]}"; do
  [[ -f $file ]] && existing+=("$file")
done
if ! clang-format --dry-run -Werror "${existing[@]}"; then
  echo "check-format: FAILED: run clang-format -i on the files above" >&2
  exit 1
fi
echo "check-format: ${#existing[@]} files clean"
