// ReactorContext: everything a reactor shares with its peers and the server, and nothing else:
// the configuration and store layout (read-only), the queues between reactors, the peers' ring
// descriptors (for MSG_RING doorbells), the fake clock, the stop request, and the start-up and
// shutdown barriers. A reactor sees the server only through this, so reactors do not depend on
// the server that starts them. Built by the server before the first reactor starts; every member
// is either immutable after that or atomic.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "base/verify.h"
#include "net/daemon/daemon_config.h"
#include "net/daemon/reactor_queues.h"
#include "net/daemon/store_layout.h"

namespace ringstat {

// The start-up and shutdown barriers every reactor passes in step (the server implements them).
// The two start-up calls block the calling reactor until every reactor got there, and return
// false when start-up is abandoned (here or on another reactor: `error` is not empty).
class ReactorLifecycle {
 public:
  virtual bool recovered(uint32_t reactor, const std::string& error) = 0;
  virtual bool bound(uint32_t reactor, const std::string& error) = 0;
  // The reactor's shards are checkpointed and its loop has ended.
  virtual void stopped(uint32_t reactor) = 0;

 protected:
  ~ReactorLifecycle() = default;
};

class ReactorContext {
 public:
  ReactorContext(const DaemonConfig& config, const StoreLayout& layout, ReactorLifecycle& lifecycle)
      : config_(config),
        layout_(layout),
        lifecycle_(lifecycle),
        queues_(config.threads),
        ring_fds_(std::make_unique<std::atomic<int>[]>(config.threads)),
        fake_time_(config.fake_time) {
    for (uint32_t reactor = 0; reactor < config.threads; ++reactor) ring_fds_[reactor] = -1;
  }
  ReactorContext(const ReactorContext&) = delete;
  ReactorContext& operator=(const ReactorContext&) = delete;

  const DaemonConfig& config() const { return config_; }
  const StoreLayout& layout() const { return layout_; }
  uint32_t reactor_count() const { return config_.threads; }
  ReactorLifecycle& lifecycle() { return lifecycle_; }
  ReactorQueues& queues() { return queues_; }

  // Each reactor publishes its ring's descriptor before the recovery barrier, so every peer
  // (and the server's signal loop) can read it from then on.
  void set_ring_fd(uint32_t reactor, int fd) {
    VERIFY(reactor < reactor_count());
    ring_fds_[reactor].store(fd, std::memory_order_release);
  }
  int ring_fd(uint32_t reactor) const {
    VERIFY(reactor < reactor_count());
    const int fd = ring_fds_[reactor].load(std::memory_order_acquire);
    VERIFY(fd >= 0);
    return fd;
  }

  // --fake-time and admin `faketime`: 0 means the real clock.
  int64_t fake_time() const { return fake_time_.load(std::memory_order_relaxed); }
  void set_fake_time(int64_t time) { fake_time_.store(time, std::memory_order_relaxed); }

  // Raised by the server on SIGTERM/SIGINT; reactor 0 starts the shutdown when it sees it.
  bool stop_requested() const { return stop_requested_.load(std::memory_order_acquire); }
  void request_stop() { stop_requested_.store(true, std::memory_order_release); }

  // A shard stopped with its log durable but without its final checkpoint (a full disk).
  void note_shard_stopped_without_checkpoint() {
    shards_without_checkpoint_.fetch_add(1, std::memory_order_relaxed);
  }
  uint32_t shards_without_checkpoint() const {
    return shards_without_checkpoint_.load(std::memory_order_relaxed);
  }

 private:
  const DaemonConfig& config_;
  const StoreLayout& layout_;
  ReactorLifecycle& lifecycle_;
  ReactorQueues queues_;
  std::unique_ptr<std::atomic<int>[]> ring_fds_;
  std::atomic<int64_t> fake_time_;
  std::atomic<bool> stop_requested_{false};
  std::atomic<uint32_t> shards_without_checkpoint_{0};
};

}  // namespace ringstat
