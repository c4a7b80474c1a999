#!/usr/bin/env bash
# ringstat side by side with VictoriaMetrics, carbon-cache and InfluxDB: the same Graphite
# workload (same names, rate, duration, the steady workload's timestamps) against each server in
# turn, on 127.0.0.1 with a fresh scratch directory, every stored point counted back, one table on
# stdout with each server's cost, disk bytes written per sample and data directory bytes per point.
# Usage: perf/compare.sh --help. Peers are installed only with --install-peers.
set -euo pipefail

PERF_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT_DIR=$(cd "$PERF_DIR/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT_DIR/build}
RINGSTAT_BIN=${RINGSTAT_BIN:-$BUILD_DIR/cmd/ringstat}
RINGSTAT_BENCH=${RINGSTAT_BENCH:-$BUILD_DIR/perf/ringstat-bench}
# shellcheck source-path=SCRIPTDIR source=peers/lib.sh
source "$PERF_DIR/peers/lib.sh"

ALL_SERVERS=ringstat,victoria-metrics,carbon,influxdb
PEER_PACKAGES="victoria-metrics graphite-carbon python3-whisper influxdb"
COUNTERS=100000
DURATION_S=10
RATE=max
CONNECTIONS=4
THREADS=
SERVERS=$ALL_SERVERS
JSON_DIR=
INSTALL_PEERS=0
# Before each server starts, wait up to IDLE_WAIT_S for the box to be at most IDLE_BUSY_PCT busy.
IDLE_BUSY_PCT=10
IDLE_WAIT_S=30

usage() {
  cat <<USAGE
usage: perf/compare.sh [--install-peers] [--counters N] [--duration S] [--rate R|max]
                       [--connections C] [--threads T] [--servers LIST] [--json-dir DIR]
  --install-peers   apt-get install $PEER_PACKAGES first (root)
  --counters N      distinct counter names (default $COUNTERS)
  --duration S      timed seconds of load per server (default $DURATION_S)
  --rate R|max      offered samples/s, open loop (default $RATE)
  --connections C   TCP connections of the load generator (default $CONNECTIONS)
  --threads T       ringstat reactors (default: ringstat's own, one per online CPU)
  --servers LIST    comma-separated subset of $ALL_SERVERS
  --json-dir DIR    keep every JSON (bench, count, query, summary) there; default: deleted
Environment: BUILD_DIR (build), RINGSTAT_BIN, RINGSTAT_BENCH (the load generator).
USAGE
}

while (($#)); do
  case $1 in
    --install-peers) INSTALL_PEERS=1; shift ;;
    --counters) COUNTERS=$2; shift 2 ;;
    --duration) DURATION_S=$2; shift 2 ;;
    --rate) RATE=$2; shift 2 ;;
    --connections) CONNECTIONS=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --servers) SERVERS=$2; shift 2 ;;
    --json-dir) JSON_DIR=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "compare.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
  esac
done

for number in "$COUNTERS" "$DURATION_S" "$CONNECTIONS" ${THREADS:+"$THREADS"}; do
  [[ $number =~ ^[1-9][0-9]*$ ]] || { echo "compare.sh: '$number' is not a positive integer" >&2; exit 2; }
done
[[ $RATE == max || $RATE =~ ^[1-9][0-9]*$ ]] || { echo "compare.sh: --rate takes a number or max" >&2; exit 2; }
IFS=, read -r -a SERVER_LIST <<< "$SERVERS"
for server in "${SERVER_LIST[@]}"; do
  [[ ,$ALL_SERVERS, == *",$server,"* ]] || { echo "compare.sh: unknown server '$server' (known: $ALL_SERVERS)" >&2; exit 2; }
done

# A package's own service would listen on the default ports (2003, 8428, 8086); the runs below use
# their own instances on free ports, so any service a package started is stopped and disabled.
install_peers() {
  if [[ $(id -u) -ne 0 ]]; then echo "compare.sh: --install-peers needs root" >&2; exit 1; fi
  log "installing $PEER_PACKAGES (apt-get)"
  apt-get update -qq
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $PEER_PACKAGES >&2
  local service
  for service in victoria-metrics carbon-cache influxdb; do
    if command -v systemctl > /dev/null && systemctl is-active --quiet "$service" 2>/dev/null; then
      log "stopping and disabling the package's $service service"
      systemctl stop "$service" || true
      systemctl disable "$service" 2>/dev/null || true
    fi
  done
}

