// Reactor: one thread pinned to one core with its own io_uring, doing that core's socket receives,
// its shards' file I/O, and its share of queries (docs/architecture.md, section 3). It owns its
// shards outright (Invariant 2): samples parsed here for another reactor's shard travel through
// an SPSC queue with one MSG_RING doorbell per batch. Everything in a Reactor is touched only by
// its own thread; what it shares with its peers is in its ReactorContext
// (net/daemon/reactor_context.h).
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <liburing.h>

#include "engine/ingest/line_pipeline.h"
#include "engine/store/clock.h"
#include "engine/store/ingest_batch.h"
#include "engine/store/shard.h"
#include "net/daemon/agent_registry.h"
#include "net/daemon/connection_table.h"
#include "net/daemon/cross_reactor.h"
#include "net/daemon/daemon_services.h"
#include "net/daemon/ingest_router.h"
#include "net/daemon/listener.h"
#include "net/daemon/reactor_metrics.h"
#include "net/http/query_service.h"
#include "net/uring/buffer_ring.h"
#include "net/uring/ring.h"
#include "net/uring/uring_page_store.h"

namespace ringstat {

class ReactorContext;
class AdminSession;
struct ReactorLogLimits;
class HttpHandler;
class HttpConnection;

// The clock a reactor's shards read: the real clock, refreshed once per loop pass (a sample's
// "now" is then at most one pass stale), or the server's fake time (--fake-time, admin faketime).
class ReactorClock final : public Clock {
 public:
  int64_t now_s() const override { return now_s_; }
  void set(int64_t now_s) { now_s_ = now_s; }

 private:
  int64_t now_s_ = 0;
};

class Reactor final {
 public:
  Reactor(ReactorContext& context, uint32_t index);
  ~Reactor();
  Reactor(const Reactor&) = delete;
  Reactor& operator=(const Reactor&) = delete;

  // The thread body: start-up (ring, shards, recovery, listeners) in step with the server, then the
  // loop until shutdown completes.
  void run();

  uint32_t index() const { return index_; }
  ReactorContext& context() { return context_; }

  // Runs `task` on reactor `target`'s thread (this reactor's own included). Call only on this
  // reactor's thread.
  void post(uint32_t target, std::function<void(Reactor&)> task);

  // Runs `work` on every reactor; their results come back here, in reactor order, to `done`.
  template <class T>
  void gather(std::function<T(Reactor&)> work, std::function<void(std::vector<T>)> done) {
    struct State {
      std::vector<T> results;
      uint32_t remaining = 0;
      std::function<void(std::vector<T>)> done;
    };
    auto state = std::make_shared<State>();
    state->results.resize(reactor_count_);
    state->remaining = reactor_count_;
    state->done = std::move(done);
    const uint32_t origin = index_;
    for (uint32_t target = 0; target < reactor_count_; ++target) {
      post(target, [work, state, origin, target](Reactor& reactor) {
        T result = work(reactor);
        reactor.post(origin, [state, target, result = std::move(result)](Reactor&) mutable {
          state->results[target] = std::move(result);
          if (--state->remaining == 0) state->done(std::move(state->results));
        });
      });
    }
  }
  // Like gather, but each reactor answers by calling its `reply` whenever it is ready.
  void gather_async(std::function<void(Reactor&, std::function<void()>)> work,
                    std::function<void()> done);

  // What the services (net/daemon/daemon_services.h) ask of a reactor, on its own thread.
  int64_t now_s() const { return clock_.now_s(); }
  void refresh_clock();
  // The shard a counter's hash routes to, and the reactor owning that shard.
  uint32_t shard_of(uint64_t hash) const;
  uint32_t owner_of(uint32_t shard) const;
  // One of this reactor's own shards (owner_of(shard) == index()).
  Shard& owned_shard(uint32_t shard);
  void each_local_shard(const std::function<void(Shard&)>& visit);
  std::vector<AgentInfo> agents_here() const;
  MetricsSnapshot snapshot() const;
  // The positional flush barrier (reactor_ingest.cc): `then` runs once everything read before
  // the call has been handed to the owning reactors' queues, resp. once the inbound queues are
  // applied up to where their producers had published when it was called.
  void hand_on_read_so_far(std::function<void()> then);
  void drain_inbound_published_so_far(std::function<void()> then);

 private:
  struct OwnedShard;
  struct DeferredReceive {
    uint32_t connection = 0;  // slot (TCP) or listener index (UDP)
    uint32_t generation = 0;
    uint16_t buffer_id = 0;
    uint32_t length = 0;
    bool udp = false;
  };

  // reactor.cc: start-up, loop, dispatch, timers.
  bool start_ring();
  bool open_shards();
  bool recover_shards();
  bool open_listeners();
  void loop();
  void teardown();
  void abandon_startup();
  void pass();
  void dispatch(const io_uring_cqe& cqe);
  void run_timers();
  void send_doorbells();
  int64_t wall_ms() const;
  void begin_shutdown();

  // reactor_sockets.cc: listeners, connections, receives, sends.
  void arm_accept(uint32_t listener);
  void on_accept(uint32_t listener, const io_uring_cqe& cqe);
  void arm_receive(uint32_t slot);
  void arm_udp_receive(uint32_t listener);
  void on_receive(uint32_t slot, uint32_t generation, const io_uring_cqe& cqe);
  void on_udp_receive(uint32_t listener, const io_uring_cqe& cqe);
  void rearm_starved_receives();
  void send_pending(uint32_t slot);
  void on_send(uint32_t slot, uint32_t generation, const io_uring_cqe& cqe);
  void close_connection(uint32_t slot);
  void finish_close(uint32_t slot);
  Connection* connection(uint32_t slot, uint32_t generation);
  void stop_listening();
  void handle_bytes(uint32_t slot, std::string_view bytes);
  void maybe_finish_input(uint32_t slot);
  uint64_t receive_user_data(uint32_t slot) const;

