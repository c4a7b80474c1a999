// The daemon's own metrics, added up over every reactor's snapshot: Prometheus text for
// GET /metrics and `key=value` lines for the admin `stats` command. Pure functions of the
// snapshots; run on the reactor that asked.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "net/daemon/reactor_metrics.h"

namespace ringstat {

// "ENOSPC" for ENOSPC; the number when the C library has no name for it.
std::string errno_name(int error);

void render_daemon_metrics(const std::vector<MetricsSnapshot>& snapshots, std::string& out);

std::vector<std::pair<std::string, std::string>> daemon_stats_lines(
    const std::vector<MetricsSnapshot>& snapshots);

}  // namespace ringstat
