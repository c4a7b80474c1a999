#!/usr/bin/env bash
# Every C++ file git tracks is formatted as .clang-format says, with the pinned clang-format
# (Debian 12's clang-format-14; `make format` applies it). One test per file; prints a
# doctest-style summary line for tests/run_tests.sh.
set -u
cd "$(dirname "$0")/.."
formatter=clang-format-14
if ! command -v "$formatter" >/dev/null; then
  echo "$formatter is not installed (make deps installs it)"
  echo "[doctest] test cases: 1 | 0 passed | 1 failed"
  exit 1
fi
total=0
failed=0
while IFS= read -r file; do
  total=$((total + 1))
  if ! "$formatter" --dry-run --Werror "$file" >/dev/null 2>&1; then
    echo "not formatted: $file (make format)"
    failed=$((failed + 1))
  fi
done < <(git ls-files '*.h' '*.cc')
echo "[doctest] test cases: $total | $((total - failed)) passed | $failed failed"
[ "$failed" -eq 0 ]
