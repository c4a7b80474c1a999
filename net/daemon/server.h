// Server: the daemon as a whole. It opens the store, builds the context reactors share (queues,
// fake clock, stop request: net/daemon/reactor_context.h), starts one Reactor thread per
// --threads, and sequences start-up (recover every shard, probe and bind every port, log "ready",
// READY=1) and shutdown (stop accepting, drain, checkpoint every shard, STOPPING=1) through the
// ReactorLifecycle barriers. Signals are read on the main thread (a signalfd on its own small
// ring), which is otherwise idle, so SIGHUP's log reopen never blocks a reactor. Built and run on
// the main thread; reactors reach it only through ReactorLifecycle, from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "net/daemon/daemon_config.h"
#include "net/daemon/reactor_context.h"
#include "net/daemon/store_layout.h"

namespace ringstat {

class Reactor;

class Server final : private ReactorLifecycle {
 public:
  explicit Server(DaemonConfig config);
  ~Server();

  // Runs the daemon in the foreground until SIGTERM or SIGINT; returns the exit status (0 after a
  // clean stop, 1 when start-up failed, with the reason logged).
  int run();

 private:
  // ReactorLifecycle, called by reactor threads.
  bool recovered(uint32_t reactor, const std::string& error) override;
  bool bound(uint32_t reactor, const std::string& error) override;
  void stopped(uint32_t reactor) override;

  bool barrier(uint32_t& arrived, const std::string& error);
  Status probe_ports() const;
  int serve_signals();

  DaemonConfig config_;
  StoreLayout layout_;
  std::unique_ptr<ReactorContext> context_;
  std::vector<std::unique_ptr<Reactor>> reactors_;
  std::vector<std::thread> threads_;
  int signal_fd_ = -1;

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
