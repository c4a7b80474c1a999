// ReactorMetrics: the daemon's own counters as one reactor sees them. Plain integers written only
// by the owning reactor (no atomics on the data path); GET /metrics and admin `stats` copy them on
// each reactor's thread and add the copies up (net/daemon/daemon_metrics.h).
#pragma once

#include <array>
#include <cstdint>
#include <map>

#include "engine/ingest/ingest_counters.h"
#include "engine/store/shard_types.h"
#include "net/http/latency_histogram.h"
#include "net/uring/ring.h"

namespace ringstat {

// Which bound a connection's deadline enforces (DaemonConfig: http_request_timeout_ms, ...).
enum class ConnectionDeadline : uint8_t { kNone, kHttpRequest, kHttpIdle, kAdminIdle, kCount };
inline constexpr size_t kConnectionDeadlineCount = static_cast<size_t>(ConnectionDeadline::kCount);

struct ReactorMetrics {
  IngestCountersByListener ingest{};  // engine/ingest/ingest_counters.h
  uint64_t connections_accepted = 0;
  uint64_t connections_closed = 0;
  uint64_t accept_errors = 0;
  uint64_t accept_backoffs = 0;      // accepts paused because descriptors ran out (EMFILE, ...)
  uint64_t connections_refused = 0;  // ingest connections over the open-file budget, closed
  uint64_t admin_rejected = 0;       // admin connections whose first line was no command
  // Connections closed because a deadline passed, by ConnectionDeadline (net/daemon/reactor.h).
  std::array<uint64_t, kConnectionDeadlineCount> timeouts{};
  uint64_t receive_bytes = 0;
  uint64_t receive_completions = 0;
  uint64_t enobufs = 0;           // multishot receives that ran out of provided buffers
  uint64_t multishot_rearms = 0;  // receives re-armed after a multishot ended
  uint64_t udp_datagrams = 0;
  uint64_t udp_truncated = 0;     // datagrams larger than a buffer (dropped, counted)
  uint64_t deferred_buffers = 0;  // receive buffers held back by back-pressure
  uint64_t remote_batches_sent = 0;
  uint64_t remote_batches_received = 0;
  uint64_t doorbells_sent = 0;
  std::map<int, uint64_t> http_requests;  // by status code
  uint64_t http_refused_backlog = 0;      // requests refused: tasks to a peer over their bound
  LatencyHistogram http_latency;
};

// One reactor's contribution to GET /metrics, taken on its own thread.
struct MetricsSnapshot {
  uint32_t reactor = 0;
  ReactorMetrics metrics;
  Ring::Stats ring;
  std::vector<ShardStats> shards;
  uint32_t open_connections = 0;
  uint32_t buffers_outstanding = 0;
};

}  // namespace ringstat
