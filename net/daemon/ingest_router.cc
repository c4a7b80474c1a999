#include "net/daemon/ingest_router.h"

#include "base/verify.h"

namespace ringstat {

IngestRouter::IngestRouter(uint32_t reactor, ReactorQueues& queues,
                           IngestCountersByListener& counters)
    : reactor_(reactor), queues_(queues), counters_(counters), peers_(queues.reactor_count()) {
  VERIFY(reactor < queues.reactor_count());
}

void IngestRouter::own_shard(uint32_t shard, Shard& target) {
  VERIFY(owner_of(shard) == reactor_);
  if (local_.size() <= shard) local_.resize(shard + 1);
  VERIFY(local_[shard] == nullptr);
  local_[shard] = std::make_unique<LocalShard>();
  local_[shard]->shard = &target;
  owned_.push_back(local_[shard].get());
}

void IngestRouter::take(const IngestSample& sample, uint32_t shard, IngestListener listener) {
  const uint32_t owner = owner_of(shard);
  if (owner == reactor_) {
    VERIFY(shard < local_.size() && local_[shard] != nullptr);
    add_local(*local_[shard], sample, listener);
    return;
  }
  // Samples for another reactor keep their order: once one spilled, every later one spills too
  // until the spill list is handed on.
  Peer& peer = peers_[owner];
  if (peer.spill.empty() && add_remote(owner, sample, shard, listener)) return;
  peer.spill.push_back(SpilledSample{shard, listener, std::string(sample.name), sample});
}

void IngestRouter::add_local(LocalShard& local, const IngestSample& sample,
                             IngestListener listener) {
  if (!local.batch.add(sample)) {
    apply(local);
    const bool added = local.batch.add(sample);
    VERIFY(added);  // an empty batch takes any valid name
  }
  local.listeners[local.batch.samples().size() - 1] = listener;
}

void IngestRouter::apply(LocalShard& local) {
  const auto samples = local.batch.samples();
  if (samples.empty()) return;
  local.shard->add_batch(samples, reasons_);
  for (size_t i = 0; i < samples.size(); ++i) {
    IngestCounters& counters = counters_[static_cast<size_t>(local.listeners[i])];
    if (reasons_[i]) {
      ++counters.rejected[static_cast<size_t>(*reasons_[i])];
    } else {
      ++counters.samples_accepted;
    }
  }
  local.batch.clear();
}

void IngestRouter::apply_local() {
  for (LocalShard* local : owned_) apply(*local);
}

bool IngestRouter::add_remote(uint32_t target, const IngestSample& sample, uint32_t shard,
                              IngestListener listener) {
  Peer& peer = peers_[target];
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (peer.slot == nullptr) {
      peer.slot = queues_.data(reactor_, target).producer_slot();
      if (peer.slot == nullptr) return false;  // the queue is full
      peer.slot->batch.clear();
    }
    RemoteBatch& slot = *peer.slot;
    if (slot.batch.add(sample)) {
      slot.shards[slot.batch.samples().size() - 1] = shard;
      slot.listeners[slot.batch.samples().size() - 1] = listener;
      return true;
    }
    publish(target);  // full: hand it over and try the next slot
  }
  VERIFY(false && "an empty batch takes any valid name");
  return false;
}

void IngestRouter::publish(uint32_t target) {
  Peer& peer = peers_[target];
  if (peer.slot == nullptr) return;
  RemoteBatch* slot = peer.slot;
  peer.slot = nullptr;
  if (slot->batch.empty()) return;  // an unfilled slot stays ours: it is taken again next time
  queues_.data(reactor_, target).producer_publish();
  peer.doorbell = true;
  ++batches_sent_;
}

void IngestRouter::hand_on() {
  for (uint32_t target = 0; target < peers_.size(); ++target) {
    if (target == reactor_) continue;
    Peer& peer = peers_[target];
    size_t moved = 0;
    while (moved < peer.spill.size()) {
      const SpilledSample& spilled = peer.spill[moved];
      IngestSample sample = spilled.sample;
      sample.name = spilled.name;
      if (!add_remote(target, sample, spilled.shard, spilled.listener)) break;
      ++moved;
    }
    peer.spill.pop_front(moved);
    publish(target);
  }
}

bool IngestRouter::any_local_congested() const {
  for (const LocalShard* local : owned_) {
    if (local->shard->congested()) return true;
  }
  return false;
}

bool IngestRouter::drain_inbound() {
  bool drained = true;
  for (uint32_t source = 0; source < peers_.size(); ++source) {
    if (source != reactor_ && !drain_inbound_from(source)) drained = false;
  }
  return drained;
}

bool IngestRouter::drain_inbound_from(uint32_t source) {
  auto& queue = queues_.data(source, reactor_);
  while (RemoteBatch* slot = queue.consumer_peek()) {
    if (any_local_congested()) return false;
    const auto samples = slot->batch.samples();
    for (size_t i = 0; i < samples.size(); ++i) {
      const uint32_t shard = slot->shards[i];
      VERIFY(shard < local_.size() && local_[shard] != nullptr);  // routed here by its owner
      add_local(*local_[shard], samples[i], slot->listeners[i]);
    }
    apply_local();  // the names live in the slot, which is about to be reused
    queue.consumer_release();
    ++batches_received_;
  }
  return true;
}

bool IngestRouter::blocked() const { return !spills_empty() || any_local_congested(); }

bool IngestRouter::spills_empty() const {
  for (const Peer& peer : peers_) {
    if (!peer.spill.empty()) return false;
  }
  return true;
}

bool IngestRouter::take_doorbell(uint32_t target) {
  const bool owed = peers_[target].doorbell;
  peers_[target].doorbell = false;
  return owed;
}

std::vector<uint64_t> IngestRouter::spill_marks() const {
  std::vector<uint64_t> marks;
  marks.reserve(peers_.size());
  for (const Peer& peer : peers_) marks.push_back(peer.spill.pushed_total());
  return marks;
}

bool IngestRouter::handed_on_through(const std::vector<uint64_t>& marks) const {
  VERIFY(marks.size() == peers_.size());
  for (size_t target = 0; target < peers_.size(); ++target) {
    if (!peers_[target].spill.handed_on_through(marks[target])) return false;
  }
  return true;
}

}  // namespace ringstat
