// IngestRouter: moves the samples one reactor parsed to the shards that own them (Invariant 2).
// Samples for this reactor's own shards gather in one batch per shard and are applied with
// Shard::add_batch; samples for another reactor's shards are written straight into a slot of that
// reactor's inbound queue, which is handed over when full or at the end of the pass. A full queue
// or a congested shard is back-pressure: what does not fit waits in a spill list, in order, and
// blocked() tells the reactor to hold its receive buffers until it clears. Nothing is dropped and
// nothing waits (Invariant 9, docs/architecture.md). No I/O of its own: it sees the other
// reactors only through their queues, so it runs in unit tests without io_uring.
// Owned by one reactor and touched only on its thread (inbound: the consumer side).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/ingest/ingest_counters.h"
#include "engine/ingest/sample_sink.h"
#include "engine/store/ingest_batch.h"
#include "engine/store/shard.h"
#include "net/daemon/reactor_queues.h"
#include "net/daemon/spill_list.h"

namespace ringstat {

class IngestRouter final : public SampleSink {
 public:
  // Samples the shards accept or refuse are counted into `counters`, by listener.
  IngestRouter(uint32_t reactor, ReactorQueues& queues, IngestCountersByListener& counters);
  IngestRouter(const IngestRouter&) = delete;
  IngestRouter& operator=(const IngestRouter&) = delete;

  // This reactor owns `shard` (global index): samples for it are applied to `target`.
  void own_shard(uint32_t shard, Shard& target);

  // SampleSink: one sample from this reactor's line pipeline. Never blocks: when the sample
  // cannot move on now it is kept, in order, and blocked() turns true.
  void take(const IngestSample& sample, uint32_t shard, IngestListener listener) override;

  // Applies every local batch to its shard.
  void apply_local();
  // Publishes the outbound slots that hold samples, spilled samples first, into as many free
  // slots as the queues have.
  void hand_on();
  // Applies the batches other reactors sent here. Stops at the first batch it may not apply
  // because one of this reactor's shards is congested (the batch stays queued: the sender then
  // holds its own receive buffers); returns false then.
  bool drain_inbound();
  bool drain_inbound_from(uint32_t source);

  // Back-pressure: an outbound queue is full (a spill list holds samples) or a local shard is
  // congested. While true the reactor takes no new receive buffer in.
  bool blocked() const;
  // Nothing is waiting to be handed on.
  bool spills_empty() const;
  // The reactors whose queues received batches or were found full since the last call, for the
  // MSG_RING doorbells.
  bool take_doorbell(uint32_t target);

  // The flush barrier's positions (docs/architecture.md, "flush"): how far each spill list reaches
  // now, and whether everything up to such a mark has been handed on.
  std::vector<uint64_t> spill_marks() const;
  bool handed_on_through(const std::vector<uint64_t>& marks) const;

  // Batches handed to other reactors, and taken from them.
  uint64_t batches_sent() const { return batches_sent_; }
  uint64_t batches_received() const { return batches_received_; }

 private:
  struct LocalShard {
    Shard* shard = nullptr;
    IngestBatch batch;
    std::array<IngestListener, IngestBatch::kSamplesMax> listeners{};
  };
  // A sample for another reactor that did not fit its queue.
  struct SpilledSample {
    uint32_t shard = 0;
    IngestListener listener = IngestListener::kStatTcp;
    std::string name;     // owned: the sample outlives the receive buffer it came from
    IngestSample sample;  // its name is re-pointed at `name` when it is handed on
  };
  // Reactors a shard may belong to: one outbound slot, spill list and doorbell each.
  struct Peer {
    RemoteBatch* slot = nullptr;  // the queue slot being filled, or null
    SpillList<SpilledSample> spill;
    bool doorbell = false;
  };

  uint32_t owner_of(uint32_t shard) const { return owning_reactor(shard, queues_.reactor_count()); }
  void add_local(LocalShard& local, const IngestSample& sample, IngestListener listener);
  void apply(LocalShard& local);
  // Adds to the slot being filled for `target`, taking a new slot when there is none or it is
  // full; false when the queue has no free slot.
  bool add_remote(uint32_t target, const IngestSample& sample, uint32_t shard,
                  IngestListener listener);
  void publish(uint32_t target);
  bool any_local_congested() const;

  const uint32_t reactor_;
  ReactorQueues& queues_;
  IngestCountersByListener& counters_;
  std::vector<std::unique_ptr<LocalShard>> local_;  // by global shard index; null: not ours
  std::vector<LocalShard*> owned_;                  // the non-null ones, in order
  std::vector<Peer> peers_;
  std::array<std::optional<RejectReason>, IngestBatch::kSamplesMax> reasons_;
  uint64_t batches_sent_ = 0;
  uint64_t batches_received_ = 0;
};

}  // namespace ringstat
