// Reactor start-up, the event loop, completion dispatch and timers.
#include "net/daemon/reactor.h"

#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "net/daemon/reactor_context.h"
#include "net/daemon/reactor_state.h"
#include "net/http/http_handler.h"
#include "net/process/log.h"
#include "net/process/sd_notify.h"
#include "net/uring/io_user_data.h"

namespace ringstat {

namespace {

constexpr uint32_t kTcpBufferCount = 1024;       // per reactor, power of two
constexpr uint32_t kTcpBufferBytes = 16 * 1024;  // agents send many short lines
constexpr uint32_t kUdpBufferCount = 256;
constexpr uint32_t kUdpBufferBytes = 64 * 1024 + 256;  // a whole datagram plus the recvmsg header
// HTTP and admin connections receive into a ring of their own, so ingest back-pressure, which
// holds ingest buffers until the ring runs dry (Invariant 9), never starves a query. Requests
// are copied out at once, so a few buffers serve many connections.
constexpr uint32_t kServiceBufferCount = 64;
constexpr uint32_t kServiceBufferBytes = 16 * 1024;
constexpr uint16_t kTcpBufferGroup = 0;
constexpr uint16_t kUdpBufferGroup = 1;
constexpr uint16_t kServiceBufferGroup = 2;
constexpr int64_t kDeadlineSweepInterval_ms = 1000;        // HTTP and admin connection deadlines
constexpr int64_t kTickInterval_ms = 100;                  // shard ticks: events, expiry, flushes
constexpr auto kWaitMax = std::chrono::milliseconds(100);  // safety net for a missed doorbell
constexpr size_t kCarryBuffers = 1024;                     // partial lines in flight per reactor

// Per shard: the staging pool, log and table sizes of a store's share of the daemon.
ShardConfig shard_config(const DaemonConfig& config, uint32_t shard, uint32_t shard_count) {
  ShardConfig result;
  result.shard_id = shard;
  result.retention = config.retention;
  // Hashing spreads counters evenly; a quarter more room absorbs the unevenness.
  result.counters_max = std::max<uint32_t>(1024, config.counters_max / shard_count * 5 / 4);
  const uint64_t staging_bytes = uint64_t{config.staging_mb} << 20;
  result.staging_entries = static_cast<uint32_t>(
      std::max<uint64_t>(20000, staging_bytes / shard_count / sizeof(StagedEntry)));
  result.wal_blocks = std::max<uint64_t>(256, (uint64_t{config.wal_mb} << 20) / kStoreBlockBytes);
  // Half the log: room for what arrives while the snapshot is written, and every checkpoint
  // (which serialises all of the shard's counters) covers as much log as it can.
  result.checkpoint_wal_blocks = result.wal_blocks / 2;
  result.page_grow_blocks = 2048;  // 8 MiB steps
  return result;
}

}  // namespace

Reactor::Reactor(ReactorContext& context, uint32_t index)
    : context_(context),
      index_(index),
      reactor_count_(context.reactor_count()),
      connections_(context.config().connections_per_reactor_max),
      router_(index, context.queues(), metrics_.ingest),
      pipeline_(context.layout().shard_count, metrics_.ingest, kCarryBuffers),
      log_limits_(std::make_unique<ReactorLogLimits>()) {
  const uint32_t reactors = context.reactor_count();
  task_overflow_.resize(reactors);
  doorbell_.assign(reactors, false);
  local_slot_of_shard_.assign(context.layout().shard_count, -1);
}

Reactor::~Reactor() = default;

int64_t Reactor::wall_ms() const {
  timespec now{};
  ::clock_gettime(CLOCK_REALTIME, &now);
  return int64_t{now.tv_sec} * 1000 + now.tv_nsec / 1'000'000;
}

void Reactor::refresh_clock() {
  const int64_t fake = context_.fake_time();
  clock_.set(fake != 0 ? fake : wall_ms() / 1000);
}

// Invariant 10: the ring, its registered files and buffers are created here, on this reactor's
// own thread, and torn down in teardown() on the same thread (SINGLE_ISSUER).
bool Reactor::start_ring() {
  Result<std::unique_ptr<Ring>> ring = Ring::create(RingOptions{});
  if (!ring.ok()) {
    context_.lifecycle().recovered(index_,
                                   "reactor " + std::to_string(index_) + ": " + ring.error());
    return false;
  }
  ring_ = std::move(ring.value());
  ring_fd_ = ring_->fd();
  context_.set_ring_fd(index_, ring_fd_);  // published before the recovery barrier
  if (!ring_->setup_note().empty()) process_log().info(ring_->setup_note());
  Result<std::unique_ptr<BufferRing>> tcp =
      BufferRing::create(*ring_, kTcpBufferGroup, kTcpBufferCount, kTcpBufferBytes);
  Result<std::unique_ptr<BufferRing>> udp =
      tcp.ok() ? BufferRing::create(*ring_, kUdpBufferGroup, kUdpBufferCount, kUdpBufferBytes)
               : Result<std::unique_ptr<BufferRing>>(Error{tcp.ok() ? "" : tcp.error()});
  if (!tcp.ok() || !udp.ok()) {
    context_.lifecycle().recovered(index_, "reactor " + std::to_string(index_) + ": " +
                                               (tcp.ok() ? udp.error() : tcp.error()));
    return false;
  }
  tcp_buffers_ = std::move(tcp.value());
  udp_buffers_ = std::move(udp.value());
  Result<std::unique_ptr<BufferRing>> service =
      BufferRing::create(*ring_, kServiceBufferGroup, kServiceBufferCount, kServiceBufferBytes);
  if (!service.ok()) {
    context_.lifecycle().recovered(index_,
                                   "reactor " + std::to_string(index_) + ": " + service.error());
    return false;
  }
  service_buffers_ = std::move(service.value());
  return true;
}

bool Reactor::open_shards() {
  const StoreLayout& layout = context_.layout();
  const DaemonConfig& config = context_.config();
  for (uint32_t shard = 0; shard < layout.shard_count; ++shard) {
    if (owning_reactor(shard, context_.reactor_count()) != index_) continue;
    auto owned = std::make_unique<OwnedShard>();
    owned->shard_index = shard;
    Result<std::unique_ptr<UringPageStore>> store =
        UringPageStore::open(*ring_, layout.shard_directory(shard), config.direct_io,
                             static_cast<uint16_t>(shards_.size()));
    if (!store.ok()) {
      context_.lifecycle().recovered(index_, store.error());
      return false;
    }
    owned->store = std::move(store.value());
    if (!owned->store->direct_io_note().empty()) process_log().warn(owned->store->direct_io_note());
    owned->shard = std::make_unique<Shard>(shard_config(config, shard, layout.shard_count),
                                           *owned->store, clock_);
    local_slot_of_shard_[shard] = static_cast<int32_t>(shards_.size());
    router_.own_shard(shard, *owned->shard);
    shards_.push_back(std::move(owned));
  }
  // The pools exist now: register them so page I/O uses fixed buffers.
  for (auto& owned : shards_) {
    if (Status registered = owned->store->register_buffers(owned->shard->io_buffer_memory());
        !registered.ok()) {
      context_.lifecycle().recovered(index_, registered.error());
      return false;
    }
  }
  return true;
}

bool Reactor::recover_shards() {
  refresh_clock();
  for (auto& owned : shards_) owned->shard->start();
  for (;;) {
    bool all_ready = true;
    for (auto& owned : shards_) {
      if (!owned->shard->start_error().empty()) {
        context_.lifecycle().recovered(index_, owned->shard->start_error());
        return false;
      }
      all_ready = all_ready && owned->shard->ready();
    }
    if (all_ready) break;
    ring_->submit_and_wait(kWaitMax);
    ring_->drain([&](const io_uring_cqe& cqe) { dispatch(cqe); });
  }
  return true;
}

void Reactor::run() {
  const bool started = start_ring() && open_shards() && recover_shards() &&
                       context_.lifecycle().recovered(index_, "") &&
                       context_.lifecycle().bound(index_, open_listeners() ? "" : bind_error_);
  if (!started) {
    abandon_startup();
    return;
  }
  http_handler_ = std::make_unique<HttpHandler>(services_);
  loop();
  teardown();
  context_.lifecycle().stopped(index_);
}

// Start-up failed here or elsewhere: let this reactor's I/O finish, then let go of everything.
void Reactor::abandon_startup() {
  if (ring_ != nullptr && armed_operations_ > 0) {
    io_uring_sqe* sqe = ring_->get_sqe();
    io_uring_prep_cancel64(sqe, 0, IORING_ASYNC_CANCEL_ANY | IORING_ASYNC_CANCEL_ALL);
    io_uring_sqe_set_data64(sqe, make_user_data(IoOwner::kCancel, 0, 0));
    // Completions of cancelled accepts and receives must not re-arm.
    shutdown_phase_ = ShutdownPhase::kDraining;
    for (int round = 0; armed_operations_ > 0 && round < 1000; ++round) {
      ring_->submit_and_wait(std::chrono::milliseconds(10));
      ring_->drain([&](const io_uring_cqe& cqe) { dispatch(cqe); });
    }
  }
  for (Listener& listener : listeners_) {
    if (listener.fd >= 0) ::close(listener.fd);
    listener.fd = -1;
  }
  auto in_flight = [&] {
    size_t total = 0;
    for (const auto& owned : shards_) total += owned->store->in_flight();
    return total;
  };
  for (int round = 0; ring_ != nullptr && in_flight() > 0 && round < 1000; ++round) {
    ring_->submit_and_wait(std::chrono::milliseconds(10));
    ring_->drain([&](const io_uring_cqe& cqe) { dispatch(cqe); });
  }
  teardown();
}

// A SINGLE_ISSUER ring accepts registration changes only from its own thread, so everything
// registered with it goes here, before the thread ends: stores, then buffer rings, then the ring.
void Reactor::teardown() {
  http_handler_.reset();
  shards_.clear();
  tcp_buffers_.reset();
  udp_buffers_.reset();
  service_buffers_.reset();
  ring_.reset();
}

void Reactor::loop() {
  const int64_t now_ms = wall_ms();
  next_commit_ms_ = now_ms + context_.config().commit_interval_ms;
  next_tick_ms_ = now_ms + kTickInterval_ms;
  while (shutdown_phase_ != ShutdownPhase::kStopped) pass();
}

// One pass: wait for work, handle every completion, then the work they enabled, in batches.
void Reactor::pass() {
  const int64_t now_ms = wall_ms();
  const int64_t until_timer = std::min(next_commit_ms_, next_tick_ms_) - now_ms;
  const auto wait =
      std::clamp(std::chrono::milliseconds(until_timer), std::chrono::milliseconds(0), kWaitMax);
  ring_->submit_and_wait(std::chrono::duration_cast<std::chrono::microseconds>(wait));
  refresh_clock();
  ring_->drain([&](const io_uring_cqe& cqe) { dispatch(cqe); });
  drain_inbound();
  process_deferred();
  router_.apply_local();
  router_.hand_on();
  hand_on_tasks();
  run_waiters();
  run_timers();
  tcp_buffers_->publish();
  udp_buffers_->publish();
  service_buffers_->publish();
  rearm_starved_receives();
  send_doorbells();
  if (index_ == 0 && !stop_broadcast_ && context_.stop_requested()) {
    stop_broadcast_ = true;
    for (uint32_t target = 0; target < reactor_count_; ++target) {
      post(target, [](Reactor& reactor) { reactor.begin_shutdown(); });
    }
    send_doorbells();
  }
  if (stopping()) shutdown_step();
}

void Reactor::dispatch(const io_uring_cqe& cqe) {
  const DecodedUserData data = decode_user_data(cqe.user_data);
  switch (data.owner) {
    case IoOwner::kStore:
      VERIFY(data.index < shards_.size());
      shards_[data.index]->store->complete(cqe.user_data, cqe.res);
      break;
    case IoOwner::kAccept:
      on_accept(data.index, cqe);
      break;
    case IoOwner::kRecv:
      on_receive(payload_slot(data.payload), payload_generation(data.payload), cqe);
      break;
    case IoOwner::kRecvUdp:
      on_udp_receive(data.index, cqe);
      break;
    case IoOwner::kSend:
      on_send(payload_slot(data.payload), payload_generation(data.payload), cqe);
      break;
    case IoOwner::kSignal:
    case IoOwner::kMsgRing:  // a doorbell (or the sender's own completion of one): the pass drains
    case IoOwner::kCancel:
    case IoOwner::kWake:
    case IoOwner::kTimer:
    case IoOwner::kClose:
    case IoOwner::kNone:
      break;
  }
}

void Reactor::run_timers() {
  const int64_t now_ms = wall_ms();
  if (now_ms >= next_commit_ms_) {
    next_commit_ms_ = now_ms + context_.config().commit_interval_ms;
    commit_all();
  }
  if (now_ms >= next_tick_ms_) {
    next_tick_ms_ = now_ms + kTickInterval_ms;
    tick_all();
    report_store_health();
  }
  const int64_t monotonic_now_ms = monotonic_ms();
  resume_accepts(monotonic_now_ms);
  if (monotonic_now_ms >= next_sweep_ms_) {
    next_sweep_ms_ = monotonic_now_ms + kDeadlineSweepInterval_ms;
    sweep_deadlines(monotonic_now_ms);
  }
}

void Reactor::send_doorbells() {
  for (uint32_t target = 0; target < doorbell_.size(); ++target) {
    const bool batches_sent = router_.take_doorbell(target);
    if (!doorbell_[target] && !batches_sent) continue;
    doorbell_[target] = false;
    if (target == index_) continue;  // our own queue is drained by this very loop
    io_uring_sqe* sqe = ring_->get_sqe();
    io_uring_prep_msg_ring(sqe, context_.ring_fd(target), 0,
                           make_user_data(IoOwner::kMsgRing, static_cast<uint16_t>(index_), 0), 0);
    io_uring_sqe_set_data64(sqe,
                            make_user_data(IoOwner::kMsgRing, static_cast<uint16_t>(index_), 0));
    ++metrics_.doorbells_sent;
  }
}

void Reactor::gather_async(std::function<void(Reactor&, std::function<void()>)> work,
                           std::function<void()> done) {
  struct State {
    uint32_t remaining = 0;
    std::function<void()> done;
  };
  auto state = std::make_shared<State>();
  state->remaining = reactor_count_;
  state->done = std::move(done);
  const uint32_t origin = index_;
  for (uint32_t target = 0; target < reactor_count_; ++target) {
    post(target, [work, state, origin](Reactor& reactor) {
      work(reactor, [&reactor, state, origin]() {
        reactor.post(origin, [state](Reactor&) {
          if (--state->remaining == 0) state->done();
        });
      });
    });
  }
}

void Reactor::until(std::function<bool()> condition) {
  if (!condition()) waiters_.push_back(std::move(condition));
}

void Reactor::run_waiters() {
  if (waiters_.empty()) return;
  std::vector<std::function<bool()>> pending;
  pending.swap(waiters_);
  for (auto& condition : pending) {
    if (!condition()) waiters_.push_back(std::move(condition));
  }
}

void Reactor::each_local_shard(const std::function<void(Shard&)>& visit) {
  for (auto& owned : shards_) visit(*owned->shard);
}

void Reactor::commit_all() {
  each_local_shard([](Shard& shard) { shard.commit(); });
}

void Reactor::tick_all() {
  each_local_shard([](Shard& shard) { shard.tick(); });
}

MetricsSnapshot Reactor::snapshot() const {
  MetricsSnapshot result;
  result.reactor = index_;
  result.metrics = metrics_;
  result.ring = ring_->stats();
  for (const auto& owned : shards_) result.shards.push_back(owned->shard->stats());
  result.metrics.remote_batches_sent = router_.batches_sent();
  result.metrics.remote_batches_received = router_.batches_received();
  result.open_connections = connections_.open_count();
  result.buffers_outstanding = tcp_buffers_->outstanding() + udp_buffers_->outstanding();
  return result;
}

std::vector<AgentInfo> Reactor::agents_here() const {
  return agents_.list(connections_, clock_.now_s());
}

}  // namespace ringstat
