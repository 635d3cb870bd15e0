#!/usr/bin/env bash
# Strata against Prometheus on one query, in alternation: both servers up at once (Strata on
# $PORT, Prometheus on $PORT+1), then ROUNDS runs of ../shared/peers/query.mjs for query Q
# (PromQL), each a fresh client with its own seed, run against both servers with that seed,
# the order swapped every round. bench/query.sh measures one system at a time, minutes
# apart, so the machine's drift between them shows up in the ratio; here every pair of
# medians is minutes closer, and the spread over the rounds is visible.
#
# Prometheus is started first (promtool backfill, then its own compaction, which
# peers/disk.mjs waits out), then Strata ingests, flushes and compacts, and the rounds begin
# at once, as in bench/query.sh. Prints each round's pair of medians and the summary: the
# median of each column, the rounds Strata is faster in, the median ratio.
#
# Usage: bench/query-pair.sh     Env: as bench/lib.sh, plus Q=single-groupby-1-1-1 ROUNDS=16 N=20
set -euo pipefail
source "$(dirname "$0")/lib.sh"
WORKLOADS=devops
Q=${Q:-single-groupby-1-1-1}; ROUNDS=${ROUNDS:-16}; N=${N:-20}
command -v promtool >/dev/null || { log "no promtool (apt-get install prometheus)"; exit 1; }
ensure_datasets
LP=${FILE[devops]}
OM=${LP%.lp}.om
[ -s "$OM" ] || { log "generate devops OpenMetrics"; node "$PEERS/gen.mjs" ${GENARGS[devops]} --format om --out "$OM" > "$OM.json"; }
SPORT=$PORT; PPORT=$((PORT + 1))
SDIR=/tmp/strata-pair-strata; PDIR=/tmp/strata-pair-prometheus
SPID=""; PPID_=""
cleanup() {
  for p in $SPID $PPID_; do "$PEERS/stop.sh" "$p" >/dev/null || true; done
  rm -rf "$SDIR" "$PDIR"
}
trap cleanup EXIT

log "prometheus: promtool backfill, start, settle"
rm -rf "$PDIR"; mkdir -p "$PDIR/tsdb"
promtool tsdb create-blocks-from openmetrics "$OM" "$PDIR/tsdb" > /dev/null
PPID_=$("$PEERS/start-prometheus.sh" "$PPORT" "$PDIR")
node "$PEERS/disk.mjs" --kind prometheus --dir "$PDIR" --pid "$PPID_" --points 1 --label prometheus >/dev/null

log "strata: start, ingest, flush, compact"
rm -rf "$SDIR"
SPID=$("$ROOT/bench/start-strata.sh" "$SPORT" "$SDIR")
node "$PEERS/ingest.mjs" --file "$LP" --url "http://127.0.0.1:$SPORT/write?db=bench&precision=ns" --batch "$BATCH" --conc "$CONC" --pid "$SPID" --label strata >/dev/null
curl -fsS -XPOST "http://127.0.0.1:$SPORT/admin/flush" >/dev/null
curl -fsS -XPOST "http://127.0.0.1:$SPORT/admin/compact" >/dev/null

pair_rounds strata "$SPORT" prometheus "$PPORT"
