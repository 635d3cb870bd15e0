#!/usr/bin/env bash
# Builds Strata, then runs bench/views.ts (KV and document views over HTTP); arguments pass through.
# Usage: bench/views.sh [--fsync always,off] [--docs 10000,100000] [--kv-ops 20000] ...
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
npm run build >/dev/null
exec node --import tsx bench/views.ts "$@"
