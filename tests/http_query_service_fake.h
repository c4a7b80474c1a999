// A QueryService for the HTTP handler tests, built on two real Shards over SimPageStores with a
// manual clock: names are routed by their hash as the daemon routes them. Completions are
// delivered inside each call (synchronous answers) or, with hold_completions_, every answer is
// held until deliver() (asynchronous ones, as from another reactor).
#pragma once

#include <array>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/store/counter_query.h"
#include "engine/store/counter_table.h"
#include "net/http/query_service.h"
#include "tests/shard_test_support.h"

namespace ringstat::testing {

class FakeQueryService final : public QueryService {
 public:
  explicit FakeQueryService(ShardConfig config = service_shard_config())
      : shards_{std::make_unique<ShardHarness>(config), std::make_unique<ShardHarness>(config)} {}

  static ShardConfig service_shard_config() {
    ShardConfig config = small_shard_config(testing::default_retention());
    config.query_jobs_max = 32;
    return config;
  }

  ShardHarness& shard_for(std::string_view name) {
    return *shards_[CounterTable::hash_name(name) >> 63];
  }
  ShardHarness& shard(size_t index) { return *shards_[index]; }

  void set_now(int64_t now) {
    for (auto& shard : shards_) shard->clock().set(now);
  }
  void add(const std::string& name, double value, std::optional<int64_t> time = std::nullopt,
           CounterKind kind = CounterKind::kGauge) {
    REQUIRE_FALSE(shard_for(name).add(name, value, time, kind).has_value());
  }
  // Delivers every held completion (asynchronous mode).
  void deliver() {
    for (auto& shard : shards_) shard->store().deliver_all();
    std::vector<std::function<void()>> ready;
    ready.swap(held_);
    for (auto& answer : ready) answer();
  }
  size_t held() const { return held_.size(); }

  int64_t now() const override { return shards_[0]->clock().now_s(); }
  bool has_store() const override { return has_store_; }
  void query_counter(std::string name, CounterQuery query,
                     std::function<void(CounterQueryOutcome)> done) override {
    ++queries_;
    ShardHarness& harness = shard_for(name);
    if (!hold_completions_) {
      ringstat::query_counter(harness.shard(), name, CounterTable::hash_name(name), query, now(),
                              std::move(done));
      harness.store().deliver_all();
      return;
    }
    // As the daemon does when the counter lives on another reactor: the answer is posted back
    // and runs later, never inside this call.
    ringstat::query_counter(
        harness.shard(), name, CounterTable::hash_name(name), query, now(),
        [this, done = std::move(done)](CounterQueryOutcome outcome) mutable {
          held_.push_back([done = std::move(done), outcome = std::move(outcome)]() mutable {
            done(std::move(outcome));
          });
        });
  }
  void list_counters(
      std::function<void(std::vector<std::pair<std::string, CounterKind>>)> done) override {
    std::vector<std::pair<std::string, CounterKind>> names;
    for (auto& harness : shards_) {
      harness->shard().for_each_counter([&](std::string_view name, CounterKind kind) {
        names.emplace_back(std::string(name), kind);
      });
    }
    done(std::move(names));
  }
  void agents(std::function<void(std::vector<AgentInfo>)> done) override { done(agents_); }
  void metrics(std::function<void(std::string)> done) override { done(metrics_); }
  const Retention& default_retention() const override { return retention_; }

  bool has_store_ = true;
  bool hold_completions_ = false;
  size_t queries_ = 0;
  std::vector<AgentInfo> agents_;
  std::string metrics_;
  Retention retention_ = testing::default_retention();

 private:
  std::array<std::unique_ptr<ShardHarness>, 2> shards_;
  std::vector<std::function<void()>> held_;  // answers waiting for deliver()
};

}  // namespace ringstat::testing
