// Engine micro-benchmark: the per-sample path of ingest on one thread with 1 000 000 distinct
// names: framing (LineSplitter), parsing (istatd line protocol), caret/normalisation, name hash,
// routing to one of 4 shards, and Shard::add_sample (table lookup, WAL record, merge into every
// level). Shards run on a store that completes writes without keeping them: this is CPU only.
// Reported as time per sample (items_per_second). Run: build/perf/engine_bench
#include <benchmark/benchmark.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "engine/ingest/counter_name.h"
#include "engine/ingest/istatd_line.h"
#include "engine/ingest/line_splitter.h"
#include "engine/store/counter_table.h"
#include "engine/store/ingest_batch.h"
#include "engine/store/shard.h"

namespace ringstat {
namespace {

constexpr int64_t kBenchTime = 1'795'240'800;
constexpr uint32_t kShardCount = 4;
constexpr size_t kChunkBytes = 64 * 1024;  // one provided receive buffer

// `lg.hHHH.mMMMM [<time> ]<value>\n` for names 0..count-1, the shape perf-anchors.md uses.
std::string make_lines(uint32_t count, bool with_time, int64_t time) {
  std::string lines;
  lines.reserve(size_t{count} * 32);
  char line[64];
  for (uint32_t i = 0; i < count; ++i) {
    const int n = with_time ? std::snprintf(line, sizeof line, "lg.h%03u.m%04u %lld %u\n", i / 1000,
                                            i % 1000, static_cast<long long>(time), (7 * i) % 100)
                            : std::snprintf(line, sizeof line, "lg.h%03u.m%04u %u\n", i / 1000,
                                            i % 1000, (7 * i) % 100);
    lines.append(line, static_cast<size_t>(n));
  }
  return lines;
}

// A store for timing the CPU path: writes, syncs and growth complete successfully without
// keeping the bytes (the daemon's io_uring store does not copy them either); nothing may read.
class DiscardingStore final : public PageStore {
 public:
  void set_completion_sink(IoCompletionSink* sink) override { sink_ = sink; }
  uint64_t block_count(StoreFile file) const override { return blocks_[static_cast<size_t>(file)]; }
  void read(StoreFile, uint64_t, std::span<std::byte>, uint64_t) override {
    VERIFY(false && "the benchmark store keeps no data to read");
  }
  void write(StoreFile, uint64_t, std::span<const std::byte> data, uint64_t tag) override {
    bytes_written_ += data.size();
    pending_.push_back(tag);
  }
  void sync(StoreFile, uint64_t tag) override { pending_.push_back(tag); }
  void grow(StoreFile file, uint64_t blocks, uint64_t tag) override {
    blocks_[static_cast<size_t>(file)] = std::max(blocks_[static_cast<size_t>(file)], blocks);
    pending_.push_back(tag);
  }
  void deliver_all() {
    while (!pending_.empty()) {
      std::vector<uint64_t> batch;
      batch.swap(pending_);
      for (uint64_t tag : batch) sink_->on_io_complete(tag, 0);
    }
  }
  uint64_t bytes_written() const { return bytes_written_; }

 private:
  IoCompletionSink* sink_ = nullptr;
  uint64_t blocks_[kStoreFileCount] = {};
  std::vector<uint64_t> pending_;
  uint64_t bytes_written_ = 0;
};

class BenchEngine {
 public:
  explicit BenchEngine(uint32_t counters, uint32_t staged_per_counter) : clock_(kBenchTime) {
    for (uint32_t s = 0; s < kShardCount; ++s) {
      ShardConfig config;
      config.shard_id = s;
      config.retention = Retention{{{10, 864000}, {300, 32313600}, {3600, 190252800}}};
      config.counters_max = counters / kShardCount * 5 / 4;
      config.staging_entries = counters / kShardCount * staged_per_counter * 5 / 4 + 20000;
      // Large enough that no checkpoint runs while timing: checkpoints are measured on their own.
      config.wal_blocks = 1 << 17;
      config.checkpoint_wal_blocks = 1 << 16;
      config.io_buffers = 1024;
      config.wal_reserved_buffers = 256;
      stores_.push_back(std::make_unique<DiscardingStore>());
      shards_.push_back(std::make_unique<Shard>(config, *stores_.back(), clock_));
      shards_.back()->start();
      stores_.back()->deliver_all();
      if (!shards_.back()->ready()) std::abort();
    }
  }

