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

median() { # median PORT SEED
  node "$PEERS/query.mjs" --target promql --url "http://127.0.0.1:$1" --hosts "$HOSTS" --span "$DEVOPS_SPAN" --n "$N" --warmup 2 \
    --only "$Q" --seed "$2" 2>&1 >/dev/null | grep -o 'median *[0-9.]*' | awk '{print $2}'
}
log "$ROUNDS rounds of $Q"
echo "| round | strata ms | prometheus ms |"
echo "|---:|---:|---:|"
rows=""
for r in $(seq 1 "$ROUNDS"); do
  if [ $((r % 2)) = 0 ]; then s=$(median "$SPORT" "$r"); p=$(median "$PPORT" "$r")
  else p=$(median "$PPORT" "$r"); s=$(median "$SPORT" "$r"); fi
  echo "| $r | $s | $p |"
  rows+="$s $p"$'\n'
done
printf '%s' "$rows" | node -e '
  const rows = require("fs").readFileSync(0, "utf8").trim().split("\n").map((l) => l.split(" ").map(Number));
  const med = (a) => { const b = [...a].sort((x, y) => x - y); const m = b.length >> 1; return b.length % 2 ? b[m] : (b[m - 1] + b[m]) / 2; };
  const wins = rows.filter(([s, p]) => s < p).length;
  console.log(`\nmedians: strata ${med(rows.map((r) => r[0])).toFixed(2)} ms, prometheus ${med(rows.map((r) => r[1])).toFixed(2)} ms; ` +
    `strata faster in ${wins} of ${rows.length} rounds; median ratio ${med(rows.map(([s, p]) => s / p)).toFixed(3)}`);'
