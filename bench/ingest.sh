#!/usr/bin/env bash
# Ingest benchmark: the devops (and iot) workloads of ../shared/peers loaded over HTTP with
# 2 keep-alive connections into Strata, InfluxDB 1.x and VictoriaMetrics, one server at a
# time, in the same run, then a table of points/s (plus Strata's parse-only lines/s).
#
# Usage: bench/ingest.sh [SYSTEM...]    (default: strata influxdb victoria)
# Env: WORKLOADS="devops iot" HOSTS=100 DEVOPS_SPAN=1d DEVICES=1000 IOT_SPAN=6h BATCH=5000
#      CONC=2 PORT=18100 DATA=/tmp/peers-data OUT=/tmp/strata-bench-<time>
# Needs: `apt-get install influxdb victoria-metrics` for the peers (skipped when missing).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
OUT=${OUT:-/tmp/strata-bench-$(date -u +%Y%m%dT%H%M%S)}
SYSTEMS=${*:-strata influxdb victoria}
mkdir -p "$OUT"
ensure_datasets

for wl in $WORKLOADS; do
  log "parse-only $wl"
  node --import tsx "$ROOT/bench/parse.ts" --file "${FILE[$wl]}" --runs 5 | tee "$OUT/strata-$wl-parse.txt" >&2 || log "parse bench failed"
  for sys in $SYSTEMS; do
    dir=/tmp/strata-bench-$sys-$wl
    log "$sys/$wl: start"
    start_system "$sys" "$dir" || continue
    log "$sys/$wl: ingest"
    node "$PEERS/ingest.mjs" --file "${FILE[$wl]}" --url "$WRITE_URL" --batch "$BATCH" --conc "$CONC" --pid "$CUR" \
      --label "$sys" --json "$OUT/$sys-$wl-ingest.json" >/dev/null
    stop_system "$dir"
  done
done
node "$ROOT/bench/report.mjs" "$OUT" | tee "$OUT/report.md"
