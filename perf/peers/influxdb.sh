# shellcheck shell=bash
# shellcheck disable=SC2034  # PEER_PID, *_PORT and DATA_DIR are read by compare.sh.
# InfluxDB 1.x (Debian `influxdb`) under perf/compare.sh: its [[graphite]] input with the template
# of perf-anchors.md section 2.3, on free 127.0.0.1 ports, data and WAL in the scratch dir.

INFLUXD_BIN=${INFLUXD_BIN:-/usr/bin/influxd}

peer_available() {
  if [[ ! -x $INFLUXD_BIN ]]; then
    echo "influxdb is not installed (perf/compare.sh --install-peers installs it)"
    return 1
  fi
}

peer_version() { "$INFLUXD_BIN" version 2>/dev/null | head -n1; }

peer_start() {
  GRAPHITE_PORT=$(free_port); HTTP_PORT=$(free_port)
  local rpc_port root=$SCRATCH/influx
  rpc_port=$(free_port)
  # Only meta, data and WAL live under DATA_DIR, whose size compare.sh reports as the store's;
  # the configuration and the log stay beside it.
  DATA_DIR=$root
  mkdir -p "$root"
  # The template makes rsb.hHHHH.mMMMM measurement "rsb" with tags host and metric, so one query
  # counts every series.
  cat > "$SCRATCH/influx.conf" <<CONF
reporting-disabled = true
bind-address = "127.0.0.1:$rpc_port"
[meta]
  dir = "$root/meta"
[data]
  dir = "$root/data"
  wal-dir = "$root/wal"
  query-log-enabled = false
  max-series-per-database = 0
  max-values-per-tag = 0
[monitor]
  store-enabled = false
[http]
  enabled = true
  bind-address = "127.0.0.1:$HTTP_PORT"
  log-enabled = false
[[graphite]]
  enabled = true
  bind-address = "127.0.0.1:$GRAPHITE_PORT"
  database = "graphite"
  protocol = "tcp"
  templates = ["measurement.host.metric"]
CONF
  "$INFLUXD_BIN" -config "$SCRATCH/influx.conf" > "$SCRATCH/influx.log" 2>&1 &
  PEER_PID=$!
  wait_port "$HTTP_PORT" "$PEER_PID" 60 && wait_port "$GRAPHITE_PORT" "$PEER_PID" 10
}

peer_bench_args() { :; }

# The graphite input writes in batches (1 s timeout); wait for them and the cache snapshot.
peer_settle() { settle "$PEER_PID" 60 > /dev/null; }

peer_count_args() { echo influxdb --http "127.0.0.1:$HTTP_PORT"; }
peer_query_args() { :; }
peer_settings() { echo "one retention policy, no continuous queries, WAL fsync per batch"; }
peer_stop() { stop_pid "$PEER_PID" 60; }