  // reactor_ingest.cc: receive buffers to the line pipeline, the router's samples to shards and
  // peers, tasks to peers, held buffers.
  bool ingest_blocked() const;
  void ingest_tcp(Connection& connection, std::string_view bytes);
  void ingest_udp(uint32_t listener, std::string_view datagram);
  void hand_on_tasks();
  void drain_inbound();
  void process_deferred();
  OwnedShard* local_shard(uint32_t shard);

  // reactor_protocols.cc: HTTP and admin connections.
  void http_input(Connection& connection);
  void admin_input(Connection& connection, std::string_view bytes);

  // reactor.cc: periodic shard work and waiting; reactor_shutdown.cc: the shutdown sequence.
  void commit_all();
  void tick_all();
  // Runs `condition` now and then once per pass until it returns true.
  void until(std::function<bool()> condition);
  void run_waiters();
  bool outbound_drained() const;
  void final_checkpoint();
  void shutdown_step();

  // reactor_store_health.cc: store failures logged once per episode and rate-limited.
  void report_store_health();

  ReactorContext& context_;
  const uint32_t index_;
  const uint32_t reactor_count_;
  int ring_fd_ = -1;
  std::unique_ptr<Ring> ring_;
  std::unique_ptr<BufferRing> tcp_buffers_;
  std::unique_ptr<BufferRing> udp_buffers_;
  ReactorClock clock_;

  std::vector<std::unique_ptr<OwnedShard>> shards_;
  std::vector<int32_t> local_slot_of_shard_;  // global shard -> index in shards_, or -1

  std::vector<Listener> listeners_;
  ConnectionTable connections_;
  std::vector<DeferredReceive> deferred_;
  std::vector<uint32_t> starved_receives_;  // connection slots whose multishot ended on ENOBUFS
  std::vector<uint32_t> starved_udp_;

  ReactorMetrics metrics_;
  // Ingest: the engine's line pipeline hands each sample to the router, which moves it to the
  // shard that owns it (Invariants 2 and 9).
  IngestRouter router_;
  LinePipeline pipeline_;
  // Tasks for a peer whose task queue was full, in order. New HTTP requests are refused (503) while
  // any holds kTaskOverflowMax: requests are what posts tasks, so this bounds it.
  static constexpr size_t kTaskOverflowMax = 65536;
  bool tasks_backlogged() const;
  std::vector<std::deque<std::function<void(Reactor&)>>> task_overflow_;
  std::vector<bool> doorbell_;

  DaemonServices services_{*this};
  std::unique_ptr<HttpHandler> http_handler_;

  AgentRegistry agents_;
  std::string bind_error_;
  uint32_t armed_operations_ = 0;  // multishots and sends whose final completion is pending

  // What was last said in the log about each local shard's store (reactor_store_health.cc).
  struct StoreReport {
    uint64_t errors_logged = 0;
    int64_t logged_ms = 0;
    bool failing = false;
  };
  std::vector<StoreReport> store_reports_;
  std::vector<std::function<bool()>> waiters_;

  int64_t next_commit_ms_ = 0;
  int64_t next_tick_ms_ = 0;
  // The shutdown sequence (reactor_shutdown.cc), in order.
  enum class ShutdownPhase : uint8_t {
    kServing,
    kDraining,       // connections closing; what was read is parsed and handed on
    kDrained,        // reported to reactor 0; waiting for every reactor to drain
    kCheckpointing,  // inbound queues applied, final checkpoints running, I/O ending
    kStopped,        // the loop ends
  };
  bool stopping() const { return shutdown_phase_ != ShutdownPhase::kServing; }
  ShutdownPhase shutdown_phase_ = ShutdownPhase::kServing;
  size_t shards_checkpointed_ = 0;
  bool stop_broadcast_ = false;    // reactor 0: the shutdown was sent to every reactor
  uint32_t drained_reactors_ = 0;  // reactor 0: reactors that have drained their input

  // Hostile input (reactor_sockets.cc, reactor_protocols.cc; docs/architecture.md, "Hostile
  // input"): HTTP and admin receive into their own buffer ring, so ingest back-pressure holding
  // every ingest buffer cannot silence them; accepts back off when descriptors run out; ingest
  // connections stay within a share of the open-file limit; HTTP and admin connections have
  // deadlines, swept once a second.
  BufferRing& receive_buffers(ListenerKind kind);
  void take_connection(uint32_t listener, int fd);
  void back_off_accepts(uint32_t listener, int error);
  void resume_accepts(int64_t now_ms);
  uint32_t ingest_connection_budget() const;
  void refresh_deadline(Connection& connection);
  void sweep_deadlines(int64_t now_ms);
  void count_admin_rejection(Connection& connection, bool rejected_before);
  std::unique_ptr<BufferRing> service_buffers_;
  int64_t next_sweep_ms_ = 0;
  std::unique_ptr<ReactorLogLimits> log_limits_;

  // The positional flush barrier (daemon_services.cc, reactor_ingest.cc) and the order of held
  // receive buffers (reactor_ingest.cc): a flush waits for what was read before it, never for what
  // came after.
  uint64_t deferred_processed_ = 0;  // held receive buffers processed so far
};

}  // namespace ringstat
