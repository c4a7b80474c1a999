// The checked-in golden store must keep recovering to the same content (docs/format.md).
#include <doctest/doctest.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <string>

#include "engine/sim/sim_page_store.h"
#include "engine/store/counter_table.h"
#include "engine/store/shard.h"
#include "tests/golden_store.h"

namespace ringstat {
namespace {

std::vector<std::byte> read_golden(StoreFile file) {
  const std::string path =
      std::string(RINGSTAT_GOLDEN_DIR) + "/store/" + std::string(store_file_name(file));
  std::ifstream in(path, std::ios::binary);
  REQUIRE_MESSAGE(in.good(), "missing golden file " << path);
  std::vector<char> chars((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::byte> bytes(chars.size());
  std::memcpy(bytes.data(), chars.data(), chars.size());
  return bytes;
}

LevelRead read(Shard& shard, SimPageStore& store, const std::string& name, size_t level) {
  std::optional<LevelRead> result;
  shard.read_level(name, CounterTable::hash_name(name), level, 0, INT64_MAX / 4,
                   [&](LevelRead r) { result = std::move(r); });
  store.deliver_all();
  REQUIRE(result.has_value());
  return std::move(*result);
}

TEST_CASE("the golden store recovers to its known content") {
  SimPageStore store(1, SimFaults{0, 0, false, 1 << 20});
  for (StoreFile file : {StoreFile::kSuper, StoreFile::kWal, StoreFile::kPages,
                         StoreFile::kCheckpoint0, StoreFile::kCheckpoint1}) {
    store.load_file(file, read_golden(file));
  }
  ManualClock clock(golden::kStoreTime + 600);
  Shard shard(golden::store_config(), store, clock);
  shard.start();
  store.deliver_all();
  REQUIRE_MESSAGE(shard.ready(), shard.start_error());
  CHECK(shard.counter_count() == 3);
  CHECK(shard.stats().replayed_records == 3);  // the late sample, the create and its sample

  const LevelRead gauge = read(shard, store, "golden.gauge", 0);
  CHECK(gauge.corrupt_pages == 0);
  REQUIRE(gauge.buckets.size() == 30);
  CHECK(gauge.buckets[0].time == golden::kStoreTime - 3600);
  CHECK(gauge.buckets[0].bucket == Bucket{2, 1000, 1000000, 0, 1000});
  CHECK(gauge.buckets[29].bucket == Bucket::of_value(29));
  const LevelRead hour = read(shard, store, "golden.gauge", 2);
  REQUIRE(hour.buckets.size() == 1);
  CHECK(hour.buckets[0].bucket.count == 31);
  CHECK(hour.buckets[0].bucket.sum == 435 + 1000);

  const LevelRead events = read(shard, store, "golden.events", 0);
  REQUIRE(events.buckets.size() == 30);
  CHECK(events.buckets[3].bucket == Bucket{1, 3, 9, 3, 3});  // 30 / 10 s
  const LevelRead event_minutes = read(shard, store, "golden.events", 1);
  REQUIRE(event_minutes.buckets.size() == 1);
  CHECK(event_minutes.buckets[0].bucket.count == 30);
  CHECK(event_minutes.buckets[0].bucket.sum == doctest::Approx(435));

  const LevelRead wal_only = read(shard, store, "golden.wal.only", 0);
  REQUIRE(wal_only.buckets.size() == 1);
  CHECK(wal_only.buckets[0].bucket == Bucket::of_value(5));
}

}  // namespace
}  // namespace ringstat
