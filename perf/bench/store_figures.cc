#include "perf/bench/store_figures.h"

#include <charconv>

#include "base/integer_math.h"
#include "base/verify.h"

namespace ringstat {

uint64_t distinct_buckets(int64_t t0, uint32_t rounds, uint32_t interval_s) {
  VERIFY(interval_s > 0);
  if (rounds == 0) return 0;
  // Buckets no wider than a round's step each get one sample; wider ones are consecutive, since
  // the times step by less than a bucket and none is skipped.
  if (interval_s <= kRoundStep_s) return rounds;
  const int64_t last = t0 + kRoundStep_s * static_cast<int64_t>(rounds - 1);
  return static_cast<uint64_t>(floor_div(last, int64_t{interval_s}) -
                               floor_div(t0, int64_t{interval_s}) + 1);
}

uint64_t retained_buckets(int64_t t0, const SentLedger& ledger, uint32_t interval_s) {
  // Counters of one run sent one of two round counts (a partial last round), so the last
  // answer is nearly always the next one's.
  uint64_t total = 0;
  uint32_t cached_rounds = 0;
  uint64_t cached_buckets = 0;
  for (uint32_t rounds : ledger.rounds) {
    if (rounds != cached_rounds) {
      cached_rounds = rounds;
      cached_buckets = distinct_buckets(t0, rounds, interval_s);
    }
    total += cached_buckets;
  }
  return total;
}

StoreFigures store_figures(int64_t t0, const SentLedger& ledger, const Retention& retention,
                           std::span<const uint64_t> pages_by_level,
                           std::optional<uint64_t> store_bytes,
                           std::optional<uint64_t> staged_buckets) {
  StoreFigures figures;
  bool every_level_paged = !retention.levels.empty();
  uint64_t page_bytes_total = 0;
  for (size_t l = 0; l < retention.levels.size(); ++l) {
    LevelStoreFigures level;
    level.interval_s = retention.levels[l].interval_s;
    level.buckets = retained_buckets(t0, ledger, level.interval_s);
    if (l < pages_by_level.size()) {
      level.pages = pages_by_level[l];
      page_bytes_total += pages_by_level[l] * kStorePageBytes;
      if (level.buckets > 0) {
        level.page_bytes_per_bucket = static_cast<double>(pages_by_level[l] * kStorePageBytes) /
                                      static_cast<double>(level.buckets);
      }
    } else {
      every_level_paged = false;
    }
    figures.buckets_total += level.buckets;
    figures.levels.push_back(level);
  }
  if (every_level_paged) figures.page_bytes_total = page_bytes_total;
  figures.store_bytes = store_bytes;
  if (store_bytes && figures.buckets_total > 0) {
    figures.store_bytes_per_bucket =
        static_cast<double>(*store_bytes) / static_cast<double>(figures.buckets_total);
  }
  if (store_bytes && !figures.levels.empty() && figures.levels[0].buckets > 0) {
    figures.store_bytes_per_point =
        static_cast<double>(*store_bytes) / static_cast<double>(figures.levels[0].buckets);
  }
  figures.staged_buckets = staged_buckets;
  return figures;
}

std::optional<uint64_t> stats_value(std::span<const std::string> lines, std::string_view key) {
  for (std::string_view line : lines) {
    if (line.size() <= key.size() || !line.starts_with(key) || line[key.size()] != '=') continue;
    const std::string_view text = line.substr(key.size() + 1);
    uint64_t value = 0;
    const char* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (text.empty() || ec != std::errc() || ptr != end) return std::nullopt;
    return value;
  }
  return std::nullopt;
}

std::vector<uint64_t> store_pages_by_level(std::span<const std::string> lines) {
  std::vector<uint64_t> pages;
  while (pages.size() < kRetentionLevelsMax) {
    const std::optional<uint64_t> level =
        stats_value(lines, "store_pages_level" + std::to_string(pages.size()));
    if (!level) break;
    pages.push_back(*level);
  }
  return pages;
}

}  // namespace ringstat
