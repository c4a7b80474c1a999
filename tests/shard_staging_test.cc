// Staged buckets: listed newest first whatever order samples arrive in (Invariant 12), through
// replay and snapshots, and expired with their level's retention.
#include <doctest/doctest.h>

#include <set>
#include <vector>

#include "base/integer_math.h"
#include "engine/ingest/retention.h"
#include "tests/shard_test_support.h"

namespace ringstat {
namespace {

using testing::default_retention;
using testing::kTestNow;
using testing::ShardHarness;
using testing::small_shard_config;

TEST_CASE("buckets staged in any order each keep their own samples (Invariant 12)") {
  ShardConfig config = small_shard_config(default_retention());
  config.flush_threshold = 1000;  // everything stays staged
  ShardHarness h(config);
  // 40 buckets, visited in a scrambled order, bucket b getting b % 3 + 1 samples.
  std::vector<int> order;
  for (int b = 0; b < 40; ++b) {
    for (int k = 0; k <= b % 3; ++k) order.push_back((b * 17 + k * 23) % 40);
  }
  std::vector<int> expected(40, 0);
  for (int b : order) {
    ++expected[static_cast<size_t>(b)];
    CHECK_FALSE(h.add("scrambled", b, kTestNow - 1000 + 10 * b));
  }
  // One staged entry per bucket and level: a lookup that missed an existing entry would stage a
  // second one for the same bucket.
  std::set<int64_t> level1;
  std::set<int64_t> level2;
  for (int b = 0; b < 40; ++b) {
    level1.insert(floor_div(kTestNow - 1000 + 10 * b, 300));
    level2.insert(floor_div(kTestNow - 1000 + 10 * b, 3600));
  }
  CHECK(h.shard().stats().staged_entries == 40 + level1.size() + level2.size());
  auto check = [&] {
    CHECK(h.shard().stats().staged_entries == 40 + level1.size() + level2.size());
    const LevelRead read = h.read("scrambled", 0);
    REQUIRE(read.buckets.size() == 40);
    for (const TimedBucket& bucket : read.buckets) {
      const auto b = static_cast<size_t>((bucket.time - (kTestNow - 1000)) / 10);
      REQUIRE(b < expected.size());
      CHECK(bucket.bucket.count == static_cast<uint64_t>(expected[b]));
      CHECK(bucket.bucket.min == static_cast<double>(b));
    }
  };
  check();
  h.durable();
  h.crash();  // replayed from the log, in log order
  check();
  bool checkpointed = false;
  h.shard().checkpoint_for_shutdown([&](bool ok) { checkpointed = ok; });
  for (int i = 0; i < 100 && !checkpointed; ++i) h.tick();
  REQUIRE(checkpointed);
  h.restart();  // restored from the snapshot, newest first
  check();
}

TEST_CASE("staged buckets older than their level's retention expire with their pages") {
  ShardConfig config = small_shard_config(Retention{{{10, 2000}, {100, 100000}}});
  config.flush_threshold = 1000;  // nothing reaches a page: expiry must find the staged buckets
  ShardHarness h(config);
  for (int i = 0; i < 30; ++i) CHECK_FALSE(h.add("aging", 1, kTestNow - 1500 + 10 * i));
  CHECK(h.read("aging", 0).buckets.size() == 30);
  const uint32_t staged_before = h.shard().stats().staged_entries;
  h.clock().advance(5000);
  for (int i = 0; i < 5; ++i) h.tick();
  CHECK(h.read("aging", 0).buckets.empty());
  CHECK(h.read("aging", 1).buckets.size() == 3);  // the coarser level keeps them
  CHECK(h.shard().stats().staged_entries == staged_before - 30);
  // A sample arriving now is staged and kept: the expiry floor follows the new entries.
  CHECK_FALSE(h.add("aging", 2));
  for (int i = 0; i < 5; ++i) h.tick();
  CHECK(h.read("aging", 0).buckets.size() == 1);
}
}  // namespace
}  // namespace ringstat
