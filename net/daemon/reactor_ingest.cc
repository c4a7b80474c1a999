// Reactor ingest: each receive buffer goes to the engine's line pipeline once, which hands every
// sample to the router (net/daemon/ingest_router.h); the router applies samples to this reactor's
// shards and writes the rest into the owning reactors' queues. While the router is blocked (a
// full queue or a congested shard) further receive buffers are held here, in arrival order, and
// the provided buffer ring running dry stops the sockets. Nothing is dropped and nothing blocks
// (Invariant 9, docs/architecture.md). Also the task queues between reactors.
#include "engine/ingest/counter_hash.h"
#include "net/daemon/reactor.h"
#include "net/daemon/reactor_context.h"
#include "net/daemon/reactor_state.h"

namespace ringstat {

namespace {
constexpr size_t kHttpBufferedBytesMax = 4 << 20;
}  // namespace

uint32_t Reactor::shard_of(uint64_t hash) const {
  return shard_of_hash(hash, context_.layout().shard_count);
}

uint32_t Reactor::owner_of(uint32_t shard) const {
  return owning_reactor(shard, context_.reactor_count());
}

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
bool Reactor::ingest_blocked() const { return !deferred_.empty() || router_.blocked(); }

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
      if (c.http().input.size() + bytes.size() > kHttpBufferedBytesMax) {
        close_connection(slot);
        return;
      }
      c.http().input.append(bytes);
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
  IngestStreamState& stream = c.ingest();
  pipeline_.feed_stream(ingest_listener(c.kind), stream.splitter, &stream.agent, bytes, router_);
}

void Reactor::ingest_udp(uint32_t l, std::string_view datagram) {
  // UDP senders are not agents (GET /?a=): their meta lines are counted and dropped.
  pipeline_.feed_datagram(ingest_listener(listeners_[l].kind), datagram, router_);
}

// Tasks that did not fit a peer's task queue earlier, in order.
void Reactor::hand_on_tasks() {
  for (uint32_t target = 0; target < task_overflow_.size(); ++target) {
    auto& overflow = task_overflow_[target];
    auto& queue = context_.queues().tasks(index_, target);
    while (!overflow.empty()) {
      TaskSlot* task = queue.producer_slot();
      if (task == nullptr) break;
      task->run = std::move(overflow.front());
      overflow.pop_front();
      queue.producer_publish();
      doorbell_[target] = true;
    }
  }
}

void Reactor::post(uint32_t target, std::function<void(Reactor&)> task) {
  auto& overflow = task_overflow_[target];
  auto& queue = context_.queues().tasks(index_, target);
  TaskSlot* slot = overflow.empty() ? queue.producer_slot() : nullptr;
  if (slot == nullptr) {
    overflow.push_back(std::move(task));
  } else {
    slot->run = std::move(task);
    queue.producer_publish();
  }
  doorbell_[target] = true;
}

void Reactor::drain_inbound() {
  router_.drain_inbound();
  for (uint32_t source = 0; source < reactor_count_; ++source) {
    auto& tasks = context_.queues().tasks(source, index_);
    while (TaskSlot* slot = tasks.consumer_peek()) {
      std::function<void(Reactor&)> run = std::move(slot->run);
      slot->run = nullptr;
      tasks.consumer_release();
      run(*this);
    }
  }
}

void Reactor::process_deferred() {
  size_t done = 0;
  while (done < deferred_.size() && !router_.blocked()) {
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

// Receive buffers are held and processed in arrival order, so the ones held now are the next
// deferred_.size() to be processed. Once they have been, every sample read so far has been
// parsed: into a local batch, an outbound slot (published by hand_on) or a spill list, whose
// current ends are the second mark. Noting the spill ends only then may take in a few samples
// parsed later in the same pass, never an unbounded stream.
void Reactor::hand_on_read_so_far(std::function<void()> then) {
  const uint64_t deferred_mark = deferred_processed_ + deferred_.size();
  auto spill_marks = std::make_shared<std::vector<uint64_t>>();
  until([this, deferred_mark, spill_marks, then = std::move(then)]() {
    router_.apply_local();
    router_.hand_on();
    if (deferred_processed_ < deferred_mark) return false;
    if (spill_marks->empty()) *spill_marks = router_.spill_marks();
    if (!router_.handed_on_through(*spill_marks)) return false;
    then();
    return true;
  });
}

// Applies each inbound data queue up to the position its producer had published when this was
// called (what came later may be applied too, but is not waited for), then the local batches.
void Reactor::drain_inbound_published_so_far(std::function<void()> then) {
  auto marks = std::make_shared<std::vector<uint64_t>>(reactor_count_, 0);
  for (uint32_t source = 0; source < reactor_count_; ++source) {
    if (source != index_) {
      (*marks)[source] = context_.queues().data(source, index_).consumer_published_position();
    }
  }
  until([this, marks, then = std::move(then)]() {
    bool reached = true;
    for (uint32_t source = 0; source < reactor_count_; ++source) {
      if (source == index_) continue;
      router_.drain_inbound_from(source);
      if (context_.queues().data(source, index_).consumer_released_position() < (*marks)[source]) {
        reached = false;
      }
    }
    if (!reached) return false;
    router_.apply_local();
    then();
    return true;
  });
}

}  // namespace ringstat
