// Seeded simulation of a shard on a fault-injecting store: random samples (gauges, events,
// pre-aggregated buckets, late ones), random page flushes, checkpoints and group commits, failed
// writes, reordered completions, and crashes that lose or tear every write not yet durable.
// After each recovery, every sample made durable before the crash must be present exactly once,
// and nothing else: the state must equal the aggregate of a prefix of the accepted samples that
// is at least as long as the durable prefix (the WAL replays in append order).
// RINGSTAT_SIM_SEED replays one seed; RINGSTAT_SIM_CYCLES sets the number of crash cycles.
#include <doctest/doctest.h>

#include <cstdlib>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "engine/sim/sim_page_store.h"
#include "engine/store/counter_table.h"
#include "engine/store/shard.h"

namespace ringstat {
namespace {

constexpr int64_t kStartTime = 1'795'240'000;

uint64_t env_or(const char* name, uint64_t fallback) {
  const char* value = std::getenv(name);
  return value ? std::strtoull(value, nullptr, 10) : fallback;
}

Retention sim_retention() {
  return Retention{{{10, 864000}, {60, 2 * 864000}, {3600, 90 * 86400}}};
}

struct Sample {
  uint32_t counter;  // index into names
  int64_t time;
  Bucket bucket;
  bool aggregated;
};

// The expected state: per counter, its kind and the exact aggregate of every sample applied.
struct Model {
  std::vector<std::string> names;
  std::vector<CounterKind> kinds;
  std::vector<bool> exists;
  // (counter, level, bucket time) -> bucket; finest event buckets hold the raw sum in `sum`.
  std::map<std::tuple<uint32_t, size_t, int64_t>, Bucket> buckets;
  std::vector<std::map<int64_t, double>> event_sums;  // finest bucket time -> raw sum

  void apply(const Sample& sample, const Retention& retention) {
    exists[sample.counter] = true;
    if (kinds[sample.counter] == CounterKind::kEvent) {
      const int64_t interval = retention.levels[0].interval_s;
      event_sums[sample.counter][floor_div(sample.time, interval) * interval] += sample.bucket.sum;
      return;
    }
    for (size_t l = 0; l < retention.levels.size(); ++l) {
      const int64_t interval = retention.levels[l].interval_s;
      buckets[{sample.counter, l, floor_div(sample.time, interval) * interval}].merge(
          sample.bucket);
    }
  }

  // Presentation form of one counter level, as read_level returns it.
  std::vector<TimedBucket> expected(uint32_t counter, size_t level,
                                    const Retention& retention) const {
    std::vector<TimedBucket> result;
    if (kinds[counter] == CounterKind::kGauge) {
      for (auto it = buckets.lower_bound({counter, level, INT64_MIN});
           it != buckets.end() && std::get<0>(it->first) == counter &&
           std::get<1>(it->first) == level;
           ++it) {
        result.push_back(TimedBucket{std::get<2>(it->first), it->second});
      }
      return result;
    }
    const int64_t finest = retention.levels[0].interval_s;
    const int64_t interval = retention.levels[level].interval_s;
    std::map<int64_t, Bucket> cells;
    for (const auto& [time, sum] : event_sums[counter]) {
      cells[floor_div(time, interval) * interval].merge(
          Bucket::of_value(sum / static_cast<double>(finest)));
    }
    for (auto& [time, bucket] : cells) {
      if (level > 0) {
        const auto fixed = static_cast<uint64_t>(interval / finest);
        if (bucket.count < fixed) {
          bucket.min = std::min(bucket.min, 0.0);
          bucket.max = std::max(bucket.max, 0.0);
        }
        bucket.count = fixed;
      }
      result.push_back(TimedBucket{time, bucket});
    }
    return result;
  }
};

bool same_buckets(const std::vector<TimedBucket>& a, const std::vector<TimedBucket>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    const Bucket& x = a[i].bucket;
    const Bucket& y = b[i].bucket;
    auto close = [](double p, double q) {
      return std::abs(p - q) <= 1e-9 * (1 + std::abs(p) + std::abs(q));
    };
    if (a[i].time != b[i].time || x.count != y.count || !close(x.sum, y.sum) ||
        !close(x.sumsq, y.sumsq) || !close(x.min, y.min) || !close(x.max, y.max)) {
      return false;
    }
  }
  return true;
}

class Simulation {
 public:
  explicit Simulation(uint64_t seed)
      : seed_(seed), random_(seed), store_(seed ^ 0x5eed, SimFaults{}), clock_(kStartTime) {
    for (uint32_t i = 0; i < kCounterCount; ++i) {
      model_.names.push_back("sim.counter" + std::to_string(i) + (i % 5 == 4 ? ".events" : ""));
      model_.kinds.push_back(i % 5 == 4 ? CounterKind::kEvent : CounterKind::kGauge);
      model_.exists.push_back(false);
    }
    model_.event_sums.resize(kCounterCount);
    config_.retention = sim_retention();
    config_.counters_max = 1024;
    config_.wal_blocks = 64;
    config_.staging_entries = 20000;
    config_.io_buffers = 96;
    config_.wal_reserved_buffers = 16;
    config_.flush_jobs_max = 16;
    config_.query_jobs_max = 8;
    config_.page_grow_blocks = 32;
  }

