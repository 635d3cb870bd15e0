#!/usr/bin/env bash
# Query benchmark: the TSBS-style devops queries of ../shared/peers/query.mjs, in PromQL
# against Strata, VictoriaMetrics (rollup cache bypassed, and as shipped) and Prometheus,
# and in InfluxQL against Strata and InfluxDB 1.x, in one run, one server at a time, each
# loaded with the same devops dataset and settled (Strata: /admin/flush + /admin/compact;
# VictoriaMetrics and InfluxDB: peers/disk.mjs; Prometheus: promtool backfill, then its own
# compaction), then tables of median and p95 latency per query and the result sizes (to
# check all return the same).
#
# Usage: bench/query.sh [SYSTEM...]     (default: strata victoria prometheus influxdb)
# Env: as bench/lib.sh, plus N=20 WARMUP=2 (runs per query), OUT=/tmp/strata-query-<time>
set -euo pipefail
source "$(dirname "$0")/lib.sh"
WORKLOADS=devops
OUT=${OUT:-/tmp/strata-query-$(date -u +%Y%m%dT%H%M%S)}
SYSTEMS=${*:-strata victoria prometheus influxdb}
N=${N:-20}; WARMUP=${WARMUP:-2}
mkdir -p "$OUT"
ensure_datasets
LP=${FILE[devops]}
POINTS=$(node -e "console.log(JSON.parse(require('fs').readFileSync('$LP.json','utf8')).points)")
QARGS=(--url "http://127.0.0.1:$PORT" --hosts "$HOSTS" --span "$DEVOPS_SPAN" --n "$N" --warmup "$WARMUP")

for sys in $SYSTEMS; do
  dir=/tmp/strata-query-$sys
  if [ "$sys" = prometheus ]; then
    command -v promtool >/dev/null || { log "no promtool: skip"; continue; }
    OM=${LP%.lp}.om
    [ -s "$OM" ] || { log "generate devops OpenMetrics"; node "$PEERS/gen.mjs" ${GENARGS[devops]} --format om --out "$OM" > "$OM.json"; }
    rm -rf "$dir"; mkdir -p "$dir/tsdb"
    log "prometheus: promtool backfill"
    promtool tsdb create-blocks-from openmetrics "$OM" "$dir/tsdb" > "$OUT/prometheus-backfill.log"
    start_system prometheus "$dir" keep || continue
    node "$PEERS/disk.mjs" --kind prometheus --dir "$dir" --pid "$CUR" --points "$POINTS" --label prometheus >/dev/null
  else
    log "$sys: start + ingest"
    start_system "$sys" "$dir" || continue
    node "$PEERS/ingest.mjs" --file "$LP" --url "$WRITE_URL" --batch "$BATCH" --conc "$CONC" --pid "$CUR" --label "$sys" >/dev/null
    if [ "$sys" = strata ]; then
      curl -fsS -XPOST "http://127.0.0.1:$PORT/admin/flush" >/dev/null
      curl -fsS -XPOST "http://127.0.0.1:$PORT/admin/compact" >/dev/null
    else
      node "$PEERS/disk.mjs" --kind "$KIND" --dir "$dir" --url "http://127.0.0.1:$PORT" --pid "$CUR" --points "$POINTS" --label "$sys" >/dev/null
    fi
  fi
  log "$sys: queries"
  case $sys in
    influxdb) node "$PEERS/query.mjs" "${QARGS[@]}" --target influxql --pid "$CUR" --label influxdb --json "$OUT/influxdb-query.json" >/dev/null ;;
    strata)   node "$PEERS/query.mjs" "${QARGS[@]}" --target promql --pid "$CUR" --label strata --json "$OUT/strata-query.json" >/dev/null
              node "$PEERS/query.mjs" "${QARGS[@]}" --target influxql --pid "$CUR" --label strata-influxql --json "$OUT/strata-influxql-query.json" >/dev/null ;;
    victoria) node "$PEERS/query.mjs" "${QARGS[@]}" --target promql --pid "$CUR" --label victoria --json "$OUT/victoria-query.json" >/dev/null
              node "$PEERS/query.mjs" "${QARGS[@]}" --target promql --pid "$CUR" --params nocache=1 --label victoria-nocache --json "$OUT/victoria-nocache-query.json" >/dev/null ;;
    *)        node "$PEERS/query.mjs" "${QARGS[@]}" --target promql --pid "$CUR" --label "$sys" --json "$OUT/$sys-query.json" >/dev/null ;;
  esac
  stop_system "$dir"
done
node "$ROOT/bench/query-report.mjs" "$OUT" | tee "$OUT/report.md"
