#!/usr/bin/env bash
# Two builds of Strata against each other, in alternation: each started fresh from its own
# dist/ (A on $PORT, B on $PORT+1), loaded with the devops dataset, flushed and compacted,
# then ROUNDS runs of ../shared/peers/query.mjs for query Q (PromQL), each a fresh client
# with its own seed, against both with that seed, the order swapped every round (as
# bench/query-pair.sh does against Prometheus). For a change too small for bench/query.sh's
# minutes-apart runs. Prints each round's pair of medians and the summary (the median ratio is A/B).
#
# A build of another commit: git worktree add /tmp/strata-old <commit> &&
#   (cd /tmp/strata-old && npm ci && npm run build); then A=/tmp/strata-old/dist.
#
# Usage: bench/strata-pair.sh A_DIST B_DIST    Env: as bench/lib.sh, plus Q=single-groupby-1-1-1
#        ROUNDS=16 N=20, FLAGS_A / FLAGS_B (node flags besides --no-memory-reducer)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
WORKLOADS=devops
A_DIST=$(cd "${1:?usage: bench/strata-pair.sh A_DIST B_DIST}" && pwd); B_DIST=$(cd "${2:?usage: bench/strata-pair.sh A_DIST B_DIST}" && pwd)
Q=${Q:-single-groupby-1-1-1}; ROUNDS=${ROUNDS:-16}; N=${N:-20}
ensure_datasets
LP=${FILE[devops]}
APORT=$PORT; BPORT=$((PORT + 1))
PIDS=""
cleanup() {
  for p in $PIDS; do "$PEERS/stop.sh" "$p" >/dev/null || true; done
  rm -rf /tmp/strata-pair-a /tmp/strata-pair-b
}
trap cleanup EXIT

start() { # start PORT DIST DIR FLAGS: a fresh server, loaded and compacted; prints its PID
  local port=$1 dist=$2 dir=$3 flags=$4 pid
  rm -rf "$dir"; mkdir -p "$dir"
  # shellcheck disable=SC2086 # flags: zero or more
  nohup node --no-memory-reducer $flags "$dist/cli/main.js" serve --port "$port" --bind 127.0.0.1 --data-dir "$dir/data" > "$dir/strata.log" 2>&1 < /dev/null &
  pid=$!
  for _ in $(seq 1 300); do curl -fsS -o /dev/null "http://127.0.0.1:$port/ping" 2>/dev/null && break; sleep 0.1; done
  node "$PEERS/ingest.mjs" --file "$LP" --url "http://127.0.0.1:$port/write?db=bench&precision=ns" --batch "$BATCH" --conc "$CONC" --pid "$pid" --label "$dir" >/dev/null
  curl -fsS -XPOST "http://127.0.0.1:$port/admin/flush" >/dev/null
  curl -fsS -XPOST "http://127.0.0.1:$port/admin/compact" >/dev/null
  echo "$pid"
}
log "A: $A_DIST on $APORT"
APID=$(start "$APORT" "$A_DIST" /tmp/strata-pair-a "${FLAGS_A:-}"); PIDS="$APID"
log "B: $B_DIST on $BPORT"
BPID=$(start "$BPORT" "$B_DIST" /tmp/strata-pair-b "${FLAGS_B:-}"); PIDS="$APID $BPID"

pair_rounds A "$APORT" B "$BPORT"
