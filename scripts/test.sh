#!/usr/bin/env bash
# npm test: install what is missing, build what changed, then run every test layer:
#   1. Catch2 natively (ctest, build/native)
#   2. the same Catch2 sources compiled with em++ -msimd128, run under Node (ctest, build/wasm-simd)
#   3. JS tests on the built package, imported as `attnlab` (node --test tests/js/)
#   4. browser tests in headless Chromium on dist/pkg and dist/site (node --test tests/browser/)
#   5. the packed tarball installed into empty folders and used from Node, a plain page, a Vite app
#      and under a strict CSP; widget docs and types checked (node --test tests/package/)
#   6. the native Catch2 suite under AddressSanitizer + UndefinedBehaviorSanitizer (build/asan)
#   7. libFuzzer on the core's entry points for 60 s from tests/fuzz/corpus (scripts/fuzz.sh;
#      npm run fuzz runs it longer)
# Each layer prints its own counts; the last line is the sum: "N passed, N failed".
# A build that fails counts as one failure and its layers as not run.
set -uo pipefail
cd "$(dirname "$0")/.."

logs=build/test-logs
total_pass=0
total_fail=0
summary=()

count() {  # LABEL PASSED FAILED [DETAIL]
  total_pass=$((total_pass + $2))
  total_fail=$((total_fail + $3))
  local line
  line=$(printf '%-30s %5d passed, %d failed%s' "$1" "$2" "$3" "${4:+  ($4)}")
  summary+=("$line")
  echo "== $line"
}

step() {  # LABEL COMMAND...: runs a build step; a failure counts once
  local label=$1
  shift
  echo "== $label"
  if "$@"; then return 0; fi
  count "$label" 0 1 "failed"
  return 1
}

# Catch2's compact reporter ends with one totals line; the test-case total for a failed run comes
# from listing the suite (a run that crashed before its totals counts every test case as failed).
catch2_layer() {  # LABEL BUILD_DIR LISTER...
  local label=$1 dir=$2
  shift 2
  local log=$logs/$(basename "$dir").log
  echo "== $label"
  ctest --test-dir "$dir" --output-on-failure -V >"$log" 2>&1
  local rc=$?
  sed -n 's/^[0-9]*: //p' "$log" | grep -v '^Test command:\|^Working Directory:\|^Environment variables:\|^ *ATTNLAB_\|^ *NODE_PATH' || true
  local total pass=0 fail=0 asserts='' line
  total=$("$@" --list-test-names-only 2>/dev/null | grep -c . || true)
  line=$(grep -oE '(Passed|Failed) .*(assertions?|\(no assertions\))\.' "$log" | tail -1)
  if [[ $line =~ ^Passed\ (all\ |both\ )?([0-9]+)\ test\ cases?\ with\ ([0-9]+)\ assertions? ]]; then
    pass=${BASH_REMATCH[2]}
    asserts="${BASH_REMATCH[3]} assertions"
  elif [[ $line =~ ^Passed\ (all\ |both\ )?([0-9]+)\ test\ cases? ]]; then
    pass=${BASH_REMATCH[2]}
  elif [[ $line =~ ^Failed\ (all\ |both\ )?([0-9]+)\ test\ cases?,\ failed\ (all\ |both\ )?([0-9]+)\ assertions? ]]; then
    fail=${BASH_REMATCH[2]}
    pass=$((total > fail ? total - fail : 0))
    asserts="${BASH_REMATCH[4]} failed assertions"
  else
    fail=$((total > 0 ? total : 1))
    asserts="no Catch2 totals: crashed or did not run; log $log"
  fi
  if [ "$rc" -ne 0 ] && [ "$fail" -eq 0 ]; then
    fail=1
    asserts="ctest exit $rc; log $log"
  fi
  count "$label" "$pass" "$fail" "$asserts"
}

# A Catch2 binary run directly on a tag (for the extra builds that only need part of the suite).
catch2_tagged() {  # LABEL BINARY TAGS
  local label=$1 bin=$2 tags=$3
  local log=$logs/$(printf '%s' "$label" | tr -c 'a-zA-Z0-9' '-').log
  echo "== $label"
  "$bin" --reporter compact "$tags" >"$log" 2>&1
  local rc=$? line pass=0 fail=0 detail=''
  grep -E 'FAILED|failed' "$log" | head -20 || true
  line=$(grep -oE '(Passed|Failed) .*assertions?\.' "$log" | tail -1)
  if [[ $line =~ ^Passed\ (all\ |both\ )?([0-9]+)\ test\ cases?\ with\ ([0-9]+)\ assertions? ]]; then
    pass=${BASH_REMATCH[2]}
    detail="${BASH_REMATCH[3]} assertions"
  elif [[ $line =~ ^Failed\ (all\ |both\ )?([0-9]+)\ test\ cases? ]]; then
    fail=${BASH_REMATCH[2]}
    detail="log $log"
  else
    fail=1
    detail="no Catch2 totals; log $log"
  fi
  if [ "$rc" -ne 0 ] && [ "$fail" -eq 0 ]; then fail=1; fi
  count "$label" "$pass" "$fail" "$detail"
}

