#!/usr/bin/env bash
# npm run bench [-- --browser] [--clock cpu] [--quick] [--only REGEX] [--throttle R[,R…]]
#               [--lesson-only] [--no-package-build]
#
# Builds what the benchmark measures, incrementally, then runs bench/run.mjs:
#   the shipped package (scripts/build.sh), for the size and load-time report; --no-package-build
#   measures dist/pkg as it is (results.json records the dates of its files);
#   bench/CMakeLists.txt twice: with em++ (bench-simd.wasm, bench-baseline.wasm) and natively
#   (bench-native128: SSE only; bench-native: -march=native), in $ATTNLAB_BENCH_BUILD/{wasm,native}
#   (default build/bench). The native builds use clang++ when present: the same compiler family as
#   em++, so the native-128 comparison measures the engine, not a different optimiser.
# --lesson-only measures only the lesson site's main-thread figures (bench/lesson.mjs), which need
# the site (scripts/build.sh) but none of the kernel builds.
set -euo pipefail
cd "$(dirname "$0")/.."

export NODE_PATH=/usr/share/nodejs
bash scripts/setup.sh

build=${ATTNLAB_BENCH_BUILD:-build/bench}
mkdir -p "$build"

args=()
package_build=1
kernels=1
for a in "$@"; do
  if [ "$a" = --no-package-build ]; then package_build=0; else args+=("$a"); fi
  if [ "$a" = --lesson-only ]; then kernels=0; fi
done

configure() {  # DIR CMAKE_ARGS...
  local dir=$1
  shift
  [ -f "$dir/CMakeCache.txt" ] && return 0
  if ! cmake -S bench -B "$dir" -DCMAKE_BUILD_TYPE=Release "$@" >"$dir.configure.log" 2>&1; then
    cat "$dir.configure.log" >&2
    echo "bench: configuring $dir failed" >&2
    return 1
  fi
}

if [ "$kernels" = 1 ]; then
  native_cxx=$(command -v clang++ || command -v c++)
  configure "$build/wasm" -DCMAKE_TOOLCHAIN_FILE=/usr/share/emscripten/cmake/Modules/Platform/Emscripten.cmake
  configure "$build/native" -DCMAKE_CXX_COMPILER="$native_cxx"
  cmake --build "$build/wasm" -j2
  cmake --build "$build/native" -j2
fi

# The size and load report reads dist/pkg, the lesson figures dist/site; a build that fails leaves
# them to whatever those folders hold, loudly.
if [ "$package_build" = 1 ] && ! bash scripts/build.sh >"$build/package-build.log" 2>&1; then
  tail -20 "$build/package-build.log" >&2
  echo "bench: the package build failed (log: $build/package-build.log); figures come from whatever dist/ holds" >&2
fi

ATTNLAB_BENCH_BUILD=$build exec node bench/run.mjs "${args[@]}"
