// Reactor ingest: received bytes to lines to samples, each routed to the shard its name hashes to.
// Samples for this reactor's shards gather in per-shard batches; samples for another reactor's
// shards are written straight into that reactor's inbound queue slot. A full queue or a congested
// shard is back-pressure: the rest of the current buffer waits in a spill list, further receive
// buffers are held, and the provided buffer ring running dry stops the sockets. Nothing is
// dropped and nothing blocks (Invariant 9, docs/architecture.md).
#include <algorithm>

#include "engine/ingest/graphite_line.h"
#include "engine/ingest/istatd_line.h"
#include "net/daemon/reactor.h"
#include "net/daemon/reactor_context.h"
#include "net/daemon/reactor_state.h"

namespace ringstat {

namespace {
constexpr size_t kMetaEntriesMax = 32;  // `#key value` lines kept per agent connection
constexpr size_t kMetaValueBytesMax = 256;
constexpr size_t kHttpBufferedBytesMax = 4 << 20;
}  // namespace

uint32_t Reactor::shard_of(uint64_t hash) const {
  // The counter table uses the low 32 bits; routing uses the high ones.
  return static_cast<uint32_t>((hash >> 32) % context_.layout().shard_count);
}

uint32_t Reactor::owner_of(uint32_t shard) const { return shard % context_.reactor_count(); }

Reactor::OwnedShard* Reactor::local_shard(uint32_t shard) {
  const int32_t slot = local_slot_of_shard_[shard];
  return slot < 0 ? nullptr : shards_[static_cast<size_t>(slot)].get();
}

Shard& Reactor::owned_shard(uint32_t shard) {
  OwnedShard* owned = local_shard(shard);
  VERIFY(owned != nullptr);  // routed here by owner_of
  return *owned->shard;
}

// A new receive buffer waits behind every buffer already held, whatever its connection: held
// buffers are then processed in arrival order (Invariant 9), and a `flush` that noted how many
// were held when it arrived waits for those alone, never for newer ones that overtook them.
bool Reactor::ingest_blocked() const { return !deferred_.empty() || downstream_blocked(); }

bool Reactor::downstream_blocked() const {
  for (size_t target = 0; target < outbound_blocked_.size(); ++target) {
    if (outbound_blocked_[target]) return true;
  }
  for (const auto& owned : shards_) {
    if (owned->shard->congested()) return true;
  }
  return false;
}

void Reactor::handle_bytes(uint32_t slot, std::string_view bytes) {
  Connection& c = connections_[slot];
  switch (c.kind) {
    case ListenerKind::kStatTcp:
    case ListenerKind::kGraphiteTcp:
      ingest_tcp(c, bytes);
      break;
    case ListenerKind::kHttp:
      // A request is at most 16 KiB of head and 1 MiB of body; a client that piles up more
      // behind a request still being answered is cut off rather than buffered without end.
      if (c.input.size() + bytes.size() > kHttpBufferedBytesMax) {
        close_connection(slot);
        return;
      }
      c.input.append(bytes);
      http_input(c);
      break;
    case ListenerKind::kAdmin:
      admin_input(c, bytes);
      break;
    case ListenerKind::kStatUdp:
    case ListenerKind::kGraphiteUdp:
      VERIFY(false && "UDP has no connections");
  }
}

void Reactor::ingest_tcp(Connection& c, std::string_view bytes) {
  const ListenerKind kind = c.kind;
  c.splitter.feed(
      bytes, carry_, [&](std::string_view line) { ingest_line(kind, &c, line); },
      [&](RejectReason reason) {
        ++metrics_.ingest[static_cast<size_t>(ingest_listener(kind))]
              .rejected[static_cast<size_t>(reason)];
      });
}

void Reactor::ingest_udp(uint32_t l, std::string_view datagram) {
  const ListenerKind kind = listeners_[l].kind;
  split_datagram(
      datagram, [&](std::string_view line) { ingest_line(kind, nullptr, line); },
      [&](RejectReason reason) {
        ++metrics_.ingest[static_cast<size_t>(ingest_listener(kind))]
              .rejected[static_cast<size_t>(reason)];
      });
}

void Reactor::ingest_line(ListenerKind kind, Connection* connection, std::string_view line) {
  IngestCounters& counters = metrics_.ingest[static_cast<size_t>(ingest_listener(kind))];
  ++counters.lines;
  const bool graphite = kind == ListenerKind::kGraphiteTcp || kind == ListenerKind::kGraphiteUdp;
  const LineResult parsed = graphite ? parse_graphite_line(line) : parse_istatd_line(line);
  if (!parsed.ok()) {
    ++counters.rejected[static_cast<size_t>(*parsed.reject)];
    return;
  }
  switch (parsed.line.kind) {
    case LineKind::kEmpty:
      return;
    case LineKind::kReserved:
      ++counters.reserved_lines;
      return;
    case LineKind::kMeta: {
      ++counters.meta_lines;
      if (connection == nullptr) return;  // UDP senders are not agents (spec GET /?a=)
      const std::string key(parsed.line.meta_key);
      const std::string value(parsed.line.meta_value.substr(0, kMetaValueBytesMax));
      auto& meta = connection->meta;
      auto it = std::find_if(meta.begin(), meta.end(),
                             [&](const auto& entry) { return entry.first == key; });
      if (it != meta.end()) {
        it->second = value;
      } else if (meta.size() < kMetaEntriesMax) {
        meta.emplace_back(key, value);
      }
      return;
    }
    case LineKind::kSample:
      break;
  }
  const SampleFields& fields = parsed.line.sample;
  IngestSample sample = ingest_sample_from(fields);
  for_each_counter_name(fields.raw_name, fields.name_syntax, [&](std::string_view name) {
    sample.name = name;
    sample.hash = CounterTable::hash_name(name);
    route_sample(sample, kind);
  });
}

void Reactor::add_local(OwnedShard& owned, const IngestSample& sample, ListenerKind kind) {
  if (!owned.batch.add(sample)) {
    apply_local_batch(owned);
    const bool added = owned.batch.add(sample);
    VERIFY(added);  // an empty batch takes any valid name
  }
  owned.listeners[owned.batch.samples().size() - 1] = kind;
}

bool Reactor::add_remote(RemoteBatch& slot, const IngestSample& sample, uint32_t shard,
                         ListenerKind kind) {
  if (!slot.batch.add(sample)) return false;
  slot.shards[slot.batch.samples().size() - 1] = shard;
  slot.listeners[slot.batch.samples().size() - 1] = kind;
  return true;
}

void Reactor::route_sample(const IngestSample& sample, ListenerKind kind) {
  const uint32_t shard = shard_of(sample.hash);
  const uint32_t owner = owner_of(shard);
  if (owner == index_) {
    add_local(*local_shard(shard), sample, kind);
    return;
  }
  // Samples for another reactor keep their order: once one spilled, every later one spills too.
  if (spill_[owner].empty()) {
    RemoteBatch* slot = outbound_[owner];
    if (slot != nullptr && add_remote(*slot, sample, shard, kind)) return;
    if (slot != nullptr) push_remote(owner);  // full: hand it over and take the next slot
    slot = outbound_[owner] = context_.queues().data(index_, owner).producer_slot();
    if (slot != nullptr) {
      slot->batch.clear();
      const bool added = add_remote(*slot, sample, shard, kind);
      VERIFY(added);  // an empty batch takes any valid name
      return;
    }
  }
  outbound_blocked_[owner] = true;
  spill_[owner].push_back(SpilledSample{shard, kind, std::string(sample.name), sample});
}

bool Reactor::push_remote(uint32_t target) {
  RemoteBatch* slot = outbound_[target];
  if (slot == nullptr) return true;
  outbound_[target] = nullptr;
  if (slot->batch.empty()) return true;  // an unfilled slot stays ours: take it again next time
  context_.queues().data(index_, target).producer_publish();
  doorbell_[target] = true;
  ++metrics_.remote_batches_sent;
  return true;
}

void Reactor::apply_local_batch(OwnedShard& owned) {
  const auto samples = owned.batch.samples();
  if (samples.empty()) return;
  owned.shard->add_batch(samples, batch_reasons_);
  for (size_t i = 0; i < samples.size(); ++i) {
    IngestCounters& counters =
        metrics_.ingest[static_cast<size_t>(ingest_listener(owned.listeners[i]))];
    if (batch_reasons_[i]) {
      ++counters.rejected[static_cast<size_t>(*batch_reasons_[i])];
    } else {
      ++counters.samples_accepted;
    }
  }
  owned.batch.clear();
}

void Reactor::flush_local_batches() {
  for (auto& owned : shards_) apply_local_batch(*owned);
}

void Reactor::flush_remote_batches() {
  for (uint32_t target = 0; target < outbound_.size(); ++target) {
    if (target == index_) continue;
    // Spilled samples first, in order, into as many free slots as there are.
    auto& spill = spill_[target];
    size_t moved = 0;
    while (moved < spill.size()) {
      RemoteBatch* slot = outbound_[target];
      if (slot == nullptr) {
        slot = outbound_[target] = context_.queues().data(index_, target).producer_slot();
        if (slot == nullptr) break;
        slot->batch.clear();
      }
      const SpilledSample& spilled = spill[moved];
      IngestSample sample = spilled.sample;
      sample.name = spilled.name;
      if (!add_remote(*slot, sample, spilled.shard, spilled.listener)) {
        push_remote(target);
        continue;
      }
      ++moved;
    }
    spill.pop_front(moved);
    push_remote(target);
    outbound_blocked_[target] = !spill.empty();
    // Tasks that did not fit earlier.
    auto& overflow = task_overflow_[target];
    while (!overflow.empty()) {
      TaskSlot* task = context_.queues().tasks(index_, target).producer_slot();
      if (task == nullptr) break;
      task->run = std::move(overflow.front());
      overflow.pop_front();
      context_.queues().tasks(index_, target).producer_publish();
      doorbell_[target] = true;
    }
  }
}

void Reactor::post(uint32_t target, std::function<void(Reactor&)> task) {
  auto& overflow = task_overflow_[target];
  TaskSlot* slot =
      overflow.empty() ? context_.queues().tasks(index_, target).producer_slot() : nullptr;
  if (slot == nullptr) {
    overflow.push_back(std::move(task));
  } else {
    slot->run = std::move(task);
    context_.queues().tasks(index_, target).producer_publish();
  }
  doorbell_[target] = true;
}

void Reactor::drain_inbound() {
  for (uint32_t source = 0; source < context_.reactor_count(); ++source) {
    if (source != index_) drain_inbound_from(source);
  }
  for (uint32_t source = 0; source < context_.reactor_count(); ++source) {
    auto& tasks = context_.queues().tasks(source, index_);
    while (TaskSlot* slot = tasks.consumer_peek()) {
      std::function<void(Reactor&)> run = std::move(slot->run);
      slot->run = nullptr;
      tasks.consumer_release();
      run(*this);
    }
  }
}

// Returns true when the queue from `source` is empty afterwards.
bool Reactor::drain_inbound_from(uint32_t source) {
  auto& queue = context_.queues().data(source, index_);
  while (RemoteBatch* slot = queue.consumer_peek()) {
    // A congested shard leaves the batch in the queue: the sender then holds its receive buffers.
    for (const auto& owned : shards_) {
      if (owned->shard->congested()) return false;
    }
    const auto samples = slot->batch.samples();
    for (size_t i = 0; i < samples.size(); ++i) {
      add_local(*local_shard(slot->shards[i]), samples[i], slot->listeners[i]);
    }
    flush_local_batches();  // the names live in the slot, which is about to be reused
    queue.consumer_release();
    ++metrics_.remote_batches_received;
  }
  return true;
}

void Reactor::process_deferred() {
  size_t done = 0;
  while (done < deferred_.size() && !downstream_blocked()) {
    const DeferredReceive held = deferred_[done++];
    ++deferred_processed_;
    if (held.udp) {
      Listener& listener = listeners_[held.connection];
      auto bytes = udp_buffers_->buffer(held.buffer_id, held.length);
      io_uring_recvmsg_out* out = io_uring_recvmsg_validate(
          bytes.data(), static_cast<int>(held.length), &listener.udp_header);
      VERIFY(out != nullptr);  // validated when it arrived
      const auto* payload =
          static_cast<const char*>(io_uring_recvmsg_payload(out, &listener.udp_header));
      ingest_udp(held.connection, std::string_view(payload, io_uring_recvmsg_payload_length(
                                                                out, static_cast<int>(held.length),
                                                                &listener.udp_header)));
      udp_buffers_->recycle(held.buffer_id);
      continue;
    }
    Connection* c = connection(held.connection, held.generation);
    VERIFY(c != nullptr);  // kept open while it has held buffers
    const auto bytes = tcp_buffers_->buffer(held.buffer_id, held.length);
    handle_bytes(held.connection, {reinterpret_cast<const char*>(bytes.data()), bytes.size()});
    tcp_buffers_->recycle(held.buffer_id);
    if (--c->deferred_buffers == 0) {
      if (c->peer_closed) maybe_finish_input(held.connection);
      if (c->closing) close_connection(held.connection);
    }
  }
  deferred_.erase(deferred_.begin(), deferred_.begin() + static_cast<std::ptrdiff_t>(done));
}

// Receive buffers are held and processed in arrival order (reactor_ingest.cc), so the ones held
// now are the next deferred_.size() to be processed. Once they have been, every sample read so far
// has been parsed: into a local batch, an outbound slot (published by flush_remote_batches) or a
// spill list, whose current ends are the second mark. Noting the spill ends only then may take in
// a few samples parsed later in the same pass, never an unbounded stream.
void Reactor::hand_on_read_so_far(std::function<void()> then) {
  const uint64_t deferred_mark = deferred_processed_ + deferred_.size();
  auto spill_marks = std::make_shared<std::vector<uint64_t>>();
  until([this, deferred_mark, spill_marks, then = std::move(then)]() {
    flush_local_batches();
    flush_remote_batches();
    if (deferred_processed_ < deferred_mark) return false;
    if (spill_marks->empty()) {
      for (const auto& spill : spill_) spill_marks->push_back(spill.pushed_total());
    }
    for (size_t target = 0; target < spill_.size(); ++target) {
      if (!spill_[target].handed_on_through((*spill_marks)[target])) return false;
    }
    then();
    return true;
  });
}

// Applies each inbound data queue up to the position its producer had published when this was
// called (what came later may be applied too, but is not waited for), then the local batches.
void Reactor::drain_inbound_published_so_far(std::function<void()> then) {
  auto marks = std::make_shared<std::vector<uint64_t>>(reactor_count_, 0);
  for (uint32_t source = 0; source < reactor_count_; ++source) {
    if (source != index_)
      (*marks)[source] = context_.queues().data(source, index_).consumer_published_position();
  }
  until([this, marks, then = std::move(then)]() {
    bool reached = true;
    for (uint32_t source = 0; source < reactor_count_; ++source) {
      if (source == index_) continue;
      drain_inbound_from(source);
      if (context_.queues().data(source, index_).consumer_released_position() < (*marks)[source]) {
        reached = false;
      }
    }
    if (!reached) return false;
    flush_local_batches();
    then();
    return true;
  });
}

}  // namespace ringstat
