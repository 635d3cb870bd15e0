#!/usr/bin/env bash
# Storage benchmark: the devops and iot workloads of ../shared/peers loaded into Strata,
# InfluxDB 1.x and VictoriaMetrics (one at a time, same run), each left to settle (Strata:
# POST /admin/flush then /admin/compact; the peers: peers/disk.mjs), then bytes per point
# of the whole data directory, and Strata's full-scan read speed.
#
# Then the downsampling tiers (bench/tiers.ts): bytes on disk for a year of one series per
# tier, and 1-year queries with and without rollups (TIERS=0 skips it).
#
# Usage: bench/storage.sh [SYSTEM...]   (default: strata influxdb victoria)
# Env: as bench/ingest.sh (WORKLOADS, HOSTS, DEVOPS_SPAN, DEVICES, IOT_SPAN, PORT, DATA, OUT), TIERS
set -euo pipefail
source "$(dirname "$0")/lib.sh"
OUT=${OUT:-/tmp/strata-storage-$(date -u +%Y%m%dT%H%M%S)}
SYSTEMS=${*:-strata influxdb victoria}
mkdir -p "$OUT"
ensure_datasets

for wl in $WORKLOADS; do
  points=$(node -e "console.log(JSON.parse(require('fs').readFileSync('${FILE[$wl]}.json','utf8')).points)")
  for sys in $SYSTEMS; do
    dir=/tmp/strata-storage-$sys-$wl
    log "$sys/$wl: start + ingest"
    start_system "$sys" "$dir" || continue
    node "$PEERS/ingest.mjs" --file "${FILE[$wl]}" --url "$WRITE_URL" --pid "$CUR" --label "$sys" --json "$OUT/$sys-$wl-ingest.json" >/dev/null
    if [ "$sys" = strata ]; then
      curl -fsS -XPOST "http://127.0.0.1:$PORT/admin/flush" >/dev/null
      curl -fsS -XPOST "http://127.0.0.1:$PORT/admin/compact" >/dev/null
    fi
    log "$sys/$wl: settle + disk"
    node "$PEERS/disk.mjs" --kind "$KIND" --dir "$dir" --url "http://127.0.0.1:$PORT" --pid "$CUR" --points "$points" \
      --label "$sys" --json "$OUT/$sys-$wl-disk.json" >/dev/null
    "$PEERS/stop.sh" "$CUR" >/dev/null; CUR=""
    if [ "$sys" = strata ]; then
      log "$sys/$wl: full scan"
      node --import tsx "$ROOT/bench/scan.ts" --data-dir "$dir/data" --db bench --json "$OUT/strata-$wl-scan.json" >&2
    fi
    rm -rf "$dir"
  done
done
node -e '
const fs = require("fs"), path = require("path"), dir = process.argv[1];
const rows = ["| workload | system | bytes/point | disk MB | vs InfluxDB | vs VictoriaMetrics |", "|---|---|---:|---:|---:|---:|"];
const by = {};
for (const f of fs.readdirSync(dir).filter((f) => f.endsWith("-disk.json"))) {
  const [sys, wl] = f.replace("-disk.json", "").split("-");
  (by[wl] ??= {})[sys] = JSON.parse(fs.readFileSync(path.join(dir, f), "utf8"));
}
const bpp = (r) => r.bytes_per_point ?? r.total?.bytes_per_point;
const mb = (r) => (r.total_alloc / 1e6).toFixed(1);
for (const [wl, s] of Object.entries(by)) for (const [sys, r] of Object.entries(s)) {
  const ratio = (p) => (s[p] && p !== sys ? (bpp(r) / bpp(s[p])).toFixed(2) + "x" : "");
  rows.push(`| ${wl} | ${sys} | ${bpp(r)} | ${mb(r)} | ${ratio("influxdb")} | ${ratio("victoria")} |`);
}
for (const f of fs.readdirSync(dir).filter((f) => f.endsWith("-scan.json"))) {
  const r = JSON.parse(fs.readFileSync(path.join(dir, f), "utf8"));
  rows.push("", `full scan (${f.replace("-scan.json", "")}): ${r.points} points, ${r.points_per_s} points/s`);
}
console.log(rows.join("\n"));
' "$OUT" | tee "$OUT/report.md"
if [ "${TIERS:-1}" = 1 ]; then
  log "tiers: a year of one series, bytes per tier, 1-year queries with and without rollups"
  { echo; echo "## Downsampling tiers"; echo; node --import tsx "$ROOT/bench/tiers.ts" --json "$OUT/tiers.json"; } | tee -a "$OUT/report.md"
fi