  // One life of the daemon: start (recover), verify, run, crash.
  void cycle() {
    config_.flush_threshold = 1 + static_cast<uint32_t>(random_() % 8);
    config_.checkpoint_wal_blocks = 1 + random_() % 3;
    shard_ = std::make_unique<Shard>(config_, store_, clock_);
    store_.set_faults(SimFaults{0, 0, true, 1 << 20});
    shard_->start();
    pump_until([&] { return shard_->ready() || !shard_->start_error().empty(); });
    REQUIRE_MESSAGE(shard_->ready(), "seed " << seed_ << ": " << shard_->start_error());
    verify_recovered();

    store_.set_faults(SimFaults{0.01, 0.0, true, 1 << 20});
    const int steps = 20 + static_cast<int>(random_() % 60);
    for (int step = 0; step < steps; ++step) run_step();
    const ShardStats stats = shard_->stats();
    totals_.checkpoints += stats.checkpoints;
    totals_.page_writes += stats.page_writes;
    totals_.page_reads += stats.page_reads;
    totals_.replayed_records += stats.replayed_records;
    totals_.samples_accepted += stats.samples_accepted;
    store_.crash();
    shard_.reset();
  }

  size_t verified() const { return verified_; }
  size_t surviving_samples() const { return base_; }
  const SimStats& store_stats() const { return store_.stats(); }
  const ShardStats& shard_totals() const { return totals_; }
  std::string summary() const {
    const SimStats& s = store_.stats();
    return "accepted " + std::to_string(totals_.samples_accepted) + ", surviving " +
           std::to_string(base_) + ", replayed records " +
           std::to_string(totals_.replayed_records) + ", checkpoints " +
           std::to_string(totals_.checkpoints) + ", page writes " +
           std::to_string(totals_.page_writes) + ", page reads " +
           std::to_string(totals_.page_reads) + ", failed writes " +
           std::to_string(s.failed_writes) + ", crash kept/lost/torn " +
           std::to_string(s.crash_kept_writes) + "/" + std::to_string(s.crash_lost_writes) + "/" +
           std::to_string(s.crash_torn_writes);
  }

 private:
  static constexpr uint32_t kCounterCount = 40;

  template <class Done>
  void pump_until(Done done) {
    for (int guard = 0; guard < 1'000'000 && !done(); ++guard) {
      if (!store_.deliver_one()) shard_->tick();
    }
  }

  void run_step() {
    switch (random_() % 10) {
      case 0:
        clock_.advance(static_cast<int64_t>(random_() % 4));
        shard_->tick();
        break;
      case 1: {
        shard_->commit();
        const uint64_t accepted = accepted_.size();
        shard_->when_durable([this, accepted] { durable_ = std::max(durable_, accepted); });
        break;
      }
      case 2:
        store_.deliver_all(random_() % 16);
        break;
      case 3:
        if (random_() % 4 == 0) {
          const uint64_t accepted = accepted_.size();
          auto durable = [this, accepted] { durable_ = std::max(durable_, accepted); };
          if (random_() % 2 == 0) {
            shard_->flush_all(durable);
          } else {
            shard_->checkpoint_now(durable);
          }
        } else {
          add_random_samples();
        }
        break;
      default:
        add_random_samples();
        break;
    }
    store_.deliver_all(random_() % 4);
  }

