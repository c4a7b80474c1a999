// Shard semantics against docs/protocols.md section 3: exact gauge merges at every level, floor
// bucket indices, late and too-old samples, events as rates with fixed coarse counts, kinds fixed
// at creation; and durability: restart, crash, corrupt pages, expiry (a full disk:
// shard_full_disk_test.cc).
#include <doctest/doctest.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "engine/ingest/retention.h"
#include "fileformat/page_format.h"
#include "tests/shard_test_support.h"

namespace ringstat {
namespace {

using testing::default_retention;
using testing::kTestNow;
using testing::ShardHarness;
using testing::small_shard_config;

const TimedBucket* at(const LevelRead& read, int64_t time) {
  for (const TimedBucket& b : read.buckets) {
    if (b.time == time) return &b;
  }
  FAIL("no bucket at time " << time);
  return nullptr;
}

TEST_CASE("gauge samples merge exactly into the bucket of every level") {
  ShardHarness h;
  CHECK_FALSE(h.add("web.latency", 42));
  CHECK_FALSE(h.add("web.latency", 58));
  for (size_t level = 0; level < 3; ++level) {
    const LevelRead read = h.read("web.latency", level);
    REQUIRE(read.buckets.size() == 1);
    const Bucket& b = read.buckets[0].bucket;
    CHECK(b == Bucket{2, 100, 5128, 42, 58});
    CHECK(b.sdev() == doctest::Approx(11.313708498984761));
  }
  CHECK(h.read("web.latency", 0).buckets[0].time == kTestNow);
}

TEST_CASE("bucket index floors a sample 6 s older than a new counter's first sample") {
  // istatd truncated toward zero relative to the first sample and wiped bucket 0 here.
  ShardHarness h;
  CHECK_FALSE(h.add("a.b", 1, kTestNow + 2));
  CHECK_FALSE(h.add("a.b", 2, kTestNow + 3));
  CHECK_FALSE(h.add("a.b", 4, kTestNow - 4));
  const LevelRead read = h.read("a.b", 0);
  REQUIRE(read.buckets.size() == 2);
  CHECK(at(read, kTestNow - 10)->bucket == Bucket::of_value(4));
  CHECK(at(read, kTestNow)->bucket.count == 2);
  CHECK(at(read, kTestNow)->bucket.sum == 3);
}

TEST_CASE("a late sample merges into its bucket while the level retains it") {
  ShardHarness h;
  CHECK_FALSE(h.add("late", 1));
  CHECK_FALSE(h.add("late", 5, kTestNow - 3000));
  CHECK(at(h.read("late", 0), kTestNow - 3000)->bucket == Bucket::of_value(5));
  CHECK(at(h.read("late", 1), kTestNow - 3000)->bucket == Bucket::of_value(5));
}

TEST_CASE("a sample older than a level's retention is dropped for that level only") {
  ShardHarness h;
  const int64_t eleven_days_ago = kTestNow - 11 * 86400;
  CHECK_FALSE(h.add("old", 7, eleven_days_ago));
  CHECK(h.read("old", 0).buckets.empty());
  CHECK(h.read("old", 1).buckets.size() == 1);
  CHECK(h.read("old", 2).buckets.size() == 1);
}

TEST_CASE("a sample older than every level is rejected and creates nothing") {
  ShardHarness h;
  CHECK(h.add("ancient", 1, kTestNow - 7 * 365 * 86400) == RejectReason::kTooOld);
  CHECK_FALSE(h.shard().counter_info("ancient", CounterTable::hash_name("ancient")).has_value());
  CHECK(h.read("ancient", 0).status == LevelRead::Status::kNotFound);
}

TEST_CASE("a gauge more than 60 s ahead of the clock is rejected as from_future") {
  ShardHarness h;
  CHECK(h.add("future", 1, kTestNow + 61) == RejectReason::kFromFuture);
  CHECK_FALSE(h.add("future", 1, kTestNow + 60));
  CHECK(h.shard().stats().rejected[static_cast<size_t>(RejectReason::kFromFuture)] == 1);
}

TEST_CASE("a pre-aggregated bucket merges its count, sums and extremes") {
  ShardHarness h;
  CHECK_FALSE(h.add("agg", 10, kTestNow));
  CHECK_FALSE(h.add_bucket("agg", kTestNow + 5, Bucket{3, 30, 500, 5, 20}));
  CHECK(h.read("agg", 0).buckets[0].bucket == Bucket{4, 40, 600, 5, 20});
}

TEST_CASE("an event counter's finest level stores the rate per second, visible at once") {
  ShardHarness h;
  for (double v : {1.0, 1.0, 3.0}) CHECK_FALSE(h.add("hits", v, kTestNow + 1, CounterKind::kEvent));
  const LevelRead read = h.read("hits", 0);
  REQUIRE(read.buckets.size() == 1);
  CHECK(read.kind == CounterKind::kEvent);
  CHECK(read.buckets[0].bucket == Bucket{1, 0.5, 0.25, 0.5, 0.5});
}

TEST_CASE("coarse event buckets carry the fixed count and min 0 when a finest bucket is missing") {
  ShardHarness h;
  CHECK_FALSE(h.add("ev", 20, kTestNow + 1, CounterKind::kEvent));   // rate 2
  CHECK_FALSE(h.add("ev", 50, kTestNow + 11, CounterKind::kEvent));  // rate 5
  auto check_coarse = [&] {
    const LevelRead five_minutes = h.read("ev", 1);
    REQUIRE(five_minutes.buckets.size() == 1);
    CHECK(five_minutes.buckets[0].bucket == Bucket{30, 7, 29, 0, 5});
    const LevelRead hour = h.read("ev", 2);
    REQUIRE(hour.buckets.size() == 1);
    CHECK(hour.buckets[0].bucket == Bucket{360, 7, 29, 0, 5});
  };
  check_coarse();  // live, before the finest buckets are final
  h.clock().advance(200);
  h.tick();  // now final and merged into the coarse levels
  check_coarse();
  CHECK(h.shard().stats().events_finalized == 2);
}

TEST_CASE("an event sample for a bucket that is already final is rejected") {
  ShardHarness h;
  CHECK_FALSE(h.add("ev", 1, kTestNow, CounterKind::kEvent));
  h.clock().advance(100);
  h.tick();
  CHECK(h.add("ev", 1, kTestNow, CounterKind::kEvent) == RejectReason::kEventTooLate);
  CHECK(h.read("ev", 0).buckets[0].bucket.sum == doctest::Approx(0.1));
}

TEST_CASE("a counter's kind is fixed by its first accepted sample") {
  ShardHarness h;
  CHECK_FALSE(h.add("kind", 4));
  CHECK_FALSE(h.add("kind", 6, std::nullopt, CounterKind::kEvent));  // interpreted as a gauge
  const LevelRead read = h.read("kind", 0);
  CHECK(read.kind == CounterKind::kGauge);
  CHECK(read.buckets[0].bucket == Bucket{2, 10, 52, 4, 6});
}

TEST_CASE("staged buckets reach pages and reads merge pages with newer staged buckets") {
  ShardConfig config = small_shard_config(default_retention());
  config.flush_threshold = 1;
  ShardHarness h(config);
  for (int i = 0; i < 300; ++i) CHECK_FALSE(h.add("paged", i, kTestNow - 3000 + 10 * i));
  h.tick();
  CHECK(h.shard().stats().page_writes > 0);
  CHECK_FALSE(h.add("paged", 1000, kTestNow - 3000));  // late, into a bucket already on a page
  const LevelRead read = h.read("paged", 0);
  CHECK(read.buckets.size() == 300);
  CHECK(at(read, kTestNow - 3000)->bucket == Bucket{2, 1000, 1000000, 0, 1000});
  CHECK(h.read("paged", 2).buckets.size() == 1);
}

TEST_CASE("a restart after flush_all replays nothing and keeps every bucket") {
  ShardHarness h;
  for (int i = 0; i < 50; ++i) CHECK_FALSE(h.add("kept." + std::to_string(i % 5), i, kTestNow - i));
  h.flush_all();
  h.restart();
  CHECK(h.shard().stats().replayed_records == 0);
  CHECK(h.shard().counter_count() == 5);
  uint64_t total = 0;
  for (int c = 0; c < 5; ++c) {
    for (const TimedBucket& b : h.read("kept." + std::to_string(c), 0).buckets)
      total += b.bucket.count;
  }
  CHECK(total == 50);
}

TEST_CASE("checkpoint_now keeps staged buckets staged and a restart replays nothing") {
  ShardHarness h;
  for (int i = 0; i < 30; ++i)
    CHECK_FALSE(h.add("cp." + std::to_string(i % 3), i, kTestNow - 10 * i));
  bool done = false;
  h.shard().checkpoint_now([&] { done = true; });
  h.store().deliver_all();
  REQUIRE(done);
  CHECK(h.shard().stats().page_writes == 0);
  h.crash();  // nothing after the checkpoint was lost or needs replaying
  CHECK(h.shard().stats().replayed_records == 0);
  uint64_t total = 0;
  for (int c = 0; c < 3; ++c) {
    for (const TimedBucket& b : h.read("cp." + std::to_string(c), 0).buckets)
      total += b.bucket.count;
  }
  CHECK(total == 30);
}

TEST_CASE("committed samples survive a crash; the log replays them") {
  ShardHarness h;
  CHECK_FALSE(h.add("durable", 3));
  h.durable();
  h.crash();
  CHECK(h.shard().stats().replayed_records >= 2);  // the create and the sample
  CHECK(h.read("durable", 0).buckets[0].bucket == Bucket::of_value(3));
}

TEST_CASE("a corrupt page is reported and contained, never served") {
  ShardConfig config = small_shard_config(default_retention());
  config.flush_threshold = 1;
  ShardHarness h(config);
  CHECK_FALSE(h.add("victim", 1, kTestNow - 5000));
  CHECK_FALSE(h.add("bystander", 2, kTestNow - 5000));
  h.flush_all();
  std::vector<std::byte> pages = h.store().durable_bytes(StoreFile::kPages);
  // Flip one byte in every written page of the file but keep the bystander's intact: find the
  // victim's level-0 page by its header.
  size_t corrupted = 0;
  for (size_t offset = kPageBytes; offset + kPageBytes <= pages.size(); offset += kPageBytes) {
    auto page = std::span<const std::byte, kPageBytes>(pages.data() + offset, kPageBytes);
    Result<PageImage> image = decode_page(page);
    if (image.ok() && image.value().header.level == 0 &&
        image.value().buckets[slot_of(floor_div(kTestNow - 5000, 10))].sum == 1) {
      pages[offset + 100] ^= std::byte{0x40};
      ++corrupted;
    }
  }
  REQUIRE(corrupted == 1);
  h.store().load_file(StoreFile::kPages, pages);
  h.restart();
  const LevelRead victim = h.read("victim", 0);
  CHECK(victim.corrupt_pages == 1);
  CHECK(victim.buckets.empty());
  CHECK(h.read("bystander", 0).buckets.size() == 1);
  CHECK(h.read("victim", 1).buckets.size() == 1);  // other levels are unaffected
  CHECK(h.shard().stats().pages_corrupt == 1);
}

TEST_CASE("pages older than a level's retention are expired and their space reused") {
  ShardConfig config = small_shard_config(Retention{{{10, 2000}, {100, 100000}}});
  config.flush_threshold = 1;
  ShardHarness h(config);
  for (int i = 0; i < 150; ++i) CHECK_FALSE(h.add("short", 1, kTestNow - 1500 + 10 * i));
  h.flush_all();
  h.clock().advance(5000);
  h.tick();
  CHECK(h.shard().stats().pages_expired > 0);
  CHECK(h.read("short", 0).buckets.empty());
  CHECK(h.read("short", 1).buckets.size() == 15);
}

TEST_CASE("a full disk stalls page flushes but loses and corrupts nothing") {
  ShardConfig config = small_shard_config(default_retention());
  config.flush_threshold = 1;
  config.page_grow_blocks = 4;
  // Room for the superblocks, the log, a 4-block page file and both snapshot slots (each grown to
  // 5/4 of a 1-block snapshot + 16): the page file cannot grow.
  ShardHarness h(config, SimFaults{0, 0, true, 2 + 64 + 4 + 2 * 17});
  h.flush_all();  // two checkpoints: both snapshot slots now exist
  h.flush_all();
  for (int i = 0; i < 40; ++i)
    CHECK_FALSE(h.add("full." + std::to_string(i % 4), i, kTestNow - 400 + 10 * i));
  for (int i = 0; i < 10; ++i) h.tick();
  CHECK(h.shard().stats().no_space > 0);
  auto total = [&] {
    size_t buckets = 0;
    for (int c = 0; c < 4; ++c) buckets += h.read("full." + std::to_string(c), 0).buckets.size();
    return buckets;
  };
  CHECK(total() == 40);
  h.durable();
  h.crash();
  CHECK(total() == 40);
}

TEST_CASE("failed writes are retried and lose nothing") {
  ShardHarness h(small_shard_config(default_retention()), SimFaults{0.3, 0, true, 1 << 20});
  for (int i = 0; i < 200; ++i) CHECK_FALSE(h.add("flaky", i, kTestNow - i));
  h.durable();
  h.flush_all();
  h.crash();
  uint64_t total = 0;
  for (const TimedBucket& b : h.read("flaky", 0).buckets) total += b.bucket.count;
  CHECK(total == 200);
  CHECK(h.store().stats().failed_writes > 0);
}

TEST_CASE("deleting a counter removes its data; the name can be used again") {
  ShardHarness h;
  CHECK_FALSE(h.add("gone", 5));
  h.flush_all();
  CHECK(h.shard().delete_counter("gone", CounterTable::hash_name("gone")));
  CHECK(h.read("gone", 0).status == LevelRead::Status::kNotFound);
  CHECK_FALSE(h.shard().delete_counter("gone", CounterTable::hash_name("gone")));
  h.durable();
  h.crash();
  CHECK(h.read("gone", 0).status == LevelRead::Status::kNotFound);
  CHECK_FALSE(h.add("gone", 9));
  CHECK(h.read("gone", 0).buckets[0].bucket == Bucket::of_value(9));
}

// The pages a level's buckets at `times` occupy: one per distinct page number.
uint64_t pages_spanned(const std::vector<int64_t>& times, int64_t interval_s) {
  std::vector<int64_t> pages;
  for (int64_t time : times) pages.push_back(page_number_of(floor_div(time, interval_s)));
  std::sort(pages.begin(), pages.end());
  return static_cast<uint64_t>(std::unique(pages.begin(), pages.end()) - pages.begin());
}

TEST_CASE("live pages per level appear as levels flush, survive a restart and leave on expiry") {
  ShardConfig config = small_shard_config(Retention{{{10, 2000}, {100, 100000}}});
  config.flush_threshold = 1;
  ShardHarness h(config);
  CHECK(h.shard().stats().retention_levels_max == 2);
  CHECK(h.shard().stats().pages_live[0] == 0);
  std::vector<int64_t> times;
  for (int i = 0; i < 150; ++i) times.push_back(kTestNow - 1500 + 10 * i);
  for (int64_t time : times) CHECK_FALSE(h.add("paged", 1, time));
  h.flush_all();
  const uint64_t level0_pages = pages_spanned(times, 10);
  const uint64_t level1_pages = pages_spanned(times, 100);
  REQUIRE(level0_pages >= 2);  // the samples cross a page boundary at level 0
  CHECK(h.shard().stats().pages_live[0] == level0_pages);
  CHECK(h.shard().stats().pages_live[1] == level1_pages);
  CHECK(h.shard().stats().pages_live[2] == 0);

  // A late bucket rewrites its page as a new copy: still one live page for it.
  CHECK_FALSE(h.add("paged", 7, times[3]));
  h.flush_all();
  CHECK(h.shard().stats().pages_live[0] == level0_pages);

  // A restart counts the pages of the snapshot's page maps.
  h.restart();
  CHECK(h.shard().stats().pages_live[0] == level0_pages);
  CHECK(h.shard().stats().pages_live[1] == level1_pages);

  h.clock().advance(5000);
  h.tick();
  CHECK(h.shard().stats().pages_expired == level0_pages);
  CHECK(h.shard().stats().pages_live[0] == 0);
  CHECK(h.shard().stats().pages_live[1] == level1_pages);
}

TEST_CASE("deleting a counter takes its live pages away, also when the log replays the delete") {
  ShardConfig config = small_shard_config(default_retention());
  config.flush_threshold = 1;
  ShardHarness h(config);
  for (int i = 0; i < 120; ++i) {
    CHECK_FALSE(h.add("stay", 1, kTestNow - 1200 + 10 * i));
    CHECK_FALSE(h.add("leave", 1, kTestNow - 1200 + 10 * i));
  }
  h.flush_all();
  const ShardStats before = h.shard().stats();
  CHECK(before.retention_levels_max == 3);
  REQUIRE(before.pages_live[0] >= 4);  // 120 buckets of each counter span two pages at 10 s
  CHECK(before.pages_live[0] % 2 == 0);
  CHECK(before.pages_live[1] == 2);
  CHECK(before.pages_live[2] == 2);

  CHECK(h.shard().delete_counter("leave", CounterTable::hash_name("leave")));
  const ShardStats after = h.shard().stats();
  for (size_t level = 0; level < 3; ++level) {
    CHECK(after.pages_live[level] == before.pages_live[level] / 2);
  }
  h.durable();
  h.crash();  // the snapshot still has both counters; the log's delete removes one
  for (size_t level = 0; level < 3; ++level) {
    CHECK(h.shard().stats().pages_live[level] == before.pages_live[level] / 2);
  }
}

TEST_CASE("a torn newest superblock falls back to the previous checkpoint") {
  ShardHarness h;
  CHECK_FALSE(h.add("sb", 1));
  h.flush_all();
  CHECK_FALSE(h.add("sb", 2));
  h.flush_all();
  std::vector<std::byte> super = h.store().durable_bytes(StoreFile::kSuper);
  // The newest copy is the one with the higher sequence; tear both bytes of each copy in turn
  // would lose everything, so tear only the newest.
  const uint64_t seq0 = static_cast<uint64_t>(super[16]);
  const uint64_t seq1 = static_cast<uint64_t>(super[kSuperblockBytes + 16]);
  super[(seq0 > seq1 ? 0 : kSuperblockBytes) + 200] ^= std::byte{1};
  h.store().load_file(StoreFile::kSuper, super);
  h.restart();
  uint64_t total = 0;
  for (const TimedBucket& b : h.read("sb", 0).buckets) total += b.bucket.count;
  CHECK(total == 2);  // the older checkpoint plus the log after its cut
}

TEST_CASE("a store whose superblocks belong to another shard refuses to start") {
  ShardHarness h;
  h.flush_all();
  ShardConfig other = small_shard_config(default_retention());
  other.shard_id = 5;
  ManualClock clock(kTestNow);
  Shard shard(other, h.store(), clock);
  shard.start();
  h.store().deliver_all();
  CHECK_FALSE(shard.ready());
  CHECK(shard.start_error().find("no valid superblock") != std::string::npos);
}

}  // namespace
}  // namespace ringstat
