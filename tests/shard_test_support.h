// Helpers for shard unit tests: a shard on a SimPageStore with a manual clock, driven
// synchronously by delivering every completion.
#pragma once

#include <doctest/doctest.h>

#include <memory>
#include <string>

#include "engine/sim/sim_page_store.h"
#include "engine/store/counter_table.h"
#include "engine/store/shard.h"

namespace ringstat::testing {

inline constexpr int64_t kTestNow = 1'795'240'800;  // a multiple of 3600
static_assert(kTestNow % 3600 == 0);

inline ShardConfig small_shard_config(Retention retention) {
  ShardConfig config;
  config.retention = std::move(retention);
  config.counters_max = 256;
  config.wal_blocks = 64;
  config.checkpoint_wal_blocks = 16;
  config.staging_entries = 20000;
  config.io_buffers = 64;
  config.wal_reserved_buffers = 8;
  config.flush_jobs_max = 8;
  config.query_jobs_max = 8;
  config.page_grow_blocks = 64;
  return config;
}

inline Retention default_retention() {
  return Retention{{{10, 864000}, {300, 32313600}, {3600, 190252800}}};
}

class ShardHarness {
 public:
  explicit ShardHarness(ShardConfig config = small_shard_config(default_retention()),
                        SimFaults faults = SimFaults{0, 0, true, 1 << 20})
      : config_(std::move(config)), store_(7, faults), clock_(kTestNow) {
    restart();
  }

  // A new process on the same store (after a crash or a clean stop).
  void restart() {
    shard_.reset();
    shard_ = std::make_unique<Shard>(config_, store_, clock_);
    shard_->start();
    store_.deliver_all();
    REQUIRE_MESSAGE(shard_->ready(), shard_->start_error());
  }
  void crash() {
    store_.crash();
    restart();
  }

  std::optional<RejectReason> add(const std::string& name, double value,
                                  std::optional<int64_t> time = std::nullopt,
                                  CounterKind kind = CounterKind::kGauge) {
    auto result = shard_->add_sample({.name = name,
                                      .hash = CounterTable::hash_name(name),
                                      .time = time,
                                      .bucket = Bucket::of_value(value),
                                      .kind = kind});
    store_.deliver_all();
    return result;
  }
  std::optional<RejectReason> add_bucket(const std::string& name, int64_t time, const Bucket& b) {
    auto result = shard_->add_sample({.name = name,
                                      .hash = CounterTable::hash_name(name),
                                      .time = time,
                                      .bucket = b,
                                      .aggregated = true});
    store_.deliver_all();
    return result;
  }

  LevelRead read(const std::string& name, size_t level, int64_t start = INT64_MIN / 4,
                 int64_t end = INT64_MAX / 4) {
    std::optional<LevelRead> result;
    shard_->read_level(name, CounterTable::hash_name(name), level, start, end,
                       [&](LevelRead read) { result = std::move(read); });
    store_.deliver_all();
    REQUIRE(result.has_value());
    return std::move(*result);
  }

  void durable() {
    bool done = false;
    shard_->when_durable([&] { done = true; });
    store_.deliver_all();
    REQUIRE(done);
  }
  void flush_all() {
    bool done = false;
    shard_->flush_all([&] { done = true; });
    for (int i = 0; i < 1000 && !done; ++i) {
      store_.deliver_all();
      shard_->tick();
    }
    REQUIRE(done);
  }
  void tick() {
    shard_->tick();
    store_.deliver_all();
  }

  Shard& shard() { return *shard_; }
  SimPageStore& store() { return store_; }
  ManualClock& clock() { return clock_; }

 private:
  ShardConfig config_;
  SimPageStore store_;
  ManualClock clock_;
  std::unique_ptr<Shard> shard_;
};

}  // namespace ringstat::testing
