#include "net/daemon/server.h"

#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "net/daemon/listen_socket.h"
#include "net/daemon/reactor.h"
#include "net/process/lock_file.h"
#include "net/process/log.h"
#include "net/process/sd_notify.h"
#include "net/uring/io_user_data.h"
#include "net/uring/ring.h"

namespace ringstat {

Server::Server(DaemonConfig config) : config_(std::move(config)) { VERIFY(config_.threads >= 1); }

Server::~Server() {
  for (std::thread& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
  if (signal_fd_ >= 0) ::close(signal_fd_);
}

Status Server::probe_ports() const {
  struct Port {
    uint16_t number;
    SocketType type;
    const std::string& address;
  };
  const std::string& any = config_.listen_address;
  const Port ports[] = {{config_.stat_port, SocketType::kTcp, any},
                        {config_.stat_port, SocketType::kUdp, any},
                        {config_.graphite_port, SocketType::kTcp, any},
                        {config_.graphite_port, SocketType::kUdp, any},
                        {config_.http_port, SocketType::kTcp, any},
                        {config_.admin_port, SocketType::kTcp, config_.admin_address}};
  for (const Port& port : ports) {
    if (port.number == 0) continue;
    if (Status probed = probe_port(port.address, port.number, port.type); !probed.ok()) {
      return probed;
    }
  }
  return Ok{};
}

bool Server::barrier(uint32_t& arrived, const std::string& error) {
  std::unique_lock lock(mutex_);
  if (!error.empty() && first_error_.empty()) {
    first_error_ = error;
    abandoned_ = true;
  }
  ++arrived;
  changed_.notify_all();
  return !abandoned_;
}

bool Server::recovered(uint32_t reactor, const std::string& error) {
  (void)reactor;
  if (!barrier(recovered_count_, error)) return false;
  // Wait for the main thread's verdict: every shard recovered and every port free.
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return abandoned_ || binding_allowed_; });
  return !abandoned_;
}

bool Server::bound(uint32_t reactor, const std::string& error) {
  (void)reactor;
  return barrier(bound_count_, error);
}

void Server::stopped(uint32_t reactor) {
  (void)reactor;
  std::unique_lock lock(mutex_);
  ++stopped_count_;
  changed_.notify_all();
}

int Server::run() {
  Logger& log = process_log();
  // Every connection is a file descriptor, and each ring's fixed-file table is capped by the
  // limit: take the whole hard limit.
  rlimit files{};
  if (::getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &files);
  }
  // The lock lives in the store directory, so the directory comes first.
  if (::mkdir(config_.store_directory.c_str(), 0755) != 0 && errno != EEXIST) {
    log.error("cannot create store " + config_.store_directory + ": " + std::strerror(errno));
    return 1;
  }
  Result<LockFile> lock = LockFile::acquire(config_.store_directory);
  if (!lock.ok()) {
    log.error(lock.error());
    return 1;
  }
  Result<StoreLayout> layout = open_store_layout(config_.store_directory, config_.new_store_shards);
  if (!layout.ok()) {
    log.error(layout.error());
    return 1;
  }
  layout_ = layout.value();

  // Signals are read through a signalfd on the main thread's ring, so every thread blocks them.
  sigset_t signals;
  sigemptyset(&signals);
  for (int signal : {SIGTERM, SIGINT, SIGHUP}) sigaddset(&signals, signal);
  ::pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
  signal_fd_ = ::signalfd(-1, &signals, SFD_NONBLOCK | SFD_CLOEXEC);
  if (signal_fd_ < 0) {
    log.error(std::string("signalfd: ") + std::strerror(errno));
    return 1;
  }

  const uint32_t count = config_.threads;
  ReactorLifecycle& lifecycle = *this;
  context_ = std::make_unique<ReactorContext>(config_, layout_, lifecycle);
  for (uint32_t i = 0; i < count; ++i) {
    reactors_.push_back(std::make_unique<Reactor>(*context_, i));
  }
  log.info("store " + config_.store_directory + ": " + std::to_string(layout_.shard_count) +
           " shards on " + std::to_string(count) + " reactors; recovering");
  for (uint32_t i = 0; i < count; ++i) {
    threads_.emplace_back([this, i] {
      const long cpus = ::sysconf(_SC_NPROCESSORS_ONLN);
      cpu_set_t set;
      CPU_ZERO(&set);
      CPU_SET(static_cast<int>(i % static_cast<uint32_t>(cpus > 0 ? cpus : 1)), &set);
      ::pthread_setaffinity_np(::pthread_self(), sizeof set, &set);
      reactors_[i]->run();
    });
  }

  auto abandon = [&](const std::string& error) {
    {
      std::unique_lock guard(mutex_);
      abandoned_ = true;
      if (first_error_.empty()) first_error_ = error;
      changed_.notify_all();
    }
    for (std::thread& thread : threads_) thread.join();
    threads_.clear();
    log.error(first_error_);
    return 1;
  };

  {
    std::unique_lock guard(mutex_);
    changed_.wait(guard, [&] { return abandoned_ || recovered_count_ == count; });
    if (abandoned_) {
      guard.unlock();
      return abandon(first_error_);
    }
  }
  if (Status ports = probe_ports(); !ports.ok()) return abandon(ports.error());
  {
    std::unique_lock guard(mutex_);
    binding_allowed_ = true;
    changed_.notify_all();
    changed_.wait(guard, [&] { return abandoned_ || bound_count_ == count; });
    if (abandoned_) {
      guard.unlock();
      return abandon(first_error_);
    }
  }
  log.info("ready: stat port " + std::to_string(config_.stat_port) + ", graphite port " +
           std::to_string(config_.graphite_port) + ", http port " +
           std::to_string(config_.http_port) + ", admin port " +
           std::to_string(config_.admin_port) + " on " + config_.listen_address +
           " (admin port on " + config_.admin_address + ")");
  (void)notify("READY=1");
  if (const int status = serve_signals(); status != 0) return abandon("signal handling failed");
  for (std::thread& thread : threads_) thread.join();
  threads_.clear();
  if (const uint32_t logged_only = context_->shards_without_checkpoint()) {
    log.warn("stopped: " + std::to_string(logged_only) +
             " shard(s) without a final checkpoint; the next start replays their log");
  } else {
    log.info("stopped: every shard checkpointed");
  }
  return 0;
}

