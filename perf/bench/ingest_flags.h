// The `ringstat-bench ingest` command line: its flags as CLI11 fills them (every value as its
// words, with the defaults), and their validation into IngestRunOptions. Kept out of main.cc so
// the defaults and aliases are tested. Single-threaded; main's thread parses once.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <optional>
#include <string>

#include "perf/bench/ingest_run.h"
#include "perf/bench/store_figures.h"
#include "perf/bench/workload.h"

namespace ringstat {

struct RawIngestFlags {
  std::string target;
  std::string protocol = "istatd";
  std::string transport = "tcp";
  uint32_t counters = 1'000'000;
  std::string rate = "max";
  uint32_t connections = 4;
  double duration_s = 20;
  std::string timestamps = "steady";
  std::optional<int64_t> t0;
  bool warmup = false;
  std::string cpus;
  std::optional<int> server_pid;
  std::string admin;
  std::string http;
  bool check_loss = false;
  uint32_t query_concurrency = 0;
  std::string query_kinds = "day,list,post";
  std::string store_dir;
  std::string retention{kDefaultBenchRetention};
  std::string json_path;
  std::string label;
};

void add_ingest_flags(CLI::App& ingest, RawIngestFlags& raw);

// Validates what CLI11 cannot; `now_s` is the wall clock that default t0 and the last round
// follow. Returns an error message for the usage line.
std::optional<std::string> build_ingest_options(const RawIngestFlags& raw, int64_t now_s,
                                                IngestRunOptions& out);

}  // namespace ringstat