  void add_random_samples() {
    const int count = 1 + static_cast<int>(random_() % 12);
    for (int i = 0; i < count; ++i) {
      const auto counter = static_cast<uint32_t>(random_() % kCounterCount);
      const int64_t now = clock_.now_s();
      // Mostly current, some late (up to 30 min), a few slightly ahead.
      const int64_t offset = random_() % 4 == 0 ? -static_cast<int64_t>(random_() % 1800)
                                                : static_cast<int64_t>(random_() % 40) - 20;
      const int64_t time = now + offset;
      const double value = static_cast<double>(static_cast<int>(random_() % 2001) - 1000) / 8.0;
      Sample sample{counter, time, Bucket::of_value(value), false};
      if (random_() % 7 == 0 && model_.kinds[counter] == CounterKind::kGauge) {
        sample.bucket = Bucket{3, value * 3, value * value * 3 + 1, value - 1, value + 1};
        sample.aggregated = true;
      }
      const std::string& name = model_.names[counter];
      const auto rejected = shard_->add_sample({.name = name,
                                                .hash = CounterTable::hash_name(name),
                                                .time = time,
                                                .bucket = sample.bucket,
                                                .kind = model_.kinds[counter],
                                                .aggregated = sample.aggregated});
      if (!rejected) accepted_.push_back(sample);
    }
    if (random_() % 3 == 0) shard_->tick();
  }

  // The recovered state must be the model after some prefix [0, P) of the accepted samples with
  // durable_ <= P: samples beyond P were never made durable and are gone for good.
  void verify_recovered() {
    store_.deliver_all();
    const Retention retention = sim_retention();
    std::vector<std::vector<std::vector<TimedBucket>>> stored(kCounterCount);
    for (uint32_t c = 0; c < kCounterCount; ++c) {
      stored[c].resize(retention.levels.size());
      for (size_t l = 0; l < retention.levels.size(); ++l) {
        bool done = false;
        const std::string& name = model_.names[c];
        shard_->read_level(name, CounterTable::hash_name(name), l, INT64_MIN / 4, INT64_MAX / 4,
                           [&](LevelRead read) {
                             REQUIRE_MESSAGE(read.status != LevelRead::Status::kIoError,
                                             "seed " << seed_);
                             REQUIRE_MESSAGE(read.corrupt_pages == 0, "seed " << seed_);
                             stored[c][l] = std::move(read.buckets);
                             done = true;
                           });
        pump_until([&] { return done; });
        REQUIRE(done);
      }
    }
    Model candidate = model_;
    size_t prefix = base_;
    auto matches = [&] {
      for (uint32_t c = 0; c < kCounterCount; ++c) {
        for (size_t l = 0; l < retention.levels.size(); ++l) {
          if (!same_buckets(stored[c][l], candidate.expected(c, l, retention))) return false;
        }
      }
      return true;
    };
    bool found = false;
    for (;; ++prefix) {
      if (prefix >= durable_ && matches()) {
        found = true;
        break;
      }
      if (prefix == accepted_.size()) break;
      candidate.apply(accepted_[prefix], retention);
    }
    REQUIRE_MESSAGE(found, "seed " << seed_ << ": recovered state matches no prefix of the "
                                   << accepted_.size() << " accepted samples at or beyond the "
                                   << durable_ << " durable ones (base " << base_ << ")");
    // What survived is the new truth; the rest was lost before it was durable.
    model_ = std::move(candidate);
    accepted_.resize(prefix);
    base_ = prefix;
    durable_ = prefix;
    ++verified_;
  }

  uint64_t seed_;
  std::mt19937_64 random_;
  SimPageStore store_;
  ManualClock clock_;
  ShardConfig config_;
  std::unique_ptr<Shard> shard_;
  Model model_;
  std::vector<Sample> accepted_;
  size_t base_ = 0;     // accepted_[0, base_) are in model_
  size_t durable_ = 0;  // accepted_[0, durable_) are known durable
  size_t verified_ = 0;
  ShardStats totals_;
};

TEST_CASE("every durable sample survives every crash exactly once, and nothing else appears") {
  const uint64_t cycles = env_or("RINGSTAT_SIM_CYCLES", 1000);
  const uint64_t seed = env_or("RINGSTAT_SIM_SEED", std::random_device{}());
  MESSAGE("simulation seed " << seed << " (replay with RINGSTAT_SIM_SEED=" << seed << "), "
                             << cycles << " crash/recovery cycles");
  Simulation simulation(seed);
  for (uint64_t i = 0; i < cycles; ++i) simulation.cycle();
  MESSAGE(simulation.summary());
  // The run must have exercised what it claims to: these fail if the schedule degenerates.
  CHECK(simulation.verified() == cycles);
  CHECK(simulation.surviving_samples() > cycles);
  CHECK(simulation.store_stats().crash_torn_writes > 0);
  CHECK(simulation.store_stats().failed_writes > 0);
  CHECK(simulation.shard_totals().checkpoints > cycles);
  CHECK(simulation.shard_totals().page_writes > 0);
  CHECK(simulation.shard_totals().replayed_records > 0);
}

}  // namespace
}  // namespace ringstat
