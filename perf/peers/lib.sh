# shellcheck shell=bash
# Helpers shared by perf/compare.sh and the per-server scripts in perf/peers/ (sourced, bash).
# Owned by the perf harness; every server it starts listens on 127.0.0.1 only, on free ports.

# Debian's python3 has the whisper module; a pyenv python3 earlier on PATH does not.
SYSTEM_PYTHON=${SYSTEM_PYTHON:-/usr/bin/python3}

log() { echo "compare: $*" >&2; }

# Prints a TCP port on 127.0.0.1 that nothing listens on right now. The kernel picks it from the
# ephemeral range, which never holds a system service's well-known port.
free_port() {
  "$SYSTEM_PYTHON" -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# wait_port PORT PID SECONDS: succeeds once 127.0.0.1:PORT accepts a connection; fails early if
# PID died (the server refused its configuration) or after SECONDS.
wait_port() {
  local port=$1 pid=$2 limit_s=$3 waited_ds=0
  while ((waited_ds < limit_s * 10)); do
    if ! kill -0 "$pid" 2>/dev/null; then return 1; fi
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    sleep 0.1
    waited_ds=$((waited_ds + 1))
  done
  return 1
}

# Server CPU time (utime + stime) in clock ticks, from /proc/PID/stat. Field 2 may contain spaces,
# so the fields are counted from the closing parenthesis.
cpu_ticks() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }
  stat=${stat##*) }
  # shellcheck disable=SC2086
  set -- $stat
  echo $(( ${12} + ${13} ))
}

# settle PID MAX_S: waits until the server has used less than 5 % of a core for 3 seconds in a
# row (its cache drained, its merges done) or MAX_S passed. Prints the seconds it waited.
settle() {
  local pid=$1 max_s=$2 hz quiet_s=0 waited_s=0 before after
  hz=$(getconf CLK_TCK)
  before=$(cpu_ticks "$pid")
  while ((waited_s < max_s && quiet_s < 3)); do
    sleep 1
    waited_s=$((waited_s + 1))
    after=$(cpu_ticks "$pid")
    if (((after - before) * 100 < 5 * hz)); then quiet_s=$((quiet_s + 1)); else quiet_s=0; fi
    before=$after
  done
  echo "$waited_s"
}

# stop_pid PID SECONDS: SIGTERM (every server here flushes on it), then SIGKILL after SECONDS.
# Only ever called with the pid of a server this harness started.
stop_pid() {
  local pid=$1 limit_s=$2 waited_ds=0
  kill -TERM "$pid" 2>/dev/null || return 0
  while kill -0 "$pid" 2>/dev/null && ((waited_ds < limit_s * 10)); do
    sleep 0.1
    waited_ds=$((waited_ds + 1))
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "pid $pid did not stop within ${limit_s}s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null
  fi
  wait "$pid" 2>/dev/null || true
}

# Prints how busy the whole box was over the next second, in percent of all CPUs, from /proc/stat
# (the hygiene check of perf-anchors.md section 4: others may share the machine).
box_busy_pct() {
  local -a before after
  read -r -a before < /proc/stat
  sleep 1
  read -r -a after < /proc/stat
  awk -v b="${before[*]:1}" -v a="${after[*]:1}" 'BEGIN {
    nb = split(b, xb, " "); split(a, xa, " ")
    for (i = 1; i <= nb; i++) { total += xa[i] - xb[i]; if (i == 4 || i == 5) idle += xa[i] - xb[i] }
    printf "%.0f", (total > 0 ? 100 * (total - idle) / total : 0) }'
}
