#!/usr/bin/env bash
# Runs the libFuzzer targets of fuzz/ (fuzz/README.md). A target is every fuzz/<name>_fuzz.cc;
# its inputs are fuzz/corpus/<name>/ (grown by `explore`) and fuzz/regressions/<name>/ (inputs
# that once failed, kept for good). Findings go to <build dir>/crashes/<name>/.
#
#   fuzz/run.sh targets                           the target names, one a line
#   fuzz/run.sh check BUILD_DIR NAME [SECONDS]    every input once, then SECONDS (default 10) of
#                                                 new exploration; nothing is written to fuzz/
#   fuzz/run.sh explore BUILD_DIR NAME SECONDS    fuzzes SECONDS into fuzz/corpus/NAME, then keeps
#                                                 only the new inputs that add coverage
# Exit status 0 when the target found nothing.
set -u
fuzz_dir=$(cd "$(dirname "$0")" && pwd)

if [ "${1:-}" = targets ]; then
  for source in "$fuzz_dir"/*_fuzz.cc; do basename "$source" _fuzz.cc; done
  exit 0
fi
if [ $# -lt 3 ]; then
  sed -n '2,13p' "$0" >&2
  exit 2
fi
mode=$1 build_dir=$2 name=$3 seconds=${4:-10}

exe="$build_dir/fuzz/${name}_fuzz"
corpus="$fuzz_dir/corpus/$name"
regressions="$fuzz_dir/regressions/$name"
crashes="$build_dir/crashes/$name"
if [ ! -x "$exe" ]; then
  echo "fuzz $name: $exe missing (is $name in fuzz/meson.build's fuzz_targets?)" >&2
  exit 1
fi
mkdir -p "$corpus" "$crashes"
inputs=("$corpus")
[ -d "$regressions" ] && inputs+=("$regressions")
# A slow input is a finding too (a parser must never loop); the per-input budget is generous
# because the machine may be shared.
common=(-timeout=10 -artifact_prefix="$crashes/" -print_final_stats=1)

case $mode in
  check)
    scratch=$(mktemp -d)
    log="$scratch/log"
    # The first directory receives what the exploration finds: a scratch one, so the checked-in
    # corpus stays as it is.
    mkdir "$scratch/new"
    "$exe" "$scratch/new" "${inputs[@]}" -max_total_time="$seconds" "${common[@]}" >"$log" 2>&1
    rc=$?
    seed=$(sed -nE 's/^INFO: Seed: ([0-9]+).*/\1/p' "$log" | head -n 1)
    runs=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+).*/\1/p' "$log" | tail -n 1)
    found=$(find "$scratch/new" -type f | wc -l)
    if [ $rc -eq 0 ]; then
      echo "fuzz $name: ok (seed ${seed:-?}, ${runs:-?} runs, $found new inputs not kept)"
    else
      tail -n 60 "$log"
      echo "fuzz $name: FAILED (exit $rc, seed ${seed:-?}); the input is in $crashes/"
    fi
    rm -rf "$scratch"
    exit $rc
    ;;
  explore)
    "$exe" "${inputs[@]}" -max_total_time="$seconds" "${common[@]}"
    rc=$?
    # Minimise: the named seeds stay; of the inputs libFuzzer added (named by their SHA-1), only
    # those that reach an edge the seeds and the others kept do not are kept. Edges, not hit
    # counts (-use_counters=0): counting them keeps several times the inputs for little gain.
    keep=$(mktemp -d) grown=$(mktemp -d)
    for input in "$corpus"/*; do
      [ -f "$input" ] || continue
      if [[ $(basename "$input") =~ ^[0-9a-f]{40}$ ]]; then
        mv "$input" "$grown/"
      else
        cp "$input" "$keep/"
      fi
    done
    before=$(find "$grown" -type f | wc -l)
    if ! "$exe" -merge=1 -use_counters=0 "$keep" "$grown" "${common[@]}" >"$crashes/merge.log" 2>&1
    then
      echo "fuzz $name: merge failed, see $crashes/merge.log; the found inputs stay unminimised" >&2
      cp "$grown"/* "$corpus/" 2>/dev/null
      rc=1
    fi
    for input in "$keep"/*; do
      [[ $(basename "$input") =~ ^[0-9a-f]{40}$ ]] && cp "$input" "$corpus/"
    done
    after=$(find "$corpus" -type f -regextype egrep -regex '.*/[0-9a-f]{40}' | wc -l)
    echo "fuzz $name: $before found inputs minimised to $after in fuzz/corpus/$name"
    rm -rf "$keep" "$grown"
    exit $rc
    ;;
  *)
    echo "fuzz/run.sh: unknown mode $mode" >&2
    exit 2
    ;;
esac