  // Feeds the buffer in receive-sized chunks, batching samples per shard as the daemon does;
  // returns samples accepted.
  uint64_t feed(const std::string& lines) {
    uint64_t accepted = 0;
    LineSplitter splitter;
    auto hand_over = [&](uint32_t s) {
      accepted += shards_[s]->add_batch(batches_[s].samples(), reasons_);
      batches_[s].clear();
    };
    auto on_line = [&](std::string_view line) {
      const LineResult parsed = parse_istatd_line(line);
      if (!parsed.ok() || parsed.line.kind != LineKind::kSample) return;
      const SampleFields& fields = parsed.line.sample;
      IngestSample sample = ingest_sample_from(fields);
      for_each_counter_name(fields.raw_name, fields.name_syntax, [&](std::string_view name) {
        sample.name = name;
        sample.hash = CounterTable::hash_name(name);
        const auto s = static_cast<uint32_t>(sample.hash >> 62);
        if (!batches_[s].add(sample)) {
          hand_over(s);
          batches_[s].add(sample);
        }
      });
    };
    auto on_reject = [](RejectReason) {};
    for (size_t offset = 0; offset < lines.size(); offset += kChunkBytes) {
      splitter.feed(std::string_view(lines).substr(offset, kChunkBytes), carry_, on_line,
                    on_reject);
      for (uint32_t s = 0; s < kShardCount; ++s) hand_over(s);
      for (auto& store : stores_) store->deliver_all();
    }
    splitter.finish(carry_, on_line, on_reject);
    for (uint32_t s = 0; s < kShardCount; ++s) {  // one group commit and tick per round
      hand_over(s);
      shards_[s]->commit();
      shards_[s]->tick();
      stores_[s]->deliver_all();
    }
    return accepted;
  }

  ShardStats total() const {
    ShardStats total;
    for (const auto& shard : shards_) {
      const ShardStats s = shard->stats();
      for (size_t r = 0; r < static_cast<size_t>(RejectReason::kCount); ++r)
        total.rejected[r] += s.rejected[r];
      total.samples_accepted += s.samples_accepted;
      total.checkpoints += s.checkpoints;
      total.counters += s.counters;
      total.page_writes += s.page_writes;
    }
    return total;
  }

 private:
  ManualClock clock_;
  CarryPool carry_{16};
  IngestBatch batches_[kShardCount];
  std::optional<RejectReason> reasons_[IngestBatch::kSamplesMax];
  std::vector<std::unique_ptr<DiscardingStore>> stores_;
  std::vector<std::unique_ptr<Shard>> shards_;
};

// Steady state: every counter exists and each sample merges into its open bucket ("now").
void BM_IngestSteady(benchmark::State& state) {
  const auto counters = static_cast<uint32_t>(state.range(0));
  BenchEngine engine(counters, 3);
  const std::string lines = make_lines(counters, false, 0);
  engine.feed(lines);  // creates every counter
  uint64_t accepted = 0;
  for (auto _ : state) accepted += engine.feed(lines);
  if (accepted != counters * static_cast<uint64_t>(state.iterations()))
    state.SkipWithError("lost samples");
  state.SetItemsProcessed(static_cast<int64_t>(accepted));
  state.counters["checkpoints"] = static_cast<double>(engine.total().checkpoints);
}
BENCHMARK(BM_IngestSteady)->Arg(1'000'000)->Unit(benchmark::kMillisecond)->MinTime(3);

// Each round moves every counter to a new 10 s bucket: a new staged bucket per sample.
void BM_IngestNewBucketEachRound(benchmark::State& state) {
  const auto counters = static_cast<uint32_t>(state.range(0));
  constexpr int kRounds = 12;
  BenchEngine engine(counters, kRounds + 4);
  std::vector<std::string> rounds;
  for (int r = 0; r < kRounds; ++r)
    rounds.push_back(make_lines(counters, true, kBenchTime - 3600 + 10 * r));
  engine.feed(rounds[0]);
  uint64_t accepted = 0;
  size_t round = 1;
  for (auto _ : state) {
    if (round == rounds.size()) {
      state.SkipWithError("ran out of prepared rounds; lower MinTime");
      break;
    }
    accepted += engine.feed(rounds[round++]);
  }
  state.SetItemsProcessed(static_cast<int64_t>(accepted));
  const ShardStats total = engine.total();
  for (size_t r = 0; r < static_cast<size_t>(RejectReason::kCount); ++r) {
    if (total.rejected[r] > 0) {
      state.counters[std::string(reject_reason_name(static_cast<RejectReason>(r)))] =
          static_cast<double>(total.rejected[r]);
    }
  }
}
BENCHMARK(BM_IngestNewBucketEachRound)
    ->Arg(1'000'000)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(10);

// Parsing and hashing alone, for the split of the budget.
void BM_ParseAndHashOnly(benchmark::State& state) {
  const std::string lines = make_lines(static_cast<uint32_t>(state.range(0)), false, 0);
  CarryPool carry(16);
  uint64_t samples = 0;
  uint64_t sink = 0;
  for (auto _ : state) {
    LineSplitter splitter;
    auto on_line = [&](std::string_view line) {
      const LineResult parsed = parse_istatd_line(line);
      if (!parsed.ok()) return;
      for_each_counter_name(parsed.line.sample.raw_name, parsed.line.sample.name_syntax,
                            [&](std::string_view name) {
                              sink += CounterTable::hash_name(name);
                              ++samples;
                            });
    };
    auto on_reject = [](RejectReason) {};
    for (size_t offset = 0; offset < lines.size(); offset += kChunkBytes) {
      splitter.feed(std::string_view(lines).substr(offset, kChunkBytes), carry, on_line, on_reject);
    }
    splitter.finish(carry, on_line, on_reject);
  }
  benchmark::DoNotOptimize(sink);
  state.SetItemsProcessed(static_cast<int64_t>(samples));
}
BENCHMARK(BM_ParseAndHashOnly)->Arg(1'000'000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace ringstat

BENCHMARK_MAIN();
