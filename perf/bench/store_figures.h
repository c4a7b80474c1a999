// Store bytes per retained bucket after a steady run: how many buckets the workload made the
// server retain at each retention level (from what was sent, not from the server), set against
// the pages the server reports per level and the allocated size of its store directory. Also
// reads the admin `stats` keys those figures need. Single-threaded pure code.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/ingest/retention.h"
#include "perf/bench/workload.h"

namespace ringstat {

// ringstat's retention levels as the fleet's issue states them; only the intervals matter here.
inline constexpr std::string_view kDefaultBenchRetention = "10s:10d,5m:1y,1h:6y";
// A ringstat page: what `store_pages_levelN` counts in.
inline constexpr uint64_t kStorePageBytes = 4096;

// The number of distinct buckets floor(t / interval_s) over t = t0 + 10 r, r in [0, rounds).
uint64_t distinct_buckets(int64_t t0, uint32_t rounds, uint32_t interval_s);
// distinct_buckets summed over every counter of the ledger (each sent its own number of rounds).
uint64_t retained_buckets(int64_t t0, const SentLedger& ledger, uint32_t interval_s);

struct LevelStoreFigures {
  uint32_t interval_s = 0;
  uint64_t buckets = 0;           // retained buckets at this level, from what was sent
  std::optional<uint64_t> pages;  // the server's live pages at this level
  std::optional<double> page_bytes_per_bucket;  // pages x 4096 / buckets
};

struct StoreFigures {
  std::vector<LevelStoreFigures> levels;
  uint64_t buckets_total = 0;                    // over every level
  std::optional<uint64_t> page_bytes_total;      // every level's pages x 4096
  std::optional<uint64_t> store_bytes;           // allocated bytes of the store directory
  std::optional<double> store_bytes_per_bucket;  // store_bytes / buckets_total
  // store_bytes / buckets at the finest level: the figure a peer that keeps raw points has too.
  std::optional<double> store_bytes_per_point;
  std::optional<uint64_t> staged_buckets;  // buckets the server still holds staged, not in pages
};

// `pages_by_level[l]` is level l's page count when the server reported it; levels beyond it, or
// beyond the retention, have no page figures.
StoreFigures store_figures(int64_t t0, const SentLedger& ledger, const Retention& retention,
                           std::span<const uint64_t> pages_by_level,
                           std::optional<uint64_t> store_bytes,
                           std::optional<uint64_t> staged_buckets);

// The value of `key=value` among admin `stats` lines.
std::optional<uint64_t> stats_value(std::span<const std::string> lines, std::string_view key);
// store_pages_level0, store_pages_level1, ... until the first level that is missing.
std::vector<uint64_t> store_pages_by_level(std::span<const std::string> lines);

}  // namespace ringstat
