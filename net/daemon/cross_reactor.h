// What reactors send each other through their SPSC queues (net/daemon/spsc_queue.h): batches of
// parsed samples for the shards the receiver owns, filled in place in the queue slot, and tasks
// (queries, admin commands, shutdown steps) to run on the receiver's thread. One queue of each kind
// per ordered pair of reactors; the sender is the only producer, the receiver the only consumer.
#pragma once

#include <array>
#include <cstdint>
#include <functional>

#include "engine/ingest/ingest_counters.h"
#include "engine/store/ingest_batch.h"

namespace ringstat {

class Reactor;

struct RemoteBatch {
  IngestBatch batch;
  std::array<uint32_t, IngestBatch::kSamplesMax> shards{};  // shard of batch.samples()[i]
  std::array<IngestListener, IngestBatch::kSamplesMax>
      listeners{};  // where it came in, for metrics
};

struct TaskSlot {
  std::function<void(Reactor&)> run;
};

// The reactor that owns shard `shard` (Invariant 2): shards are dealt out round robin, so any
// --threads serves any store.
inline uint32_t owning_reactor(uint32_t shard, uint32_t reactor_count) {
  return shard % reactor_count;
}

// Slots per queue: enough for a few receive buffers' worth of samples in flight between two cores.
inline constexpr size_t kRemoteBatchSlots = 32;
inline constexpr size_t kTaskSlots = 1024;

}  // namespace ringstat