// The main thread's loop while the reactors serve: read signals, reopen the log on SIGHUP, raise
// the stop request on SIGTERM/SIGINT and ring reactor 0's doorbell, until every reactor stopped.
int Server::serve_signals() {
  Logger& log = process_log();
  Result<std::unique_ptr<Ring>> created = Ring::create(RingOptions{8, 16});
  if (!created.ok()) {
    log.error("main thread: " + created.error());
    return 1;
  }
  Ring& ring = *created.value();
  std::array<signalfd_siginfo, 4> signals{};
  auto arm_read = [&] {
    io_uring_sqe* sqe = ring.get_sqe();
    io_uring_prep_read(sqe, signal_fd_, signals.data(), static_cast<unsigned>(sizeof signals), 0);
    io_uring_sqe_set_data64(sqe, make_user_data(IoOwner::kSignal, 0, 0));
  };
  arm_read();
  for (;;) {
    {
      std::unique_lock guard(mutex_);
      if (stopped_count_ == config_.threads) return 0;
    }
    ring.submit_and_wait(std::chrono::milliseconds(100));
    ring.drain([&](const io_uring_cqe& cqe) {
      if (user_data_owner(cqe.user_data) != IoOwner::kSignal) return;
      const size_t count =
          cqe.res > 0 ? static_cast<size_t>(cqe.res) / sizeof(signalfd_siginfo) : 0;
      for (size_t i = 0; i < count; ++i) {
        const auto number = static_cast<int>(signals[i].ssi_signo);
        if (number == SIGHUP) {
          Status reopened = log.reopen();
          if (reopened.ok()) {
            log.info("SIGHUP: log reopened");
          } else {
            log.warn("SIGHUP: " + reopened.error());
          }
        } else if (!context_->stop_requested()) {
          log.info(std::string("signal ") + strsignal(number) +
                   ": stopping; draining and checkpointing every shard");
          (void)notify("STOPPING=1");
          context_->request_stop();
          io_uring_sqe* sqe = ring.get_sqe();
          io_uring_prep_msg_ring(sqe, context_->ring_fd(0), 0, make_user_data(IoOwner::kWake, 0, 0),
                                 0);
          io_uring_sqe_set_data64(sqe, make_user_data(IoOwner::kWake, 0, 0));
        }
      }
      arm_read();
    });
  }
}

}  // namespace ringstat
