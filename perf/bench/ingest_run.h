// run_ingest: the whole `ringstat-bench ingest` run: optional warmup, the timed open-loop phase
// with 1 Hz progress lines, server probing, concurrent query load, the admin flush with the
// store's figures after it, the loss check, and the table and JSON report. Runs on main's thread
// and owns the sender and query threads it starts.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/ingest/retention.h"
#include "perf/bench/ingest_load.h"
#include "perf/bench/query_load.h"
#include "perf/bench/tcp_connection.h"

namespace ringstat {

// Before any load the server's idle CPU share (of one core) is measured over kIdleBaseline_s.
// After the senders stop, the server's CPU window stays open until it is back near idle (at most
// kSettleIdleCpuShare above that baseline over kSettleWindow_s) or kSettle_s_max has passed, so
// work the server buffered is counted.
inline constexpr double kIdleBaseline_s = 1.0;
inline constexpr double kSettleIdleCpuShare = 0.05;
inline constexpr double kSettleWindow_s = 1.0;
inline constexpr double kSettle_s_max = 60.0;

struct IngestRunOptions {
  IngestConfig ingest;
  bool warmup = false;
  std::optional<int> server_pid;
  std::optional<TcpEndpoint> admin;
  std::optional<TcpEndpoint> http;
  bool check_loss = false;
  uint32_t query_concurrency = 0;
  std::vector<QueryKind> query_kinds;
  // After the run: the server's store directory (its allocated size), and the retention whose
  // level intervals say how many buckets the run made it retain.
  std::string store_dir;
  Retention retention;
  std::string retention_text;
  std::string json_path;
  std::string label;
  std::string target_text;
  // The flags as given, for the report.
  std::vector<std::pair<std::string, std::string>> flags;
  std::string command_line;
};

// Returns the process exit code: 0 when the run completed (loss is reported, not an error),
// 1 when it could not run or a requested check could not be made.
int run_ingest(const IngestRunOptions& options);

}  // namespace ringstat
