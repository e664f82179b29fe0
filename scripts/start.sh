#!/usr/bin/env bash
# npm start: install what is missing, build what changed, serve the lesson site on localhost.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
exec node scripts/serve.mjs dist/site
