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
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PEERS=$(cd "$ROOT/../shared/peers" && pwd)
HOSTS=${HOSTS:-100}; DEVOPS_SPAN=${DEVOPS_SPAN:-1d}; DEVICES=${DEVICES:-1000}; IOT_SPAN=${IOT_SPAN:-6h}
BATCH=${BATCH:-5000}; CONC=${CONC:-2}; PORT=${PORT:-18100}; DATA=${DATA:-/tmp/peers-data}
WORKLOADS=${WORKLOADS:-devops iot}; OUT=${OUT:-/tmp/strata-bench-$(date -u +%Y%m%dT%H%M%S)}
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
  log "parse-only $wl"
  node --import tsx "$ROOT/bench/parse.ts" --file "${FILE[$wl]}" --runs 5 | tee "$OUT/strata-$wl-parse.txt" >&2 || log "parse bench failed"
  for sys in $SYSTEMS; do
    dir=/tmp/strata-bench-$sys-$wl; rm -rf "$dir"
    case $sys in
      strata)   start=("$ROOT/bench/start-strata.sh"); url="http://127.0.0.1:$PORT/write?db=bench&precision=ns" ;;
      influxdb) command -v influxd >/dev/null || { log "no influxd: skip"; continue; }
                start=("$PEERS/start-influxdb.sh"); url="http://127.0.0.1:$PORT/write?db=bench&precision=ns" ;;
      victoria) command -v victoria-metrics >/dev/null || { log "no victoria-metrics: skip"; continue; }
                start=("$PEERS/start-victoria.sh"); url="http://127.0.0.1:$PORT/write" ;;
      *) log "unknown system $sys"; continue ;;
    esac
    log "$sys/$wl: start"
    CUR=$("${start[@]}" "$PORT" "$dir")
    [ "$sys" = influxdb ] && curl -fsS -XPOST "http://127.0.0.1:$PORT/query" --data-urlencode 'q=CREATE DATABASE bench' >/dev/null
    log "$sys/$wl: ingest"
    node "$PEERS/ingest.mjs" --file "${FILE[$wl]}" --url "$url" --batch "$BATCH" --conc "$CONC" --pid "$CUR" \
      --label "$sys" --json "$OUT/$sys-$wl-ingest.json" >/dev/null
    "$PEERS/stop.sh" "$CUR" >/dev/null; CUR=""
    rm -rf "$dir"
  done
done
node "$ROOT/bench/report.mjs" "$OUT" | tee "$OUT/report.md"
