#!/usr/bin/env bash
# Runs every unit suite tests/meson.build registers, in a release build and in an ASan+UBSan
# build, sums the doctest test-case counts, and ends with one line `N passed, N failed`. Exit status 1 on any failure.
# With a third argument, a clang build with -Dfuzz=true, each fuzz target runs too (one test
# each, RINGSTAT_FUZZ_SECONDS of exploration after its corpus; fuzz/README.md).
set -u
release_dir=$1
asan_dir=$2
fuzz_dir=${3:-}
passed=0
failed=0
status=0

run_script_suite() {  # label, command...: the command prints the doctest-style summary line itself
  local label=$1
  shift
  local log
  log=$(mktemp)
  echo "== $label"
  "$@" >"$log" 2>&1
  local rc=$?
  local summary
  summary=$(grep -E '^\[doctest\] test cases:' "$log" | tail -n 1)
  if [ $rc -ne 0 ] || [ -z "$summary" ]; then cat "$log"; status=1; else echo "$summary"; fi
  local p f
  p=$(echo "$summary" | sed -nE 's/.*\| *([0-9]+) passed.*/\1/p')
  f=$(echo "$summary" | sed -nE 's/.*\| *([0-9]+) failed.*/\1/p')
  if [ -z "$p" ]; then p=0; f=1; fi
  passed=$((passed + p))
  failed=$((failed + f))
  rm -f "$log"
}

run_fuzz_suite() {  # fuzz build dir: every target of fuzz/ is one test
  local build=$1 name
  echo "== fuzz (libFuzzer, asan+ubsan)"
  for name in $(fuzz/run.sh targets); do
    if fuzz/run.sh check "$build" "$name" "${RINGSTAT_FUZZ_SECONDS:-10}"; then
      passed=$((passed + 1))
    else
      failed=$((failed + 1))
    fi
  done
}

run_suite() {  # label, executable, extra doctest args...
  local label=$1 exe=$2
  shift 2
  local log
  log=$(mktemp)
  echo "== $label"
  "$exe" --no-intro=true "$@" >"$log" 2>&1
  local rc=$?
  local summary
  summary=$(grep -E '^\[doctest\] test cases:' "$log" | tail -n 1)
  if [ $rc -ne 0 ] || [ -z "$summary" ]; then
    cat "$log"
    status=1
  else
    echo "$summary"
  fi
  local p f
  p=$(echo "$summary" | sed -nE 's/.*\| *([0-9]+) passed.*/\1/p')
  f=$(echo "$summary" | sed -nE 's/.*\| *([0-9]+) failed.*/\1/p')
  if [ -z "$p" ]; then p=0; f=1; fi  # crashed before the summary: count the suite as failed
  passed=$((passed + p))
  failed=$((failed + f))
  rm -f "$log"
}

# The unit suites, as tests/meson.build registers them (suite "unit"): name and executable.
unit_suites() {  # build dir
  meson introspect "$1" --tests | python3 -c '
import json, sys
for test in json.load(sys.stdin):
    if "unit" in test["suite"] or any(s.endswith(":unit") for s in test["suite"]):
        print(test["name"], test["cmd"][0])'
}

for build in "$release_dir" "$asan_dir"; do
  flavour=release
  [ "$build" = "$asan_dir" ] && flavour="asan+ubsan"
  while read -r name exe; do
    if [ "$name" = simulation ] && [ "$flavour" != release ]; then
      # Under sanitizers the simulation runs fewer cycles; the release run is the one that must
      # reach 1000 crash/recovery cycles.
      RINGSTAT_SIM_CYCLES=200 run_suite "$name ($flavour)" "$exe"
    else
      run_suite "$name ($flavour)" "$exe"
    fi
  done < <(unit_suites "$build")
done

# Rules of the code base: every numbered invariant cited, every file formatted.
run_script_suite "invariants cited" python3 tests/check_invariants.py
run_script_suite "clang-format" bash tests/check_format.sh

if [ -n "$fuzz_dir" ]; then run_fuzz_suite "$fuzz_dir"; fi

# Wire tests: the real daemon on loopback (tests/wire), against the release binary.
RINGSTAT_BINARY="$release_dir/cmd/ringstat" run_script_suite "wire (release binary)" \
  python3 tests/wire/run.py

[ $failed -ne 0 ] && status=1
echo "$passed passed, $failed failed"
exit $status
