// Server: the daemon as a whole. It opens the store, starts one Reactor thread per --threads,
// owns the SPSC queues between every ordered pair of reactors, sequences start-up (recover every
// shard, probe and bind every port, log "ready", READY=1) and shutdown (stop accepting, drain,
// checkpoint every shard, STOPPING=1), and carries the little state reactors share: the fake
// clock and the stop request. Signals are read on the main thread (a signalfd on its own small
// ring), which is otherwise idle, so SIGHUP's log reopen never blocks a reactor. Built and run on
// the main thread; reactors call the methods marked "any thread".
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "net/daemon/cross_reactor.h"
#include "net/daemon/daemon_config.h"
#include "net/daemon/spsc_queue.h"
#include "net/daemon/store_layout.h"

namespace ringstat {

class Reactor;

class Server {
 public:
  explicit Server(DaemonConfig config);
  ~Server();

  // Runs the daemon in the foreground until SIGTERM or SIGINT; returns the exit status (0 after a
  // clean stop, 1 when start-up failed, with the reason logged).
  int run();

  // Any thread.
  const DaemonConfig& config() const { return config_; }
  const StoreLayout& layout() const { return layout_; }
  uint32_t reactor_count() const { return config_.threads; }
  Reactor& reactor(uint32_t index) { return *reactors_[index]; }
  SpscQueue<RemoteBatch>& data_queue(uint32_t from, uint32_t to);
  SpscQueue<TaskSlot>& task_queue(uint32_t from, uint32_t to);
  int64_t fake_time() const { return fake_time_.load(std::memory_order_relaxed); }
  void set_fake_time(int64_t time) { fake_time_.store(time, std::memory_order_relaxed); }
  int64_t started_s() const { return started_s_; }
  // Set by the main thread on SIGTERM/SIGINT; reactor 0 starts the shutdown when it sees it.
  bool stop_requested() const { return stop_requested_.load(std::memory_order_acquire); }
  // A shard stopped with its log durable but without its final checkpoint (a full disk).
  void note_shard_stopped_without_checkpoint() {
    shards_without_checkpoint_.fetch_add(1, std::memory_order_relaxed);
  }

  // Start-up steps, reported by each reactor thread; wait_* block that reactor until every
  // reactor got there, and return false when start-up is abandoned.
  bool recovered(uint32_t reactor, const std::string& error);
  bool bound(uint32_t reactor, const std::string& error);
  // Shutdown: reactor 0 calls request_stop() on SIGTERM/SIGINT; each reactor reports when its
  // shards are checkpointed.
  void stopped(uint32_t reactor);

 private:
  bool barrier(uint32_t& arrived, const std::string& error);
  Status probe_ports() const;
  int serve_signals();

  DaemonConfig config_;
  StoreLayout layout_;
  std::vector<std::unique_ptr<Reactor>> reactors_;
  std::vector<std::thread> threads_;
  std::vector<std::unique_ptr<SpscQueue<RemoteBatch>>> data_queues_;
  std::vector<std::unique_ptr<SpscQueue<TaskSlot>>> task_queues_;
  std::atomic<int64_t> fake_time_{0};
  std::atomic<bool> stop_requested_{false};
  std::atomic<uint32_t> shards_without_checkpoint_{0};
  int signal_fd_ = -1;
  int64_t started_s_ = 0;

  std::mutex mutex_;
  std::condition_variable changed_;
  uint32_t recovered_count_ = 0;
  uint32_t bound_count_ = 0;
  uint32_t stopped_count_ = 0;
  bool binding_allowed_ = false;
  bool abandoned_ = false;
  std::string first_error_;
};

}  // namespace ringstat
