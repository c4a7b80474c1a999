// RunReport: every figure and parameter of one ringstat-bench run, printed as a readable table
// (one row per run) and written as JSON. Plain numbers only, so the report does not depend on how
// the figures were measured. Single-threaded pure code, filled and printed by main's thread.
#pragma once

#include <cstdint>
#include <cstdio>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "perf/bench/server_probe.h"
#include "perf/bench/store_figures.h"

namespace ringstat {

struct MachineInfo {
  uint32_t nproc = 0;
  std::string kernel;  // uname: sysname release version machine
  std::string date;    // UTC, ISO 8601
};
MachineInfo read_machine_info();

struct QueryFigures {
  std::string kind;
  uint64_t count = 0;
  uint64_t errors = 0;
  uint64_t p50_ns = 0;
  uint64_t p90_ns = 0;
  uint64_t p99_ns = 0;
  uint64_t p999_ns = 0;
  uint64_t max_ns = 0;
};

struct LossFigures {
  uint64_t sent = 0;
  uint64_t stored = 0;
  uint64_t lost = 0;
  uint64_t extra = 0;
  uint64_t counters_wrong = 0;
  uint64_t counters_missing = 0;
  bool passed = false;
  std::vector<std::string> examples;  // one line per wrong counter
  double flush_s = 0;
  double query_s = 0;
};

// A phase measured by the probe: its CPU window includes the settle tail after sending stopped.
struct ServerFigures {
  ProbeFigures probe;
  double settle_s = 0;   // how long after the senders stopped the window closed
  bool settled = false;  // the server went idle before the settle limit
};

struct PhaseFigures {
  uint64_t sent = 0;
  double elapsed_s = 0;
  double achieved_per_s = 0;
  std::optional<ServerFigures> server;
};

// Disk bytes the server wrote (/proc/PID/io write_bytes) from just before the first line sent
// (the warm-up's when there is one) to the end of the admin `flush` after the run, which makes
// everything sent durable; without --admin there is no flush and the window ends when the server
// went idle after the timed phase.
struct WrittenFigures {
  uint64_t bytes = 0;
  bool through_flush = false;
};

struct RunReport {
  std::string label;
  // The flags as given, in order, and the whole command line.
  std::vector<std::pair<std::string, std::string>> parameters;
  std::string command_line;
  MachineInfo machine;

  std::string target;
  std::string protocol;
  std::string transport;
  std::string timestamps;
  uint32_t counters = 0;
  uint32_t connections = 0;
  double offered_per_s = 0;  // 0: as fast as the transport allows
  double duration_s = 0;
  int64_t t0 = 0;
  std::optional<int> server_pid;
  // The server's CPU share of one core before any load (included in the phases' CPU figures).
  std::optional<double> server_idle_cpu_share;

  std::optional<PhaseFigures> warmup;  // first-seen cost
  PhaseFigures timed;
  uint64_t lag_lines = 0;
  double lag_s = 0;
  bool rounds_exhausted = false;
  uint32_t failed_connections = 0;
  std::string first_error;
  uint64_t sent_total = 0;  // the ledger: warmup and timed phase together

  std::optional<WrittenFigures> written;
  std::optional<double> flush_s;  // the admin flush after the run
  std::string retention;          // --retention, whose intervals the store figures use
  std::optional<StoreFigures> store;

  std::optional<LossFigures> loss;
  std::vector<QueryFigures> queries;
  std::optional<uint64_t> big_listing_ns;
  std::optional<uint64_t> big_listing_bytes;
};

// Server CPU ns per sample of a phase (absent without a probe or samples).
std::optional<double> phase_cpu_ns_per_sample(const PhaseFigures& phase);
// Written bytes over every sample sent, warm-up included (absent without a reading or samples).
std::optional<double> written_bytes_per_sample(const RunReport& run);

void print_table(std::FILE* out, std::span<const RunReport> runs);
// Details that do not fit the table: warmup, lag, loss examples, notes.
void print_details(std::FILE* out, const RunReport& run);
std::string format_json(const RunReport& run);

}  // namespace ringstat
