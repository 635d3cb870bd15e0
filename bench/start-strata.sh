#!/usr/bin/env bash
# Starts Strata on 127.0.0.1:PORT with all state under DATADIR, waits for /ping, prints its PID.
# The shape of ../shared/peers/start-*.sh, so the shared harness can run Strata beside the peers.
# Usage: bench/start-strata.sh PORT DATADIR [extra serve flags...]
# Env: STRATA_NODE_FLAGS, node's own flags (default --no-memory-reducer, as `npm start` and
# bin/strata.js; bench/idle.sh measures why).
set -euo pipefail
PORT=$1; DIR=$2; shift 2
ROOT=$(cd "$(dirname "$0")/.." && pwd)
[ -f "$ROOT/dist/cli/main.js" ] || (cd "$ROOT" && npm run build >/dev/null)
mkdir -p "$DIR"
NODE_FLAGS=${STRATA_NODE_FLAGS---no-memory-reducer}
# shellcheck disable=SC2086 # NODE_FLAGS: zero or more flags
nohup node $NODE_FLAGS "$ROOT/dist/cli/main.js" serve --port "$PORT" --bind 127.0.0.1 --data-dir "$DIR/data" "$@" \
  > "$DIR/strata.log" 2>&1 < /dev/null &
PID=$!
for _ in $(seq 1 300); do
  if curl -fsS -o /dev/null "http://127.0.0.1:$PORT/ping" 2>/dev/null; then echo "$PID"; exit 0; fi
  kill -0 "$PID" 2>/dev/null || { echo "strata exited; log:" >&2; cat "$DIR/strata.log" >&2; exit 1; }
  sleep 0.1
done
echo "strata did not answer /ping within 30 s" >&2; kill "$PID"; exit 1
