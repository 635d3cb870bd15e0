#!/usr/bin/env bash
# Query latency after the server has been idle, with and without V8's memory reducer.
#
# A Node process that goes quiet after heavy allocation (an ingest, a compaction) gets a
# "memory-reducing" full GC from V8 some seconds later: the heap shrinks to its live size
# and pages go back to the OS. The queries after that pay minor page faults for the
# memory they allocate (12-50 per query in the first runs, measured here) and run slower,
# for several runs of 22 queries. `npm start`,
# bin/strata.js and bench/start-strata.sh run node with --no-memory-reducer; this script
# measures both ways, interleaved: for each setting, a fresh server ingests the devops
# dataset, flushes, compacts, sits idle for IDLE seconds, then answers ROUNDS runs of the
# single-groupby-1-1-1 query (PromQL and InfluxQL) of ../shared/peers/query.mjs, each a
# fresh client with its own seed. Prints per run: median ms, minor page faults of the
# server per query; and the server's RSS after the idle period.
#
# Usage: bench/idle.sh      Env: as bench/lib.sh, plus IDLE=30 ROUNDS=6 REPS=2 N=20
set -euo pipefail
source "$(dirname "$0")/lib.sh"
WORKLOADS=devops
IDLE=${IDLE:-30}; ROUNDS=${ROUNDS:-6}; REPS=${REPS:-2}; N=${N:-20}
ensure_datasets
LP=${FILE[devops]}
faults() { awk '{print $10}' "/proc/$CUR/stat"; }
run() { # run TARGET SEED: prints "median pf/query"
  local f0 f1 m
  f0=$(faults)
  m=$(node "$PEERS/query.mjs" --url "http://127.0.0.1:$PORT" --hosts "$HOSTS" --span "$DEVOPS_SPAN" --n "$N" --warmup 2 \
      --only single-groupby-1-1-1 --target "$1" --seed "$2" 2>&1 >/dev/null | grep -o 'median *[0-9.]*' | awk '{print $2}')
  f1=$(faults)
  echo "$m $(( (f1 - f0) / (N + 2) ))"
}
printf '| node flags | rep | RSS after idle MB | PromQL median ms (faults/query) per run | InfluxQL median ms (faults/query) per run |\n|---|---:|---:|---|---|\n'
for rep in $(seq 1 "$REPS"); do
  for flags in "--no-memory-reducer" ""; do
    export STRATA_NODE_FLAGS="$flags"
    dir=/tmp/strata-idle
    start_system strata "$dir"
    node "$PEERS/ingest.mjs" --file "$LP" --url "$WRITE_URL" --batch "$BATCH" --conc "$CONC" --pid "$CUR" --label strata >/dev/null
    curl -fsS -XPOST "http://127.0.0.1:$PORT/admin/flush" >/dev/null
    curl -fsS -XPOST "http://127.0.0.1:$PORT/admin/compact" >/dev/null
    log "${flags:-default}: idle ${IDLE}s"
    sleep "$IDLE"
    rss=$(awk '/VmRSS/ {printf "%d", $2 / 1024}' "/proc/$CUR/status")
    prom=""; iql=""
    for r in $(seq 1 "$ROUNDS"); do
      read -r m f < <(run promql "$r"); prom+="$m ($f) "
      read -r m f < <(run influxql "$r"); iql+="$m ($f) "
    done
    printf '| %s | %d | %d | %s| %s|\n' "${flags:-(none)}" "$rep" "$rss" "$prom" "$iql"
    stop_system "$dir"
  done
done
