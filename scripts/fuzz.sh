#!/usr/bin/env bash
# Fuzzes the core's entry points (tests/fuzz/fuzz_api.cpp) with libFuzzer under AddressSanitizer +
# UndefinedBehaviorSanitizer, starting from the committed seed corpus.
#
#   scripts/fuzz.sh [SECONDS]     default 600 (npm run fuzz), or ATTNLAB_FUZZ_SECONDS
#                                 npm test runs it for 60 s as one layer
#   npm run fuzz -- 3600          an hour
#
# Builds build/fuzz (clang, ATTNLAB_FUZZ=ON, ATTNLAB_SANITIZE=ON) incrementally. The committed
# corpus (tests/fuzz/corpus) is only read: new inputs go to build/fuzz/corpus, which later runs
# start from too. A crash, a sanitizer report or a non-finite result stops the run; its input is
# saved under build/fuzz/artifacts/ with the command that replays it. Minimise a crash with
#   build/fuzz/attnlab_fuzz -minimize_crash=1 -runs=20000 build/fuzz/artifacts/crash-...
# and commit the result to tests/fuzz/corpus/ once the bug is fixed.
# The last line is the figures: executions, seconds, corpus size and coverage.
set -uo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-${ATTNLAB_FUZZ_SECONDS:-600}}
if ! [[ $seconds =~ ^[0-9]+$ ]] || [ "$seconds" -lt 1 ]; then
  echo "fuzz: expected a whole number of seconds, got '$seconds'" >&2
  exit 2
fi

dir=build/fuzz
if [ ! -f "$dir/CMakeCache.txt" ]; then
  mkdir -p build
  if ! CC=clang CXX=clang++ cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DATTNLAB_FUZZ=ON \
    -DATTNLAB_SANITIZE=ON -DATTNLAB_TESTS=OFF >build/configure-fuzz.log 2>&1; then
    cat build/configure-fuzz.log >&2
    echo "fuzz: configuring $dir failed" >&2
    exit 1
  fi
fi
cmake --build "$dir" --target attnlab_fuzz -j2 || {
  echo "fuzz: build failed" >&2
  exit 1
}

mkdir -p "$dir/corpus" "$dir/artifacts"
log=$dir/fuzz.log
echo "fuzz: $seconds s from tests/fuzz/corpus ($(ls tests/fuzz/corpus | wc -l) seeds) and $dir/corpus ($(ls "$dir/corpus" | wc -l) inputs)"
# halt_on_error: the first report ends the run; -timeout: one input may not take 10 s (a hang is a bug).
ASAN_OPTIONS=${ASAN_OPTIONS:-halt_on_error=1:detect_leaks=1} \
  UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
  "$dir/attnlab_fuzz" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
  -artifact_prefix="$dir/artifacts/" "$dir/corpus" tests/fuzz/corpus >"$log" 2>&1
rc=$?

execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+' "$log" | tail -1)
if [ "$rc" -ne 0 ]; then
  grep -E 'fuzz_api:|  case:|ERROR:|runtime error|SUMMARY|Test unit written|==[0-9]+==' "$log" | head -20 >&2
  artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
  [ -n "$artifact" ] && echo "fuzz: replay with: $dir/attnlab_fuzz $artifact" >&2
  echo "fuzz: FAILED after ${execs:-?} executions (exit $rc); log $log"
  exit 1
fi
echo "fuzz: ${execs:-0} executions in $seconds s, no crash, no sanitizer report, no non-finite result ($cov)"
