# shellcheck shell=bash
# shellcheck disable=SC2034  # PEER_PID, *_PORT and DATA_DIR are read by compare.sh.
# graphite carbon-cache + whisper (Debian `graphite-carbon`, `python3-whisper`) under
# perf/compare.sh: the configuration of perf-anchors.md section 2.2, on free 127.0.0.1 ports.

CARBON_BIN=${CARBON_BIN:-/usr/bin/carbon-cache}

peer_available() {
  if [[ ! -x $CARBON_BIN ]]; then
    echo "graphite-carbon is not installed (perf/compare.sh --install-peers installs it)"
    return 1
  fi
  if ! "$SYSTEM_PYTHON" -c 'import whisper' 2>/dev/null; then
    echo "python3-whisper is missing for $SYSTEM_PYTHON (needed to count carbon's points back)"
    return 1
  fi
}

peer_version() {
  echo "carbon $(dpkg-query -W -f='${Version}' graphite-carbon 2>/dev/null)," \
    "whisper $(dpkg-query -W -f='${Version}' python3-whisper 2>/dev/null)"
}

peer_start() {
  GRAPHITE_PORT=$(free_port); HTTP_PORT=
  local pickle_port query_port root=$SCRATCH/carbon
  pickle_port=$(free_port); query_port=$(free_port)
  DATA_DIR=$root/storage/whisper
  mkdir -p "$root/conf" "$root/storage/whisper" "$root/storage/lists" "$root/log" "$root/run"
  # The limits are lifted: the defaults (500 updates/s, 50 creates/min) would throttle carbon far
  # below what it can do. Sparse files, no tags (tags would POST every new name to graphite-web).
  cat > "$root/conf/carbon.conf" <<CONF
[cache]
STORAGE_DIR = $root/storage/
LOCAL_DATA_DIR = $root/storage/whisper/
WHITELISTS_DIR = $root/storage/lists/
CONF_DIR = $root/conf/
LOG_DIR = $root/log/
PID_DIR = $root/run/
DATABASE = whisper
USER =
MAX_CACHE_SIZE = inf
MAX_UPDATES_PER_SECOND = inf
MAX_CREATES_PER_MINUTE = inf
LINE_RECEIVER_INTERFACE = 127.0.0.1
LINE_RECEIVER_PORT = $GRAPHITE_PORT
ENABLE_UDP_LISTENER = False
PICKLE_RECEIVER_INTERFACE = 127.0.0.1
PICKLE_RECEIVER_PORT = $pickle_port
CACHE_QUERY_INTERFACE = 127.0.0.1
CACHE_QUERY_PORT = $query_port
CACHE_WRITE_STRATEGY = sorted
WHISPER_AUTOFLUSH = False
WHISPER_SPARSE_CREATE = True
WHISPER_FALLOCATE_CREATE = False
ENABLE_TAGS = False
CONF
  printf '[istatd_like]\npattern = .*\nretentions = 10s:10d,5m:1y,1h:6y\n' \
    > "$root/conf/storage-schemas.conf"
  printf '[default]\npattern = .*\nxFilesFactor = 0\naggregationMethod = average\n' \
    > "$root/conf/storage-aggregation.conf"
  (cd "$root" && exec "$CARBON_BIN" --config="$root/conf/carbon.conf" --nodaemon \
    --pidfile="$root/run/carbon.pid" start > "$root/carbon.out" 2>&1) &
  PEER_PID=$!
  wait_port "$GRAPHITE_PORT" "$PEER_PID" 60
}

peer_bench_args() { :; }

# carbon acknowledges lines into an in-memory cache and writes whisper files behind it; the points
# are only countable once the cache drained, which shows as its CPU going quiet.
peer_settle() { settle "$PEER_PID" 600 > /dev/null; }

peer_count_args() { echo carbon --whisper-dir "$DATA_DIR"; }
# A one-day query needs graphite-web, which this harness does not run.
peer_query_args() { :; }
peer_settings() { echo "whisper 10s:10d,5m:1y,1h:6y, sparse files, no fsync (the cache is lost on crash)"; }
peer_stop() { stop_pid "$PEER_PID" 60; }
