// Shard bounds and rejections: query jobs and the waiting bound, add_batch against add_sample,
// overflow and from_future rejections, and staging that drains as time passes.
#include <doctest/doctest.h>

#include <vector>

#include "engine/ingest/retention.h"
#include "tests/shard_test_support.h"

namespace ringstat {
namespace {

using testing::default_retention;
using testing::kTestNow;
using testing::ShardHarness;
using testing::small_shard_config;

TEST_CASE("reads beyond the query job limit wait for a job instead of failing") {
  ShardConfig config = small_shard_config(default_retention());
  config.flush_threshold = 1;
  config.query_jobs_max = 1;
  ShardHarness h(config);
  for (int i = 0; i < 20; ++i) CHECK_FALSE(h.add("busy", i, kTestNow - 2000 + 10 * i));
  h.flush_all();  // on pages, so every read below goes to the store
  std::vector<LevelRead> results;
  for (int i = 0; i < 5; ++i) {
    h.shard().read_level("busy", CounterTable::hash_name("busy"), 0, 0, INT64_MAX / 4,
                         [&](LevelRead read) { results.push_back(std::move(read)); });
  }
  h.store().deliver_all();
  REQUIRE(results.size() == 5);
  for (const LevelRead& read : results) {
    CHECK(read.status == LevelRead::Status::kOk);
    CHECK(read.buckets.size() == 20);
  }
  CHECK(h.shard().idle());
}

TEST_CASE("reads beyond the waiting bound are answered busy at once, the rest in full") {
  ShardConfig config = small_shard_config(default_retention());
  config.flush_threshold = 1;
  config.query_jobs_max = 1;
  config.pending_reads_max = 3;
  ShardHarness h(config);
  for (int i = 0; i < 20; ++i) CHECK_FALSE(h.add("burst", i, kTestNow - 2000 + 10 * i));
  h.flush_all();
  std::vector<LevelRead> results;
  for (int i = 0; i < 10; ++i) {
    h.shard().read_level("burst", CounterTable::hash_name("burst"), 0, 0, INT64_MAX / 4,
                         [&](LevelRead read) { results.push_back(std::move(read)); });
  }
  // One reads, three wait, six are refused before any page is read.
  CHECK(results.size() == 6);
  for (const LevelRead& read : results) CHECK(read.status == LevelRead::Status::kBusy);
  h.store().deliver_all();
  REQUIRE(results.size() == 10);
  for (size_t i = 6; i < 10; ++i) {
    CHECK(results[i].status == LevelRead::Status::kOk);
    CHECK(results[i].buckets.size() == 20);
  }
  CHECK(h.shard().stats().reads_refused_busy == 6);
}

TEST_CASE("the test fixture's retention is the spec's default") {
  const Result<Retention> parsed = parse_retention(kDefaultRetentionSpec);
  REQUIRE(parsed.ok());
  CHECK(parsed.value() == testing::default_retention());
}

TEST_CASE("add_batch gives the same answers and state as one add_sample at a time") {
  ShardHarness one;
  ShardHarness batch;
  std::vector<std::string> names;
  for (int i = 0; i < 300; ++i) names.push_back("batch." + std::to_string(i % 37));
  std::vector<IngestSample> samples;
  std::vector<std::optional<RejectReason>> expected;
  for (int i = 0; i < 300; ++i) {
    // Every fifth sample is from the future and must be rejected in both paths.
    const int64_t time = testing::kTestNow - i + (i % 5 == 0 ? 3600 : 0);
    samples.push_back(IngestSample{names[i], CounterTable::hash_name(names[i]), time,
                                   Bucket::of_value(i), CounterKind::kGauge, false});
    expected.push_back(one.add(names[i], i, time));
  }
  std::vector<std::optional<RejectReason>> reasons(samples.size());
  const size_t accepted = batch.shard().add_batch(samples, reasons);
  batch.store().deliver_all();
  CHECK(reasons == expected);
  CHECK(accepted == 240);
  for (int c = 0; c < 37; ++c) {
    const std::string name = "batch." + std::to_string(c);
    CHECK(one.read(name, 0).buckets == batch.read(name, 0).buckets);
  }
}

TEST_CASE("a pre-aggregated bucket whose count would wrap is rejected as overflow, whole") {
  ShardHarness h;
  const uint64_t huge = UINT64_MAX;
  const Bucket first{huge, 1.8446744073709552e19, 1e40, 1, 1};
  CHECK_FALSE(h.add_bucket("wrap", kTestNow - 20, first));
  // The second line would wrap the count to 0 (a bucket with no data, and a snapshot the old
  // code could not write): it is refused, and the stored bucket is unchanged at every level.
  CHECK(h.add_bucket("wrap", kTestNow - 20, Bucket{1, 1, 1, 1, 1}) == RejectReason::kOverflow);
  CHECK(h.shard().stats().rejected[static_cast<size_t>(RejectReason::kOverflow)] == 1);
  for (size_t level = 0; level < 3; ++level) {
    const auto buckets = h.read("wrap", level).buckets;
    REQUIRE(buckets.size() == 1);
    CHECK(buckets[0].bucket == first);
  }
  // What ingest accepted, the snapshot and recovery accept too.
  h.flush_all();
  h.restart();
  CHECK(h.read("wrap", 0).buckets.at(0).bucket == first);
  h.durable();
  h.crash();
  CHECK(h.read("wrap", 0).buckets.at(0).bucket == first);
}

TEST_CASE("a sum or sum of squares that would turn infinite is rejected as overflow") {
  ShardHarness h;
  CHECK_FALSE(h.add("big", 1e154, kTestNow - 5));
  CHECK(h.add("big", 1e154, kTestNow - 5) == RejectReason::kOverflow);     // sumsq 2e308
  CHECK(h.add("square", 1e200, kTestNow - 5) == RejectReason::kOverflow);  // 1e400 alone
  CHECK(h.add_bucket("sum", kTestNow - 5, Bucket{1, 1.7e308, 1, 1.7e308, 1.7e308}) == std::nullopt);
  CHECK(h.add_bucket("sum", kTestNow - 5, Bucket{1, 1.7e308, 1, 1.7e308, 1.7e308}) ==
        RejectReason::kOverflow);
  const auto buckets = h.read("big", 0).buckets;
  REQUIRE(buckets.size() == 1);
  CHECK(buckets[0].bucket.count == 1);
  CHECK(h.read("sum", 0).buckets.at(0).bucket.count == 1);
  // The neighbours of a refused sample are unaffected.
  CHECK_FALSE(h.add("big", 2, kTestNow - 5));
  CHECK(h.read("big", 0).buckets.at(0).bucket.count == 2);
}

TEST_CASE("an event sum whose rate squared would turn infinite is rejected as overflow") {
  ShardHarness h;
  CHECK_FALSE(h.add("ev", 1e150, kTestNow - 5, CounterKind::kEvent));
  CHECK(h.add("ev", 1e300, kTestNow - 5, CounterKind::kEvent) == RejectReason::kOverflow);
  // The accepted one finalises into every level without a saturated merge.
  h.clock().set(kTestNow + 3600);
  h.tick();
  CHECK(h.shard().stats().buckets_saturated == 0);
  h.flush_all();
  h.restart();
  CHECK_FALSE(h.read("ev", 0).buckets.empty());
}

TEST_CASE("a late bucket merging past the exact range into its page saturates, never wraps") {
  ShardConfig config = small_shard_config(default_retention());
  config.flush_threshold = 1;
  ShardHarness h(config);
  CHECK_FALSE(h.add_bucket("late", kTestNow - 600, Bucket{UINT64_MAX - 1, 1, 1, 1, 1}));
  h.flush_all();  // the bucket is in a page now; staging starts afresh for it
  CHECK_FALSE(h.add_bucket("late", kTestNow - 600, Bucket{5, 5, 5, 1, 1}));
  h.flush_all();
  const auto buckets = h.read("late", 0).buckets;
  REQUIRE(buckets.size() == 1);
  CHECK(buckets[0].bucket.count == UINT64_MAX);
  CHECK(h.shard().stats().buckets_saturated >= 1);
  h.restart();
  CHECK(h.read("late", 0).buckets.at(0).bucket.count == UINT64_MAX);
}

TEST_CASE("an event sample more than 60 s ahead of the clock is rejected as from_future") {
  ShardHarness h;
  CHECK(h.add("evf", 1, kTestNow + 3600, CounterKind::kEvent) == RejectReason::kFromFuture);
  CHECK(h.add("evf", 1, kTestNow + 61, CounterKind::kEvent) == RejectReason::kFromFuture);
  CHECK_FALSE(h.add("evf", 1, kTestNow + 60, CounterKind::kEvent));
  // The kind of an existing counter decides, and the bound holds for existing event counters.
  CHECK(h.add("evf", 1, kTestNow + 600) == RejectReason::kFromFuture);
}

TEST_CASE("staging filled by future-stamped events drains as time passes: nothing stays staged") {
  ShardHarness h;
  // Millisecond timestamps from a broken agent are refused instead of staying staged for ever.
  for (int i = 0; i < 400; ++i) {
    CHECK(h.add("evm.k" + std::to_string(i % 100), 1, kTestNow * 1000 + i, CounterKind::kEvent) ==
          RejectReason::kFromFuture);
  }
  // Events up to the bound are staged raw, and time makes them final and writable.
  for (int i = 0; i < 400; ++i) {
    CHECK_FALSE(
        h.add("evk.k" + std::to_string(i % 100), 1, kTestNow + (i % 7) * 10, CounterKind::kEvent));
  }
  CHECK(h.shard().stats().staged_entries > 0);
  h.clock().set(kTestNow + 200);
  h.flush_all();
  for (int i = 0; i < 10; ++i) h.tick();
  CHECK_FALSE(h.shard().congested());
  // Every level's entries could be written: only open coarse buckets may stay staged.
  CHECK(h.shard().stats().staged_entries <= 100 * 2);
}

// A store whose files can no longer grow: superblocks, the log, a small page file and both
}  // namespace
}  // namespace ringstat
