#!/usr/bin/env bash
# Installs what attnlab needs and is missing, nothing else; quick when everything is present.
#   Debian packages (apt-get, only those not installed; apt-get update only when one is missing)
#   npm packages (npm ci from the committed lockfile, only when node_modules is missing or older
#   than package-lock.json)
# Run as root, or as a user who may sudo.
set -euo pipefail
cd "$(dirname "$0")/.."

# emscripten: Debian's 3.1.6 (em++ with Embind); catch2 2.13 and libeigen3-dev 3.4 for the core and
# its tests; binaryen and wabt (wasm2wat) for the wasm builds' checks; chromium for the browser
# tests (playwright-core drives /usr/bin/chromium; no browser is downloaded); python3-numpy for
# scripts/golden.py; clang, lld and libclang-rt-14-dev for the sanitizer and fuzzer builds.
packages=(cmake make g++ emscripten libeigen3-dev catch2 binaryen wabt chromium python3-numpy
  clang lld libclang-rt-14-dev)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null | grep -qx installed; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    if ! command -v sudo >/dev/null; then
      echo "setup: missing Debian packages: ${missing[*]}; run this script as root, or install them" >&2
      exit 1
    fi
    sudo=(sudo)
  fi
  echo "setup: installing ${missing[*]}"
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${missing[@]}"
fi

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci"
  # No package here downloads a browser; the variable keeps it so if one ever tries.
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund
fi
