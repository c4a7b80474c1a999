// Engine micro-benchmark: the per-sample path of ingest on one thread with 1 000 000 distinct
// names, through the daemon's own LinePipeline: framing (LineSplitter), parsing (istatd line
// protocol), caret/normalisation, name hash and shard choice (4 shards), then batches per shard
// into Shard::add_batch (table lookup, WAL record, merge into every level). Shards run on a store
// that completes writes without keeping them: this is CPU only. Reported as time per sample
// (items_per_second). Run: build/perf/engine_bench
#include <benchmark/benchmark.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "engine/ingest/line_pipeline.h"
#include "engine/store/ingest_batch.h"
#include "engine/store/shard.h"

namespace ringstat {
namespace {

constexpr int64_t kBenchTime = 1'795'240'800;
constexpr uint32_t kShardCount = 4;
constexpr size_t kChunkBytes = 64 * 1024;  // one provided receive buffer
constexpr size_t kCarryBuffers = 16;

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
    LineSplitter splitter;
    sink_.accepted = 0;
    for (size_t offset = 0; offset < lines.size(); offset += kChunkBytes) {
      pipeline_.feed_stream(IngestListener::kStatTcp, splitter, nullptr,
                            std::string_view(lines).substr(offset, kChunkBytes), sink_);
      for (uint32_t s = 0; s < kShardCount; ++s) sink_.hand_over(s);
      for (auto& store : stores_) store->deliver_all();
    }
    pipeline_.finish_stream(IngestListener::kStatTcp, splitter, nullptr, sink_);
    for (uint32_t s = 0; s < kShardCount; ++s) {  // one group commit and tick per round
      sink_.hand_over(s);
      shards_[s]->commit();
      shards_[s]->tick();
      stores_[s]->deliver_all();
    }
    return sink_.accepted;
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
  // The daemon's local path: a batch per shard, handed to Shard::add_batch when full and after
  // every receive buffer.
  class BatchingSink final : public SampleSink {
   public:
    explicit BatchingSink(std::vector<std::unique_ptr<Shard>>& shards) : shards_(shards) {}
    void take(const IngestSample& sample, uint32_t shard, IngestListener) override {
      if (batches_[shard].add(sample)) return;
      hand_over(shard);
      const bool added = batches_[shard].add(sample);
      VERIFY(added);  // an empty batch takes any valid name
    }
    void hand_over(uint32_t shard) {
      accepted += shards_[shard]->add_batch(batches_[shard].samples(), reasons_);
      batches_[shard].clear();
    }
    uint64_t accepted = 0;

   private:
    std::vector<std::unique_ptr<Shard>>& shards_;
    IngestBatch batches_[kShardCount];
    std::optional<RejectReason> reasons_[IngestBatch::kSamplesMax];
  };

  ManualClock clock_;
  std::vector<std::unique_ptr<DiscardingStore>> stores_;
  std::vector<std::unique_ptr<Shard>> shards_;
  IngestCountersByListener counters_{};
  LinePipeline pipeline_{kShardCount, counters_, kCarryBuffers};
  BatchingSink sink_{shards_};
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

// The line pipeline alone (framing, parsing, names, hashing, shard choice), for the split of the
// budget: the sink only sums the hashes.
void BM_ParseAndHashOnly(benchmark::State& state) {
  class HashSumSink final : public SampleSink {
   public:
    void take(const IngestSample& sample, uint32_t shard, IngestListener) override {
      sum += sample.hash + shard;
      ++samples;
    }
    uint64_t sum = 0;
    uint64_t samples = 0;
  };
  const std::string lines = make_lines(static_cast<uint32_t>(state.range(0)), false, 0);
  IngestCountersByListener counters{};
  LinePipeline pipeline(kShardCount, counters, kCarryBuffers);
  HashSumSink sink;
  for (auto _ : state) {
    LineSplitter splitter;
    for (size_t offset = 0; offset < lines.size(); offset += kChunkBytes) {
      pipeline.feed_stream(IngestListener::kStatTcp, splitter, nullptr,
                           std::string_view(lines).substr(offset, kChunkBytes), sink);
    }
    pipeline.finish_stream(IngestListener::kStatTcp, splitter, nullptr, sink);
  }
  benchmark::DoNotOptimize(sink.sum);
  state.SetItemsProcessed(static_cast<int64_t>(sink.samples));
}
BENCHMARK(BM_ParseAndHashOnly)->Arg(1'000'000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace ringstat

BENCHMARK_MAIN();
