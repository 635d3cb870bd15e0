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

# pair_rounds NAME_A PORT_A NAME_B PORT_B: $ROUNDS runs of query $Q (PromQL, ../shared/peers/
# query.mjs, $N measured after 2 warm-up runs) against both servers, each round a fresh
# client with its own seed run against both with that seed, the order swapped every round;
# prints each round's pair of medians, then the median of each column, the rounds A is
# faster in and the median ratio A/B. Used by query-pair.sh and strata-pair.sh.
# WIRE=1 also captures the loopback traffic of the rounds with tcpdump (root) and prints
# each server's time per request, read off the packets (bench/wire-times.mjs).
pair_rounds() {
  local na=$1 pa=$2 nb=$3 pb=$4 r a b rows="" wire="" pcap=/tmp/strata-pair-wire.pcap
  if [ "${WIRE:-0}" = 1 ]; then
    command -v tcpdump >/dev/null || { log "WIRE=1 needs tcpdump (apt-get install tcpdump)"; exit 1; }
    rm -f "$pcap"
    tcpdump -i lo -s 200 -w "$pcap" "tcp port $pa or tcp port $pb" >/dev/null 2>&1 &
    wire=$!
    sleep 1
  fi
  log "$ROUNDS rounds of $Q"
  echo "| round | $na ms | $nb ms |"
  echo "|---:|---:|---:|"
  for r in $(seq 1 "$ROUNDS"); do
    if [ $((r % 2)) = 0 ]; then a=$(pair_median "$pa" "$r"); b=$(pair_median "$pb" "$r")
    else b=$(pair_median "$pb" "$r"); a=$(pair_median "$pa" "$r"); fi
    echo "| $r | $a | $b |"
    rows+="$a $b"$'\n'
  done
  printf '%s' "$rows" | NA="$na" NB="$nb" node -e '
    const rows = require("fs").readFileSync(0, "utf8").trim().split("\n").map((l) => l.split(" ").map(Number));
    const med = (a) => { const b = [...a].sort((x, y) => x - y); const m = b.length >> 1; return b.length % 2 ? b[m] : (b[m - 1] + b[m]) / 2; };
    const { NA, NB } = process.env;
    console.log(`\nmedians: ${NA} ${med(rows.map((r) => r[0])).toFixed(2)} ms, ${NB} ${med(rows.map((r) => r[1])).toFixed(2)} ms; ` +
      `${NA} faster in ${rows.filter(([a, b]) => a < b).length} of ${rows.length} rounds; median ratio ${med(rows.map(([a, b]) => a / b)).toFixed(3)}`);'
  if [ -n "$wire" ]; then
    sleep 0.5; kill "$wire"; wait "$wire" 2>/dev/null || true
    echo
    node "$ROOT/bench/wire-times.mjs" "$pcap" "$na=$pa" "$nb=$pb"
    rm -f "$pcap"
  fi
}

# pair_median PORT SEED: the median ms of query $Q against the server on PORT.
pair_median() {
  node "$PEERS/query.mjs" --target promql --url "http://127.0.0.1:$1" --hosts "$HOSTS" --span "$DEVOPS_SPAN" --n "$N" --warmup 2 \
    --only "$Q" --seed "$2" 2>&1 >/dev/null | grep -o 'median *[0-9.]*' | awk '{print $2}'
}
