# Shared set-up of the side-by-side benchmarks (bench/ingest.sh, storage.sh, query.sh):
# settings from the environment, the generated datasets of ../shared/peers, and starting
# one system at a time on loopback (stopped by PID on exit). Source it; it sets:
#   ROOT PEERS HOSTS DEVOPS_SPAN DEVICES IOT_SPAN BATCH CONC PORT DATA WORKLOADS SYSTEMS
#   FILE[workload] (the line-protocol dataset), log(), ensure_datasets, start_system.
# Env: WORKLOADS="devops iot" HOSTS=100 DEVOPS_SPAN=1d DEVICES=1000 IOT_SPAN=6h BATCH=5000
#      CONC=2 PORT=18100 DATA=/tmp/peers-data
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PEERS=$(cd "$ROOT/../shared/peers" && pwd)
HOSTS=${HOSTS:-100}; DEVOPS_SPAN=${DEVOPS_SPAN:-1d}; DEVICES=${DEVICES:-1000}; IOT_SPAN=${IOT_SPAN:-6h}
BATCH=${BATCH:-5000}; CONC=${CONC:-2}; PORT=${PORT:-18100}; DATA=${DATA:-/tmp/peers-data}
WORKLOADS=${WORKLOADS:-devops iot}
mkdir -p "$DATA"
declare -A FILE=([devops]="$DATA/devops-h$HOSTS-$DEVOPS_SPAN.lp" [iot]="$DATA/iot-d$DEVICES-$IOT_SPAN.lp")
declare -A GENARGS=([devops]="devops --hosts $HOSTS --span $DEVOPS_SPAN" [iot]="iot --devices $DEVICES --span $IOT_SPAN")
CUR=""
trap '[ -z "$CUR" ] || "$PEERS/stop.sh" "$CUR" >/dev/null' EXIT
log() { echo "[$(date -u +%H:%M:%S)] $*" >&2; }

# Builds Strata and generates the datasets of $WORKLOADS that are missing.
ensure_datasets() {
  (cd "$ROOT" && npm run build >/dev/null)
  local wl f
  for wl in $WORKLOADS; do
    f=${FILE[$wl]}
    [ -s "$f" ] || { log "generate $wl"; node "$PEERS/gen.mjs" ${GENARGS[$wl]} --format lp --out "$f" > "$f.json"; }
  done
}

# start_system SYS DIR [keep]: starts strata, influxdb, victoria or prometheus on $PORT with its
# state in DIR; sets CUR (the PID), WRITE_URL (line-protocol write URL, empty for
# prometheus) and KIND (for peers/disk.mjs). DIR is emptied first unless "keep" is given
# (a backfilled Prometheus). Returns 1 (after logging) when SYS is not
# installed or unknown.
start_system() {
  local sys=$1 dir=$2 keep=${3:-} start
  WRITE_URL="http://127.0.0.1:$PORT/write?db=bench&precision=ns"; KIND=$sys
  case $sys in
    strata)     start="$ROOT/bench/start-strata.sh"; KIND=dir ;;
    influxdb)   command -v influxd >/dev/null || { log "no influxd: skip"; return 1; }
                start="$PEERS/start-influxdb.sh" ;;
    victoria)   command -v victoria-metrics >/dev/null || { log "no victoria-metrics: skip"; return 1; }
                start="$PEERS/start-victoria.sh"; WRITE_URL="http://127.0.0.1:$PORT/write" ;;
    prometheus) command -v prometheus >/dev/null || { log "no prometheus: skip"; return 1; }
                start="$PEERS/start-prometheus.sh"; WRITE_URL="" ;;
    *) log "unknown system $sys"; return 1 ;;
  esac
  [ "$keep" = keep ] || rm -rf "$dir"
  CUR=$("$start" "$PORT" "$dir")
  if [ "$sys" = influxdb ]; then
    curl -fsS -XPOST "http://127.0.0.1:$PORT/query" --data-urlencode 'q=CREATE DATABASE bench' >/dev/null
  fi
}

# Stops the running system by its PID and removes DIR.
stop_system() {
  "$PEERS/stop.sh" "$CUR" >/dev/null; CUR=""
  rm -rf "$1"
}