# node --test with two reporters: spec for people, TAP in a file for the counts.
node_layer() {  # LABEL NAME PATH
  local label=$1 tap=$logs/$2.tap
  echo "== $label"
  node --test --test-timeout=600000 \
    --test-reporter=spec --test-reporter-destination=stdout \
    --test-reporter=tap --test-reporter-destination="$tap" "$3"
  local rc=$?
  local pass fail cancelled skipped
  pass=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$tap" | tail -1)
  fail=$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$tap" | tail -1)
  cancelled=$(sed -n 's/^# cancelled \([0-9]*\)$/\1/p' "$tap" | tail -1)
  skipped=$(sed -n 's/^# skipped \([0-9]*\)$/\1/p' "$tap" | tail -1)
  pass=${pass:-0}
  fail=$((${fail:-0} + ${cancelled:-0}))
  if [ "$rc" -ne 0 ] && [ "$fail" -eq 0 ]; then fail=1; fi
  count "$label" "$pass" "$fail" "$( ((${skipped:-0})) && echo "$skipped skipped")"
}

# scripts/fuzz.sh for a bounded time: one pass or one failure; its last line (executions,
# coverage) becomes the detail.
fuzz_layer() {  # LABEL SECONDS
  local label=$1 out=$logs/fuzz.txt
  echo "== $label"
  bash scripts/fuzz.sh "$2" | tee "$out"
  local rc=${PIPESTATUS[0]}
  count "$label" $((rc == 0)) $((rc != 0)) "$(tail -1 "$out" | sed 's/^fuzz: //')"
}

# Everything runs inside main, and the file is read up to its last line before main starts, so
# editing this script while a run is under way cannot change that run.
main() {
  start=$SECONDS
  bash scripts/setup.sh || {
    echo "test: setup failed"
    echo "0 passed, 1 failed"
    exit 1
  }
  mkdir -p "$logs"

  if step "build native" bash scripts/build.sh native; then
    catch2_layer "1. Catch2 native" build/native build/native/tests/cpp/attnlab_tests
  fi
  # The cost model against what the primitives count (cpp/lab/cost.hpp): only an ATTNLAB_COUNT
  # build can check it, so it has its own preset.
  if step "build count (ATTNLAB_COUNT=ON)" bash scripts/build.sh count; then
    catch2_tagged "1b. cost model vs counted work" build/count/tests/cpp/attnlab_tests "[count]"
  fi
  if step "build wasm-simd (Catch2 suite)" bash scripts/build.sh wasm-simd; then
    catch2_layer "2. Catch2 wasm (SIMD, Node)" build/wasm-simd node build/wasm-simd/tests/cpp/attnlab_tests.cjs
  fi
  if step "build package (dist/pkg)" bash scripts/build.sh package; then
    node_layer "3. JS (package)" js tests/js/
    if step "build web (dist/site, widgets)" bash scripts/build.sh web; then
      node_layer "4. browser (Chromium)" browser tests/browser/
      node_layer "5. package (npm pack)" package tests/package/
    fi
  fi

  # Issue 10 (reliability): the native Catch2 suite again under AddressSanitizer + UBSan (clang,
  # build/asan), then libFuzzer over the core's entry points for 60 s from tests/fuzz/corpus.
  if step "build asan (ASan+UBSan)" bash scripts/build.sh asan; then
    UBSAN_OPTIONS=print_stacktrace=1 catch2_layer "6. Catch2 ASan+UBSan" build/asan build/asan/tests/cpp/attnlab_tests
  fi
  fuzz_layer "7. fuzz (libFuzzer, 60 s)" 60

  echo
  echo "== summary ($((SECONDS - start)) s)"
  printf '  %s\n' "${summary[@]}"
  echo "$total_pass passed, $total_fail failed"
  [ "$total_fail" -eq 0 ]
}

main "$@"; exit
