// A shard on a full disk: checkpoints and page growth back off, producers are held for a grace
// period and then refused as store_full, ingest resumes when space returns, and shutdown settles
// for a durable log.
#include <doctest/doctest.h>

#include "tests/shard_test_support.h"

namespace ringstat {
namespace {

using testing::default_retention;
using testing::kTestNow;
using testing::ShardHarness;
using testing::small_shard_config;

ShardConfig full_disk_config() {
  ShardConfig config = small_shard_config(default_retention());
  config.flush_threshold = 1;
  config.page_grow_blocks = 4;
  config.store_full_grace_ticks = 20;
  config.counters_max = 4096;
  return config;
}
// Enough counters that a snapshot no longer fits the snapshot slots the disk has room for.
constexpr int kFullDiskCounters = 2000;
constexpr uint64_t kFullDiskBlocks = 2 + 64 + 4 + 2 * 17;

TEST_CASE("on a full disk checkpoints and page growth back off instead of retrying every tick") {
  ShardHarness h(full_disk_config(), SimFaults{0, 0, true, kFullDiskBlocks});
  h.flush_all();
  h.flush_all();
  // Enough counters that a snapshot no longer fits its slot, and buckets for more pages.
  for (int i = 0; i < kFullDiskCounters; ++i) {
    CHECK_FALSE(h.add("disk.c" + std::to_string(i), i, kTestNow - 300));
  }
  for (int i = 0; i < 600; ++i) CHECK_FALSE(h.add("disk.c0", i, kTestNow - 6000 + 10 * i));
  h.shard().checkpoint_now([] {});
  for (int i = 0; i < 200; ++i) h.tick();
  const ShardStats stats = h.shard().stats();
  CHECK(stats.store_failing);
  CHECK(stats.checkpoint_failures >= 2);
  CHECK(stats.checkpoint_failures <= 12);  // 200 ticks of backoff, not 200 tries
  CHECK(stats.no_space <= 12);
  bool grow_enospc = false;
  for (const StoreErrorCount& e : stats.store_errors) {
    if (e.op == StoreOp::kGrow && e.error == ENOSPC && e.count > 0) grow_enospc = true;
  }
  CHECK(grow_enospc);
}

TEST_CASE("a full disk holds producers for the grace period, then refuses as store_full") {
  ShardHarness h(full_disk_config(), SimFaults{0, 0, true, kFullDiskBlocks});
  h.flush_all();
  h.flush_all();
  for (int i = 0; i < kFullDiskCounters; ++i) {
    CHECK_FALSE(h.add("grace.c" + std::to_string(i), i, kTestNow - 300));
  }
  h.shard().checkpoint_now([] {});
  for (int i = 0; i < 40; ++i) h.tick();
  CHECK(h.shard().stats().store_failing);
  CHECK(h.shard().stats().store_grace_spent);
  CHECK_FALSE(h.shard().congested());
  // The log fills (no checkpoint can release it) and then samples are refused, never held; the
  // commits that keep coming never find a block they cannot seal.
  size_t accepted = 0;
  size_t refused = 0;
  for (int i = 0; i < 20000; ++i) {
    const auto reason = h.add("grace.c" + std::to_string(i % 200), 1, kTestNow - 200 + i % 100);
    if (!reason) ++accepted;
    if (reason == RejectReason::kStoreFull) ++refused;
    if (i % 100 == 0) h.durable();
  }
  CHECK(accepted > 0);
  CHECK(refused > 0);
  CHECK(accepted + refused == 20000);
  h.durable();
  // Nothing accepted is lost: a crash replays the log from the last checkpoint.
  auto total = [&] {
    uint64_t count = 0;
    for (int c = 0; c < 200; ++c) {
      for (const TimedBucket& b : h.read("grace.c" + std::to_string(c), 0).buckets)
        count += b.bucket.count;
    }
    return count;
  };
  CHECK(total() == 200 + accepted);
  // A start needs room for its recovery checkpoint: the operator frees space first.
  h.store().set_faults(SimFaults{0, 0, true, 1 << 20});
  h.crash();
  CHECK(total() == 200 + accepted);
}

TEST_CASE("ingest resumes by itself when space returns") {
  ShardHarness h(full_disk_config(), SimFaults{0, 0, true, kFullDiskBlocks});
  h.flush_all();
  h.flush_all();
  for (int i = 0; i < kFullDiskCounters; ++i) {
    CHECK_FALSE(h.add("back.c" + std::to_string(i), i, kTestNow - 300));
  }
  h.shard().checkpoint_now([] {});
  for (int i = 0; i < 60; ++i) h.tick();
  REQUIRE(h.shard().stats().store_grace_spent);
  h.store().set_faults(SimFaults{0, 0, true, 1 << 20});
  for (int i = 0; i < 300 && h.shard().stats().store_failing; ++i) h.tick();
  CHECK_FALSE(h.shard().stats().store_failing);
  CHECK_FALSE(h.shard().congested());
  CHECK_FALSE(h.add("back.c0", 1, kTestNow - 100));
  h.flush_all();
}

TEST_CASE("shutdown on a full disk settles for a durable log, and the next start replays it") {
  ShardHarness h(full_disk_config(), SimFaults{0, 0, true, kFullDiskBlocks});
  h.flush_all();
  h.flush_all();
  for (int i = 0; i < kFullDiskCounters; ++i) {
    CHECK_FALSE(h.add("stop.c" + std::to_string(i), i, kTestNow - 300));
  }
  std::optional<bool> checkpointed;
  h.shard().checkpoint_for_shutdown([&](bool done) { checkpointed = done; });
  for (int i = 0; i < 50 && !checkpointed; ++i) h.tick();
  REQUIRE(checkpointed.has_value());
  CHECK_FALSE(*checkpointed);
  // Whatever was not durable is gone: the log must be enough. A start needs room for its
  // recovery checkpoint, so space comes back first.
  h.store().set_faults(SimFaults{0, 0, true, 1 << 20});
  h.crash();
  for (int c = 0; c < kFullDiskCounters; c += 7)
    CHECK(h.read("stop.c" + std::to_string(c), 0).buckets.size() == 1);
}

TEST_CASE("shutdown on a healthy disk checkpoints") {
  ShardHarness h;
  CHECK_FALSE(h.add("ok", 1, kTestNow - 5));
  std::optional<bool> checkpointed;
  h.shard().checkpoint_for_shutdown([&](bool done) { checkpointed = done; });
  for (int i = 0; i < 50 && !checkpointed; ++i) h.tick();
  CHECK(checkpointed == true);
}
}  // namespace
}  // namespace ringstat
