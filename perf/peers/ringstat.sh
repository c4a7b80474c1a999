# shellcheck shell=bash
# shellcheck disable=SC2034  # PEER_PID, *_PORT and DATA_DIR are read by compare.sh.
# ringstat under perf/compare.sh: `ringstat serve` with a scratch store, Graphite + HTTP + admin
# ports on 127.0.0.1. Sourced by compare.sh in a subshell; see lib.sh for the helpers.

peer_available() {
  if [[ ! -x $RINGSTAT_BIN ]]; then
    echo "no ringstat binary at $RINGSTAT_BIN (build it: make build)"
    return 1
  fi
}

peer_version() { "$RINGSTAT_BIN" --version 2>/dev/null | head -n1; }

# The daemon's default, given to both the daemon and the bench so their levels agree.
RINGSTAT_RETENTION=10s:10d,5m:1y9d,1h:6y12d

# Sets PEER_PID, GRAPHITE_PORT, HTTP_PORT, ADMIN_PORT, DATA_DIR.
peer_start() {
  GRAPHITE_PORT=$(free_port); HTTP_PORT=$(free_port); ADMIN_PORT=$(free_port)
  local stat_port; stat_port=$(free_port)
  DATA_DIR=$SCRATCH/store
  local threads_flag=()
  if [[ -n $THREADS ]]; then threads_flag=(--threads "$THREADS"); fi
  "$RINGSTAT_BIN" serve --store "$DATA_DIR" --listen-address 127.0.0.1 \
    --stat-port "$stat_port" --graphite-port "$GRAPHITE_PORT" --http-port "$HTTP_PORT" \
    --admin-port "$ADMIN_PORT" --retention "$RINGSTAT_RETENTION" "${threads_flag[@]}" \
    > "$SCRATCH/ringstat.log" 2>&1 &
  PEER_PID=$!
  wait_port "$HTTP_PORT" "$PEER_PID" 60 && wait_port "$GRAPHITE_PORT" "$PEER_PID" 10 &&
    wait_port "$ADMIN_PORT" "$PEER_PID" 10
}

# The bench's own zero-loss check and its concurrent one-day queries run only against ringstat;
# the admin port also gives the flush that ends the written-bytes window and the store's pages
# per level, and the store directory its size.
peer_bench_args() {
  echo --check-loss --admin "127.0.0.1:$ADMIN_PORT" --http "127.0.0.1:$HTTP_PORT" \
    --query-concurrency 2 --store-dir "$DATA_DIR" --retention "$RINGSTAT_RETENTION"
}

# `flush` on the admin port makes everything read so far durable and queryable.
peer_settle() {
  "$SYSTEM_PYTHON" "$PERF_DIR/peer_count.py" admin-flush --admin "127.0.0.1:$ADMIN_PORT" >&2 || true
}

peer_count_args() { echo ringstat --http "127.0.0.1:$HTTP_PORT"; }
peer_query_args() { echo ringstat --http "127.0.0.1:$HTTP_PORT"; }
peer_settings() { echo "retention $RINGSTAT_RETENTION (3 levels, pre-aggregated), WAL commit 1000 ms, threads ${THREADS:-default}"; }
peer_stop() { stop_pid "$PEER_PID" 120; }
