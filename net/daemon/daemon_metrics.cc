#include "net/daemon/daemon_metrics.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <string_view>
#include <utility>

#include "net/http/prometheus.h"

namespace ringstat {

namespace {

constexpr std::string_view kListenerNames[kIngestListenerCount] = {"stat_tcp", "stat_udp",
                                                                   "graphite_tcp", "graphite_udp"};

constexpr std::string_view kDeadlineNames[kConnectionDeadlineCount] = {"none", "http_request",
                                                                       "http_idle", "admin_idle"};

template <class Field>
uint64_t sum_shards(const std::vector<MetricsSnapshot>& snapshots, Field field) {
  uint64_t total = 0;
  for (const MetricsSnapshot& snapshot : snapshots) {
    for (const ShardStats& shard : snapshot.shards) total += field(shard);
  }
  return total;
}

template <class Field>
uint64_t sum_reactors(const std::vector<MetricsSnapshot>& snapshots, Field field) {
  uint64_t total = 0;
  for (const MetricsSnapshot& snapshot : snapshots) total += field(snapshot);
  return total;
}

void shard_counter(PrometheusWriter& writer, const std::vector<MetricsSnapshot>& snapshots,
                   std::string_view name, std::string_view help, uint64_t ShardStats::*field) {
  writer.family(name, help, MetricType::kCounter);
  writer.sample({}, sum_shards(snapshots, [field](const ShardStats& s) { return s.*field; }));
}

void reactor_counter(PrometheusWriter& writer, const std::vector<MetricsSnapshot>& snapshots,
                     std::string_view name, std::string_view help,
                     uint64_t ReactorMetrics::*field) {
  writer.family(name, help, MetricType::kCounter);
  writer.sample(
      {}, sum_reactors(snapshots, [field](const MetricsSnapshot& s) { return s.metrics.*field; }));
}

template <class Field>
void per_reactor(PrometheusWriter& writer, const std::vector<MetricsSnapshot>& snapshots,
                 std::string_view name, std::string_view help, Field field) {
  writer.family(name, help, MetricType::kCounter);
  for (const MetricsSnapshot& s : snapshots) {
    writer.sample({{"reactor", std::to_string(s.reactor)}}, field(s));
  }
}

// Failed store operations summed over shards by (operation, errno), each errno by its name.
void store_errors(PrometheusWriter& writer, const std::vector<MetricsSnapshot>& snapshots) {
  std::map<std::pair<std::string, std::string>, uint64_t> by_kind;
  for (const MetricsSnapshot& snapshot : snapshots) {
    for (const ShardStats& shard : snapshot.shards) {
      for (const StoreErrorCount& error : shard.store_errors) {
        if (error.count == 0) continue;
        by_kind[{store_op_name(error.op), errno_name(error.error)}] += error.count;
      }
    }
  }
  writer.family("ringstat_store_errors_total",
                "Store file operations that failed, by operation and errno.", MetricType::kCounter);
  for (const auto& [kind, count] : by_kind) {
    writer.sample({{"op", kind.first}, {"errno", kind.second}}, count);
  }
  writer.family(
      "ringstat_store_failing_shards",
      "Shards whose store is failing (a full disk, I/O errors) and retrying with backoff.",
      MetricType::kGauge);
  writer.sample(
      {}, sum_shards(snapshots, [](const ShardStats& s) { return uint64_t{s.store_failing}; }));
}

// The most levels of any retention a shard knows: every level index below it gets a sample, so
// a level shows as 0 before its first page rather than missing.
uint32_t retention_levels_max(const std::vector<MetricsSnapshot>& snapshots) {
  uint32_t levels = 0;
  for (const MetricsSnapshot& snapshot : snapshots) {
    for (const ShardStats& shard : snapshot.shards) {
      levels = std::max(levels, shard.retention_levels_max);
    }
  }
  return levels;
}

uint64_t store_pages(const std::vector<MetricsSnapshot>& snapshots, uint32_t level) {
  return sum_shards(snapshots, [level](const ShardStats& s) { return s.pages_live[level]; });
}

}  // namespace

std::string errno_name(int error) {
  if (const char* name = strerrorname_np(error)) return name;
  return std::to_string(error);
}

void render_daemon_metrics(const std::vector<MetricsSnapshot>& snapshots, std::string& out) {
  PrometheusWriter writer(out);

  writer.family("ringstat_ingest_lines_total", "Lines received, by listener.",
                MetricType::kCounter);
  for (size_t l = 0; l < kIngestListenerCount; ++l) {
    writer.sample({{"listener", kListenerNames[l]}},
                  sum_reactors(snapshots, [l](const MetricsSnapshot& s) {
                    return s.metrics.ingest[l].lines;
                  }));
  }
  writer.family("ringstat_samples_accepted_total", "Samples stored, by listener.",
                MetricType::kCounter);
  for (size_t l = 0; l < kIngestListenerCount; ++l) {
    writer.sample({{"listener", kListenerNames[l]}},
                  sum_reactors(snapshots, [l](const MetricsSnapshot& s) {
                    return s.metrics.ingest[l].samples_accepted;
                  }));
  }
  writer.family("ringstat_samples_rejected_total",
                "Lines or samples not stored, by listener and reason.", MetricType::kCounter);
  for (size_t l = 0; l < kIngestListenerCount; ++l) {
    for (size_t r = 0; r < kRejectReasonCount; ++r) {
      const uint64_t count = sum_reactors(
          snapshots, [l, r](const MetricsSnapshot& s) { return s.metrics.ingest[l].rejected[r]; });
      writer.sample({{"listener", kListenerNames[l]},
                     {"reason", reject_reason_name(static_cast<RejectReason>(r))}},
                    count);
    }
  }
  writer.family("ringstat_ingest_reserved_lines_total", "Lines starting with a reserved character.",
                MetricType::kCounter);
  writer.sample({}, sum_reactors(snapshots, [](const MetricsSnapshot& s) {
                  uint64_t total = 0;
                  for (const auto& ingest : s.metrics.ingest) total += ingest.reserved_lines;
                  return total;
                }));
  writer.family("ringstat_ingest_meta_lines_total", "`#key value` lines.", MetricType::kCounter);
  writer.sample({}, sum_reactors(snapshots, [](const MetricsSnapshot& s) {
                  uint64_t total = 0;
                  for (const auto& ingest : s.metrics.ingest) total += ingest.meta_lines;
                  return total;
                }));

  writer.family("ringstat_connections", "Open TCP connections (ingest, HTTP and admin).",
                MetricType::kGauge);
  writer.sample({}, sum_reactors(snapshots, [](const MetricsSnapshot& s) {
                  return uint64_t{s.open_connections};
                }));
  reactor_counter(writer, snapshots, "ringstat_connections_accepted_total",
                  "TCP connections accepted.", &ReactorMetrics::connections_accepted);
  reactor_counter(writer, snapshots, "ringstat_connections_closed_total", "TCP connections closed.",
                  &ReactorMetrics::connections_closed);
  reactor_counter(writer, snapshots, "ringstat_accept_errors_total",
                  "Accepts that failed or found every connection slot in use.",
                  &ReactorMetrics::accept_errors);
  reactor_counter(writer, snapshots, "ringstat_accept_backoffs_total",
                  "Accepts paused because the process ran out of descriptors (EMFILE, ENFILE).",
                  &ReactorMetrics::accept_backoffs);
  reactor_counter(writer, snapshots, "ringstat_connections_refused_total",
                  "Ingest connections closed at once: over their share of the open-file limit.",
                  &ReactorMetrics::connections_refused);
  reactor_counter(writer, snapshots, "ringstat_admin_rejected_connections_total",
                  "Admin connections closed because their first line was not a command.",
                  &ReactorMetrics::admin_rejected);
  writer.family("ringstat_connection_timeouts_total",
                "HTTP and admin connections closed because a deadline passed, by deadline.",
                MetricType::kCounter);
  for (size_t d = 1; d < kConnectionDeadlineCount; ++d) {
    writer.sample(
        {{"deadline", kDeadlineNames[d]}},
        sum_reactors(snapshots, [d](const MetricsSnapshot& s) { return s.metrics.timeouts[d]; }));
  }
  reactor_counter(writer, snapshots, "ringstat_receive_bytes_total",
                  "Bytes received on every socket.", &ReactorMetrics::receive_bytes);
  reactor_counter(writer, snapshots, "ringstat_udp_datagrams_total", "UDP datagrams received.",
                  &ReactorMetrics::udp_datagrams);
  reactor_counter(writer, snapshots, "ringstat_udp_truncated_total",
                  "UDP datagrams larger than a receive buffer, dropped.",
                  &ReactorMetrics::udp_truncated);
  reactor_counter(writer, snapshots, "ringstat_backpressure_held_buffers_total",
                  "Receive buffers held back while a queue or shard was full.",
                  &ReactorMetrics::deferred_buffers);
  reactor_counter(writer, snapshots, "ringstat_cross_reactor_batches_total",
                  "Sample batches handed to another reactor.",
                  &ReactorMetrics::remote_batches_sent);
  reactor_counter(
      writer, snapshots, "ringstat_http_refused_backlog_total",
      "HTTP requests refused while tasks for another reactor waited beyond their bound.",
      &ReactorMetrics::http_refused_backlog);
  reactor_counter(writer, snapshots, "ringstat_doorbells_total", "MSG_RING wake-ups sent.",
                  &ReactorMetrics::doorbells_sent);

  writer.family("ringstat_counters", "Live counters.", MetricType::kGauge);
  writer.sample({},
                sum_shards(snapshots, [](const ShardStats& s) { return uint64_t{s.counters}; }));
  writer.family("ringstat_staged_buckets", "Buckets staged in memory, waiting for a page write.",
                MetricType::kGauge);
  writer.sample(
      {}, sum_shards(snapshots, [](const ShardStats& s) { return uint64_t{s.staged_entries}; }));
  shard_counter(writer, snapshots, "ringstat_counters_created_total", "Counters created.",
                &ShardStats::counters_created);
  shard_counter(writer, snapshots, "ringstat_buckets_staged_total", "Buckets opened in staging.",
                &ShardStats::buckets_staged);
  shard_counter(writer, snapshots, "ringstat_page_writes_total", "Counter pages written.",
                &ShardStats::page_writes);
  shard_counter(writer, snapshots, "ringstat_page_written_bytes_total",
                "Bytes of counter pages written.", &ShardStats::page_bytes_written);
  writer.family("ringstat_store_pages",
                "Pages the store retains for counters, by retention level (0 the finest).",
                MetricType::kGauge);
  for (uint32_t level = 0; level < retention_levels_max(snapshots); ++level) {
    writer.sample({{"level", std::to_string(level)}}, store_pages(snapshots, level));
  }
  shard_counter(writer, snapshots, "ringstat_page_reads_total", "Counter pages read.",
                &ShardStats::page_reads);
  shard_counter(writer, snapshots, "ringstat_page_errors_total",
                "Page reads and writes that failed.", &ShardStats::page_write_errors);
  shard_counter(writer, snapshots, "ringstat_pages_corrupt_total",
                "Pages that failed their checks.", &ShardStats::pages_corrupt);
  shard_counter(writer, snapshots, "ringstat_buckets_saturated_total",
                "Bucket merges past the exact range after ingest, saturated instead of wrapped.",
                &ShardStats::buckets_saturated);
  store_errors(writer, snapshots);
  shard_counter(writer, snapshots, "ringstat_reads_refused_busy_total",
                "Counter reads refused because too many were waiting for a page-read job.",
                &ShardStats::reads_refused_busy);
  shard_counter(writer, snapshots, "ringstat_wal_written_bytes_total",
                "Write-ahead log bytes written.", &ShardStats::wal_bytes_written);
  shard_counter(writer, snapshots, "ringstat_wal_syncs_total", "Write-ahead log fdatasyncs.",
                &ShardStats::wal_syncs);
  shard_counter(writer, snapshots, "ringstat_checkpoints_total", "Checkpoints made durable.",
                &ShardStats::checkpoints);
  shard_counter(writer, snapshots, "ringstat_checkpoint_written_bytes_total",
                "Snapshot bytes written.", &ShardStats::checkpoint_bytes_written);

  per_reactor(writer, snapshots, "ringstat_uring_submissions_total", "SQEs submitted, by reactor.",
              [](const MetricsSnapshot& s) { return s.ring.submitted; });
  per_reactor(writer, snapshots, "ringstat_uring_completions_total", "CQEs handled, by reactor.",
              [](const MetricsSnapshot& s) { return s.ring.completions; });
  per_reactor(writer, snapshots, "ringstat_uring_enters_total", "io_uring_enter calls, by reactor.",
              [](const MetricsSnapshot& s) { return s.ring.enters; });
  per_reactor(writer, snapshots, "ringstat_uring_enobufs_total",
              "Multishot receives that ran out of provided buffers, by reactor.",
              [](const MetricsSnapshot& s) { return s.metrics.enobufs; });
  per_reactor(writer, snapshots, "ringstat_uring_multishot_rearms_total",
              "Multishot receives armed again, by reactor.",
              [](const MetricsSnapshot& s) { return s.metrics.multishot_rearms; });

  writer.family("ringstat_http_requests_total", "HTTP requests answered, by status code.",
                MetricType::kCounter);
  std::map<int, uint64_t> by_code;
  for (const MetricsSnapshot& s : snapshots) {
    for (const auto& [code, count] : s.metrics.http_requests) by_code[code] += count;
  }
  for (const auto& [code, count] : by_code) writer.sample({{"code", std::to_string(code)}}, count);
  LatencyHistogram latency;
  for (const MetricsSnapshot& s : snapshots) latency.merge(s.metrics.http_latency);
  writer.family("ringstat_http_request_duration_seconds",
                "Time from a complete request to its answer.", MetricType::kHistogram);
  latency.write_prometheus(writer, {});
}

std::vector<std::pair<std::string, std::string>> daemon_stats_lines(
    const std::vector<MetricsSnapshot>& snapshots) {
  std::vector<std::pair<std::string, std::string>> lines;
  auto add = [&](std::string key, uint64_t value) {
    lines.emplace_back(std::move(key), std::to_string(value));
  };
  add("counters", sum_shards(snapshots, [](const ShardStats& s) { return uint64_t{s.counters}; }));
  add("connections", sum_reactors(snapshots, [](const MetricsSnapshot& s) {
        return uint64_t{s.open_connections};
      }));
  add("reactors", snapshots.size());
  add("store_failing_shards",
      sum_shards(snapshots, [](const ShardStats& s) { return uint64_t{s.store_failing}; }));
  add("store_errors",
      sum_shards(snapshots, [](const ShardStats& s) { return s.store_errors_total; }));
  uint64_t accepted = 0;
  uint64_t rejected = 0;
  for (const MetricsSnapshot& s : snapshots) {
    for (const auto& ingest : s.metrics.ingest) {
      accepted += ingest.samples_accepted;
      for (uint64_t count : ingest.rejected) rejected += count;
    }
  }
  add("samples_accepted", accepted);
  add("samples_rejected", rejected);
  add("staged_buckets",
      sum_shards(snapshots, [](const ShardStats& s) { return uint64_t{s.staged_entries}; }));
  add("page_writes", sum_shards(snapshots, [](const ShardStats& s) { return s.page_writes; }));
  for (uint32_t level = 0; level < retention_levels_max(snapshots); ++level) {
    add("store_pages_level" + std::to_string(level), store_pages(snapshots, level));
  }
  add("checkpoints", sum_shards(snapshots, [](const ShardStats& s) { return s.checkpoints; }));
  return lines;
}

}  // namespace ringstat