if ((INSTALL_PEERS)); then install_peers; fi

if [[ ! -x $RINGSTAT_BENCH ]]; then
  echo "compare.sh: no load generator at $RINGSTAT_BENCH (build it: ninja -C $BUILD_DIR perf/ringstat-bench)" >&2
  exit 1
fi

WORK_DIR=$(mktemp -d "${TMPDIR:-/tmp}/ringstat-compare.XXXXXX")
KEEP_JSON=1
if [[ -z $JSON_DIR ]]; then JSON_DIR=$WORK_DIR/json; KEEP_JSON=0; fi
mkdir -p "$JSON_DIR"
cleanup() { rm -rf "$WORK_DIR"; }
trap cleanup EXIT

# Every server gets the same t0, two days back and on a bucket boundary, which every peer accepts
# and which keeps all of a run's samples inside the one-day query window that ends at the data.
T0=$(( ($(date +%s) - 2 * 86400) / 10 * 10 ))
STARTED_AT=$(date -u '+%Y-%m-%d %H:%M:%S UTC')

# Runs one server from start to stop in a subshell, so that its peer script's functions and its
# trap stay local. Leaves $JSON_DIR/<server>.{bench,count,query,meta}.json behind.
run_server() (
  local server=$1 reason
  # shellcheck source=/dev/null
  source "$PERF_DIR/peers/$server.sh"
  if ! reason=$(peer_available); then
    log "skipping $server: $reason"
    printf '{"server":"%s","skipped":"%s"}\n' "$server" "$reason" > "$JSON_DIR/$server.meta.json"
    return 0
  fi
  SCRATCH=$(mktemp -d "$WORK_DIR/$server.XXXXXX")
  PEER_PID=
  trap '[[ -n $PEER_PID ]] && stop_pid "$PEER_PID" 60; rm -rf "$SCRATCH"' EXIT
  # Hygiene (perf-anchors.md section 4): start on an idle box where possible, but never wait for
  # long, since others may share it; the table shows how busy it was.
  local busy_pct waited_s=0
  busy_pct=$(box_busy_pct)
  while ((busy_pct > IDLE_BUSY_PCT && waited_s < IDLE_WAIT_S)); do
    busy_pct=$(box_busy_pct)
    waited_s=$((waited_s + 1))
  done
  log "$server: starting ($(peer_version)); the box was ${busy_pct}% busy over the last second"
  if ! peer_start; then
    log "$server: did not come up; its log:"
    tail -n 20 "$SCRATCH"/*.log "$SCRATCH"/*/*.log "$SCRATCH"/*/*.out 2>/dev/null >&2 || true
    printf '{"server":"%s","skipped":"did not start"}\n' "$server" > "$JSON_DIR/$server.meta.json"
    return 0
  fi
  log "$server: pid $PEER_PID, graphite 127.0.0.1:$GRAPHITE_PORT; ingesting $COUNTERS counters for ${DURATION_S}s at rate $RATE"
  local bench_status=0
  # shellcheck disable=SC2046
  "$RINGSTAT_BENCH" ingest --protocol graphite --target "127.0.0.1:$GRAPHITE_PORT" \
    --server-pid "$PEER_PID" --counters "$COUNTERS" --rate "$RATE" --duration "$DURATION_S" \
    --connections "$CONNECTIONS" --warmup --timestamps steady --t0 "$T0" --label "$server" \
    --json "$JSON_DIR/$server.bench.json" $(peer_bench_args) \
    > "$JSON_DIR/$server.bench.out" 2> "$JSON_DIR/$server.bench.err" || bench_status=$?
  if ((bench_status != 0)); then
    log "$server: the bench exited with status $bench_status; its last lines:"
    tail -n 5 "$JSON_DIR/$server.bench.err" >&2
  fi
  local hz cpu_after_load settle_began settled_s drain_cpu_s
  hz=$(getconf CLK_TCK)
  cpu_after_load=$(cpu_ticks "$PEER_PID")
  settle_began=$SECONDS
  log "$server: load done; waiting until it has stored everything"
  peer_settle
  settled_s=$((SECONDS - settle_began))
  drain_cpu_s=$(awk -v a="$cpu_after_load" -v b="$(cpu_ticks "$PEER_PID")" -v hz="$hz" \
    'BEGIN { printf "%.2f", (b - a) / hz }')
  # Whole-life figures, read before the count-back queries inflate the peers' memory.
  local hwm_kib total_cpu_s write_bytes du_kib
  hwm_kib=$(awk '/^VmHWM:/ { print $2 }' "/proc/$PEER_PID/status" 2>/dev/null || echo 0)
  total_cpu_s=$(awk -v t="$(cpu_ticks "$PEER_PID")" -v hz="$hz" 'BEGIN { printf "%.2f", t / hz }')
  write_bytes=$(awk '/^write_bytes:/ { print $2 }' "/proc/$PEER_PID/io" 2>/dev/null || echo null)
  du_kib=$(du -sk "$DATA_DIR" 2>/dev/null | awk '{ print $1 }')
  log "$server: counting back"
  # shellcheck disable=SC2046
  if ! "$SYSTEM_PYTHON" "$PERF_DIR/peer_count.py" count $(peer_count_args) \
      --counters "$COUNTERS" --t0 "$T0" > "$JSON_DIR/$server.count.json"; then
    log "$server: counting back failed"
    rm -f "$JSON_DIR/$server.count.json"
  fi
  local query_args rounds
  query_args=$(peer_query_args)
  rounds=$("$SYSTEM_PYTHON" -c 'import json, sys
try: print(json.load(open(sys.argv[1]))["max_rounds"])
except Exception: print(0)' "$JSON_DIR/$server.count.json")
  if [[ -n $query_args && $rounds -gt 0 ]]; then
    log "$server: 300 one-day queries at 10 s"
    # shellcheck disable=SC2086
    "$SYSTEM_PYTHON" "$PERF_DIR/peer_count.py" query $query_args --counters "$COUNTERS" \
      --t0 "$T0" --rounds "$rounds" > "$JSON_DIR/$server.query.json" ||
      { log "$server: query run failed"; rm -f "$JSON_DIR/$server.query.json"; }
  fi
  "$SYSTEM_PYTHON" -c 'import json, sys
keys = ["server", "version", "settings", "pid", "bench_status", "settle_s", "drain_cpu_s",
        "total_cpu_s", "vm_hwm_kib", "write_bytes", "du_kib", "busy_pct_before"]
values = sys.argv[1:]
meta = dict(zip(keys, values))
for key in keys[3:]:
    meta[key] = None if meta[key] in ("", "null") else float(meta[key])
for key in ["pid", "bench_status"]:
    meta[key] = int(meta[key])
print(json.dumps(meta))' "$server" "$(peer_version)" "$(peer_settings)" "$PEER_PID" "$bench_status" \
    "$settled_s" "$drain_cpu_s" "$total_cpu_s" "$hwm_kib" "$write_bytes" "$du_kib" "$busy_pct" \
    > "$JSON_DIR/$server.meta.json"
  log "$server: stopping"
  stop_pid "$PEER_PID" 120
  PEER_PID=
)

for server in "${SERVER_LIST[@]}"; do
  run_server "$server"
done

"$SYSTEM_PYTHON" "$PERF_DIR/peers/table.py" --json-dir "$JSON_DIR" --servers "$SERVERS" \
  --counters "$COUNTERS" --duration "$DURATION_S" --rate "$RATE" --connections "$CONNECTIONS" \
  --threads "${THREADS:-default}" --t0 "$T0" --date "$STARTED_AT"
if ((KEEP_JSON)); then log "JSON files in $JSON_DIR"; fi
