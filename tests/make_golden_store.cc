// Writes the golden store (see tests/golden_store.h) into a directory, one file per store file.
// Run by hand only when the store format gains a version: `make_golden_store tests/golden/store`.
#include <cstdio>
#include <fstream>
#include <string>

#include "engine/sim/sim_page_store.h"
#include "engine/store/counter_table.h"
#include "engine/store/shard.h"
#include "tests/golden_store.h"

using namespace ringstat;

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_golden_store OUTDIR\n");
    return 2;
  }
  SimPageStore store(1, SimFaults{0, 0, false, 1 << 20});
  ManualClock clock(golden::kStoreTime - 3600);
  Shard shard(golden::store_config(), store, clock);
  shard.start();
  store.deliver_all();
  auto add = [&](const std::string& name, double value, int64_t time, CounterKind kind) {
    if (shard.add_sample({.name = name,
                          .hash = CounterTable::hash_name(name),
                          .time = time,
                          .bucket = Bucket::of_value(value),
                          .kind = kind})) {
      std::fprintf(stderr, "rejected %s\n", name.c_str());
    }
  };
  // On pages after the checkpoint: 30 buckets of a gauge and an event counter, one hour ago.
  // Events are only accepted while their bucket is open, so the clock walks along.
  for (int i = 0; i < 30; ++i) {
    const int64_t time = golden::kStoreTime - 3600 + 10 * i;
    clock.set(time + 1);
    add("golden.gauge", i, time, CounterKind::kGauge);
    add("golden.events", 10 * i, time, CounterKind::kEvent);
  }
  clock.set(golden::kStoreTime);
  shard.tick();
  bool flushed = false;
  shard.flush_all([&] { flushed = true; });
  for (int i = 0; i < 100 && !flushed; ++i) {
    store.deliver_all();
    shard.tick();
  }
  // Only in the WAL: a late sample for a bucket on a page, and a new counter.
  add("golden.gauge", 1000, golden::kStoreTime - 3600, CounterKind::kGauge);
  add("golden.wal.only", 5, golden::kStoreTime, CounterKind::kGauge);
  bool durable = false;
  shard.when_durable([&] { durable = true; });
  store.deliver_all();
  if (!flushed || !durable) {
    std::fprintf(stderr, "the store did not settle\n");
    return 1;
  }
  for (StoreFile file : {StoreFile::kSuper, StoreFile::kWal, StoreFile::kPages,
                         StoreFile::kCheckpoint0, StoreFile::kCheckpoint1}) {
    const std::string path = std::string(argv[1]) + "/" + std::string(store_file_name(file));
    std::ofstream out(path, std::ios::binary);
    const auto& bytes = store.durable_bytes(file);
    out.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
  }
  return 0;
}
