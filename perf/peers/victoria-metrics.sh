# shellcheck shell=bash
# shellcheck disable=SC2034  # PEER_PID, *_PORT and DATA_DIR are read by compare.sh.
# VictoriaMetrics (Debian `victoria-metrics`) under perf/compare.sh: Graphite TCP ingest and the
# HTTP API on free 127.0.0.1 ports, data in the scratch dir (perf-anchors.md section 2.1).

VM_BIN=${VM_BIN:-/usr/bin/victoria-metrics}

peer_available() {
  if [[ ! -x $VM_BIN ]]; then
    echo "victoria-metrics is not installed (perf/compare.sh --install-peers installs it)"
    return 1
  fi
}

# This build prints nothing for -version; the package version is the version.
peer_version() { echo "victoria-metrics $(dpkg-query -W -f='${Version}' victoria-metrics 2>/dev/null)"; }

peer_start() {
  GRAPHITE_PORT=$(free_port); HTTP_PORT=$(free_port)
  DATA_DIR=$SCRATCH/data
  # latencyOffset=0s: otherwise queries at "now" ignore the last minute of rows. The search
  # limits are raised so that counting 1 000 000 series back in one query is allowed.
  "$VM_BIN" -storageDataPath="$DATA_DIR" -httpListenAddr="127.0.0.1:$HTTP_PORT" \
    -graphiteListenAddr="127.0.0.1:$GRAPHITE_PORT" -retentionPeriod=7y \
    -search.latencyOffset=0s -search.maxUniqueTimeseries=10000000 \
    -search.maxQueryDuration=600s -search.maxSamplesPerQuery=10000000000 \
    > "$SCRATCH/vm.log" 2>&1 &
  PEER_PID=$!
  wait_port "$HTTP_PORT" "$PEER_PID" 60 && wait_port "$GRAPHITE_PORT" "$PEER_PID" 10
}

peer_bench_args() { :; }

# force_flush makes rows that are still in memory searchable; then wait for merges to calm down.
peer_settle() {
  "$SYSTEM_PYTHON" "$PERF_DIR/peer_count.py" http-get --url \
    "http://127.0.0.1:$HTTP_PORT/internal/force_flush" >&2 || true
  settle "$PEER_PID" 30 > /dev/null
}

peer_count_args() { echo victoria-metrics --http "127.0.0.1:$HTTP_PORT"; }
peer_query_args() { echo victoria-metrics --http "127.0.0.1:$HTTP_PORT"; }
peer_settings() { echo "raw samples, -retentionPeriod=7y (no rollups), fsync of parts every ~1 s"; }
peer_stop() { stop_pid "$PEER_PID" 60; }
