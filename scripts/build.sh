#!/usr/bin/env bash
# Builds attnlab, incrementally (build folders are never wiped).
#
#   scripts/build.sh            the npm package (dist/pkg) and the lesson site (dist/site)
#   scripts/build.sh package    only the core files of dist/pkg (both wasm flavours, glue, wrapper)
#   scripts/build.sh web        only the web front end's builds (widgets into dist/pkg, dist/site)
#   scripts/build.sh PRESET     one CMake preset: native, wasm-simd, wasm-baseline, count or asan
#                               (build folder build/PRESET; see CMakePresets.json)
#
# Expects what scripts/setup.sh installs.
set -euo pipefail
cd "$(dirname "$0")/.."

# Emscripten 3.1.6's optimizer needs Debian's acorn, which Node does not find by itself
# (docs/toolchain.md); the wasm presets also set it for the link step.
export NODE_PATH=/usr/share/nodejs

presets="native wasm-simd wasm-baseline count asan"

cmake_build() {  # PRESET [cmake --build args...]
  local preset=$1
  shift
  if [ ! -f "build/$preset/CMakeCache.txt" ]; then
    local log="build/configure-$preset.log"
    mkdir -p build
    if ! cmake --preset "$preset" >"$log" 2>&1; then
      cat "$log" >&2
      echo "build: configuring $preset failed" >&2
      return 1
    fi
  fi
  cmake --build --preset "$preset" "$@"
}

size_line() {  # LABEL FILE...
  local label=$1
  shift
  local raw gz
  raw=$(cat "$@" | wc -c)
  gz=$(cat "$@" | gzip -9 | wc -c)
  printf '  %-34s %8d bytes  %7d gzipped\n' "$label" "$raw" "$gz"
}

# Newest modification time (seconds) of the files under the given paths; 0 when none exist.
newest() {
  find "$@" -type f -printf '%T@\n' 2>/dev/null | awk '$1 > m { m = $1 } END { printf "%d\n", m }'
}

# Copies only when the content changed, so that unchanged outputs keep their time stamps (the web
# builds below are skipped when nothing they read is newer than their last run).
put() {
  cmp -s "$1" "$2" || cp "$1" "$2"
}

build_package() {
  cmake_build wasm-simd --target attnlab_module
  cmake_build wasm-baseline --target attnlab_module
  local simd=build/wasm-simd/bindings baseline=build/wasm-baseline/bindings out=dist/pkg
  # -msimd128 is a compile flag only, so both links must produce the same glue (up to the order
  # of the export wrappers, which follows the .wasm's export order); shipping one glue for two
  # .wasm files relies on it.
  if ! cmp -s <(tr ';' '\n' <"$simd/attnlab.js" | sort) <(tr ';' '\n' <"$baseline/attnlab.js" | sort); then
    echo "build: the SIMD and baseline builds produced different glue JS; check bindings/CMakeLists.txt" >&2
    return 1
  fi
  local simd_ops baseline_ops
  simd_ops=$(wasm2wat "$simd/attnlab.wasm" | grep -c 'v128\|[if][0-9]*x[0-9]*\.' || true)
  baseline_ops=$(wasm2wat "$baseline/attnlab.wasm" | grep -c 'v128\|[if][0-9]*x[0-9]*\.' || true)
  if [ "$simd_ops" -eq 0 ] || [ "$baseline_ops" -ne 0 ]; then
    echo "build: expected SIMD instructions only in the SIMD build; found $simd_ops (SIMD), $baseline_ops (baseline)" >&2
    return 1
  fi
  mkdir -p "$out"
  put "$simd/attnlab.js" "$out/attnlab-core.js"
  put "$simd/attnlab.wasm" "$out/attnlab-simd.wasm"
  put "$baseline/attnlab.wasm" "$out/attnlab.wasm"
  local f
  for f in api.js attnlab.js node.js; do put "bindings/js/$f" "$out/$f"; done
  put bindings/attnlab.d.ts "$out/attnlab.d.ts"
  echo "build: dist/pkg"
  size_line "core (SIMD .wasm + glue + wrapper)" "$out/attnlab-simd.wasm" "$out/attnlab-core.js" "$out/api.js" "$out/attnlab.js"
  size_line "core with the baseline .wasm" "$out/attnlab.wasm" "$out/attnlab-core.js" "$out/api.js" "$out/attnlab.js"
  size_line "attnlab-simd.wasm" "$out/attnlab-simd.wasm"
  size_line "attnlab.wasm (baseline)" "$out/attnlab.wasm"
  size_line "attnlab-core.js (glue)" "$out/attnlab-core.js"
}

# The web front end's own Vite configs build the widgets bundle into dist/pkg and the site into
# dist/site. Skipped when nothing they read changed since their last build.
build_web() {
  local vite=node_modules/.bin/vite config name stamp
  for config in web/vite.widgets.config.js web/vite.config.js; do
    [ -f "$config" ] || continue
    if [ ! -x "$vite" ]; then
      echo "build: $config needs vite; run scripts/setup.sh (npm ci)" >&2
      return 1
    fi
    name=$(basename "$config" .js)
    stamp=build/web/$name.stamp
    if [ -f "$stamp" ] &&
      [ "$(newest web bindings dist/pkg/attnlab-core.js dist/pkg/attnlab-simd.wasm dist/pkg/attnlab.wasm package.json package-lock.json)" -le "$(newest "$stamp")" ]; then
      echo "build: $config up to date"
      continue
    fi
    "$vite" build --config "$config" --logLevel warn
    mkdir -p build/web
    touch "$stamp"
    echo "build: $config"
  done
  # the hand-written types of `attnlab/widgets` (package.json: exports["./widgets"].types)
  if [ -f web/src/widgets.d.ts ]; then put web/src/widgets.d.ts dist/pkg/widgets.d.ts; fi
  # its Node condition: the same names, and a clear error instead of a missing HTMLElement
  put web/src/widgets-node.js dist/pkg/widgets-node.js
  if [ -f dist/pkg/widgets.js ]; then
    size_line "widgets.js" dist/pkg/widgets.js
  fi
}

# main runs only once the whole file has been read, so editing this script while a build is under
# way cannot change that build.
main() {
  case "${1:-all}" in
    all)
      build_package
      build_web
      ;;
    package) build_package ;;
    web) build_web ;;
    -h | --help)
      sed -n '2,10p' "$0"
      ;;
    *)
      if [[ " $presets " != *" $1 "* ]]; then
        echo "build: unknown preset '$1'; expected one of: $presets" >&2
        exit 2
      fi
      cmake_build "$1"
      ;;
  esac
}

main "$@"; exit
