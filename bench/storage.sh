#!/usr/bin/env bash
# Storage benchmark: the devops and iot workloads of ../shared/peers loaded into Strata,
# InfluxDB 1.x and VictoriaMetrics (one at a time, same run), each left to settle (Strata:
# POST /admin/flush then /admin/compact; the peers: peers/disk.mjs), then bytes per point
# of the whole data directory, and Strata's full-scan read speed.
#
# Usage: bench/storage.sh [SYSTEM...]   (default: strata influxdb victoria)
# Env: as bench/ingest.sh (WORKLOADS, HOSTS, DEVOPS_SPAN, DEVICES, IOT_SPAN, PORT, DATA, OUT)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PEERS=$(cd "$ROOT/../shared/peers" && pwd)
HOSTS=${HOSTS:-100}; DEVOPS_SPAN=${DEVOPS_SPAN:-1d}; DEVICES=${DEVICES:-1000}; IOT_SPAN=${IOT_SPAN:-6h}
PORT=${PORT:-18100}; DATA=${DATA:-/tmp/peers-data}; WORKLOADS=${WORKLOADS:-devops iot}
OUT=${OUT:-/tmp/strata-storage-$(date -u +%Y%m%dT%H%M%S)}
SYSTEMS=${*:-strata influxdb victoria}
mkdir -p "$DATA" "$OUT"
declare -A FILE=([devops]="$DATA/devops-h$HOSTS-$DEVOPS_SPAN.lp" [iot]="$DATA/iot-d$DEVICES-$IOT_SPAN.lp")
declare -A GENARGS=([devops]="devops --hosts $HOSTS --span $DEVOPS_SPAN" [iot]="iot --devices $DEVICES --span $IOT_SPAN")
CUR=""
trap '[ -z "$CUR" ] || "$PEERS/stop.sh" "$CUR" >/dev/null' EXIT
log() { echo "[$(date -u +%H:%M:%S)] $*" >&2; }

(cd "$ROOT" && npm run build >/dev/null)
for wl in $WORKLOADS; do
  f=${FILE[$wl]}
  [ -s "$f" ] || { log "generate $wl"; node "$PEERS/gen.mjs" ${GENARGS[$wl]} --format lp --out "$f" > "$f.json"; }
done

for wl in $WORKLOADS; do
  points=$(node -e "console.log(JSON.parse(require('fs').readFileSync('${FILE[$wl]}.json','utf8')).points)")
  for sys in $SYSTEMS; do
    dir=/tmp/strata-storage-$sys-$wl; rm -rf "$dir"
    case $sys in
      strata)   start=("$ROOT/bench/start-strata.sh"); url="http://127.0.0.1:$PORT/write?db=bench&precision=ns"; kind=dir ;;
      influxdb) command -v influxd >/dev/null || { log "no influxd: skip"; continue; }
                start=("$PEERS/start-influxdb.sh"); url="http://127.0.0.1:$PORT/write?db=bench&precision=ns"; kind=influxdb ;;
      victoria) command -v victoria-metrics >/dev/null || { log "no victoria-metrics: skip"; continue; }
                start=("$PEERS/start-victoria.sh"); url="http://127.0.0.1:$PORT/write"; kind=victoria ;;
      *) log "unknown system $sys"; continue ;;
    esac
    log "$sys/$wl: start + ingest"
    CUR=$("${start[@]}" "$PORT" "$dir")
    [ "$sys" = influxdb ] && curl -fsS -XPOST "http://127.0.0.1:$PORT/query" --data-urlencode 'q=CREATE DATABASE bench' >/dev/null
    node "$PEERS/ingest.mjs" --file "${FILE[$wl]}" --url "$url" --pid "$CUR" --label "$sys" --json "$OUT/$sys-$wl-ingest.json" >/dev/null
    if [ "$sys" = strata ]; then
      curl -fsS -XPOST "http://127.0.0.1:$PORT/admin/flush" >/dev/null
      curl -fsS -XPOST "http://127.0.0.1:$PORT/admin/compact" >/dev/null
    fi
    log "$sys/$wl: settle + disk"
    node "$PEERS/disk.mjs" --kind "$kind" --dir "$dir" --url "http://127.0.0.1:$PORT" --pid "$CUR" --points "$points" \
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
