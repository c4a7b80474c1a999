// Reactor listeners and accepts: per-reactor SO_REUSEPORT listeners, multishot accept, the
// ingest connections' share of the open-file limit, and backing off when descriptors run out
// (docs/architecture.md, "Hostile input").
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "net/daemon/listen_socket.h"
#include "net/daemon/reactor.h"
#include "net/daemon/reactor_context.h"
#include "net/daemon/reactor_state.h"
#include "net/process/log.h"
#include "net/uring/io_user_data.h"

namespace ringstat {

namespace {

// Accept back-off when descriptors run out: the first pause, and the cap it doubles up to. A
// closed connection ends the pause early (it freed a descriptor).
constexpr uint32_t kAcceptBackoff_ms_min = 100;
constexpr uint32_t kAcceptBackoff_ms_max = 1600;
// Descriptors kept out of the ingest connections' budget, for the whole process: HTTP and admin
// connections, files the store opens while it runs, the log. Ingest connections over their share
// of the rest are closed at once, so an agent flood cannot take the descriptors /metrics needs.
constexpr uint64_t kReservedDescriptors = 128;
// TCP keepalive on ingest connections (which have no idle timeout): a peer that vanished without
// a FIN or RST is found after kKeepaliveIdle_s + kKeepaliveCount * kKeepaliveInterval_s = 2 min.
constexpr int kKeepaliveIdle_s = 60;
constexpr int kKeepaliveInterval_s = 10;
constexpr int kKeepaliveCount = 6;

bool out_of_descriptors(int error) {
  return error == EMFILE || error == ENFILE || error == ENOBUFS || error == ENOMEM;
}

std::string_view listener_name(ListenerKind kind) {
  switch (kind) {
    case ListenerKind::kStatTcp:
      return "stat";
    case ListenerKind::kStatUdp:
      return "stat UDP";
    case ListenerKind::kGraphiteTcp:
      return "graphite";
    case ListenerKind::kGraphiteUdp:
      return "graphite UDP";
    case ListenerKind::kHttp:
      return "http";
    case ListenerKind::kAdmin:
      return "admin";
  }
  return "?";
}

void set_keepalive(int fd) {
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &kKeepaliveIdle_s, sizeof kKeepaliveIdle_s);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &kKeepaliveInterval_s, sizeof kKeepaliveInterval_s);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &kKeepaliveCount, sizeof kKeepaliveCount);
}

// Descriptors the process has open now (start-up only: it lists /proc/self/fd).
uint64_t open_descriptors() {
  std::error_code error;
  uint64_t count = 0;
  for (std::filesystem::directory_iterator it("/proc/self/fd", error), end; !error && it != end;
       it.increment(error)) {
    ++count;
  }
  return count;
}
}  // namespace

bool Reactor::open_listeners() {
  const DaemonConfig& config = context_.config();
  struct Wanted {
    uint16_t port;
    ListenerKind kind;
    SocketType type;
  };
  const Wanted wanted[] = {
      {config.stat_port, ListenerKind::kStatTcp, SocketType::kTcp},
      {config.stat_port, ListenerKind::kStatUdp, SocketType::kUdp},
      {config.graphite_port, ListenerKind::kGraphiteTcp, SocketType::kTcp},
      {config.graphite_port, ListenerKind::kGraphiteUdp, SocketType::kUdp},
      {config.http_port, ListenerKind::kHttp, SocketType::kTcp},
      {config.admin_port, ListenerKind::kAdmin, SocketType::kTcp},
  };
  for (const Wanted& want : wanted) {
    if (want.port == 0) continue;
    const std::string& address =
        want.kind == ListenerKind::kAdmin ? config.admin_address : config.listen_address;
    Result<int> fd = open_reuseport_socket(address, want.port, want.type);
    if (!fd.ok()) {
      bind_error_ = fd.error();
      return false;
    }
    Listener listener;
    listener.kind = want.kind;
    listener.fd = fd.value();
    listeners_.push_back(listener);
  }
  connections_.set_ingest_budget(ingest_connection_budget());
  for (uint32_t l = 0; l < listeners_.size(); ++l) {
    if (is_udp(listeners_[l].kind)) {
      arm_udp_receive(l);
    } else {
      arm_accept(l);
    }
  }
  return true;
}

void Reactor::arm_accept(uint32_t l) {
  Listener& listener = listeners_[l];
  io_uring_sqe* sqe = ring_->get_sqe();
  io_uring_prep_multishot_accept(sqe, listener.fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
  io_uring_sqe_set_data64(sqe, make_user_data(IoOwner::kAccept, static_cast<uint16_t>(l), 0));
  listener.armed = true;
  ++armed_operations_;
}

// This reactor's share of the open-file limit for ingest connections, once every store file
// and listener is open: what is left after kReservedDescriptors, split between the reactors.
uint32_t Reactor::ingest_connection_budget() const {
  const uint32_t slots = connections_.slots();
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return slots;
  const uint64_t used = open_descriptors() + kReservedDescriptors;
  const uint64_t free = limit.rlim_cur > used ? limit.rlim_cur - used : 0;
  const auto budget = static_cast<uint32_t>(std::min<uint64_t>(slots, free / reactor_count_));
  if (index_ == 0) {
    process_log().info("ingest connections: at most " + std::to_string(budget) +
                       " per reactor (open-file limit " + std::to_string(limit.rlim_cur) + ")");
  }
  return budget;
}

void Reactor::on_accept(uint32_t l, const io_uring_cqe& cqe) {
  Listener& listener = listeners_[l];
  if (!(cqe.flags & IORING_CQE_F_MORE)) {
    listener.armed = false;
    --armed_operations_;
  }
  if (cqe.res >= 0) {
    listener.accept_backoff_ms = 0;
    take_connection(l, cqe.res);
  } else if (out_of_descriptors(-cqe.res)) {
    back_off_accepts(l, -cqe.res);
  } else if (cqe.res != -ECANCELED) {
    ++metrics_.accept_errors;
  }
  // Any other error ended the multishot for that one connection: accept on at once. After
  // EMFILE the same connection would fail again at once, forever; resume_accepts re-arms.
  if (!listener.armed && !stopping() && listener.accept_resume_ms == 0) arm_accept(l);
}

// Out of descriptors: the connection stays in the listen backlog, so accepting again now would
// fail again at once (a busy loop on every core). Pause this listener; the pause doubles while
// it keeps failing, and a closed connection ends it early.
void Reactor::back_off_accepts(uint32_t l, int error) {
  Listener& listener = listeners_[l];
  ++metrics_.accept_errors;
  ++metrics_.accept_backoffs;
  const bool was_paused = listener.accept_resume_ms != 0;
  listener.accept_backoff_ms =
      std::clamp(listener.accept_backoff_ms * 2, kAcceptBackoff_ms_min, kAcceptBackoff_ms_max);
  listener.accept_resume_ms = monotonic_ms() + listener.accept_backoff_ms;
  if (listener.armed && !was_paused) {
    // Errors normally end the multishot; should one not, stop it here.
    io_uring_sqe* sqe = ring_->get_sqe();
    io_uring_prep_cancel64(sqe, make_user_data(IoOwner::kAccept, static_cast<uint16_t>(l), 0), 0);
    io_uring_sqe_set_data64(sqe, make_user_data(IoOwner::kCancel, 0, 0));
  }
  uint64_t unlogged = 0;
  if (log_limits_->accept_backoff.take(monotonic_ms(), &unlogged)) {
    process_log().warn("accepting on the " + std::string(listener_name(listener.kind)) +
                       " port failed: " + std::strerror(error) + "; pausing accepts for " +
                       std::to_string(listener.accept_backoff_ms) + " ms (" +
                       std::to_string(unlogged) + " more pauses since the last message)");
  }
}

void Reactor::resume_accepts(int64_t now_ms) {
  for (uint32_t l = 0; l < listeners_.size(); ++l) {
    Listener& listener = listeners_[l];
    if (listener.accept_resume_ms == 0 || now_ms < listener.accept_resume_ms) continue;
    if (listener.armed || stopping()) continue;  // a cancel is still on its way
    listener.accept_resume_ms = 0;
    arm_accept(l);
  }
}

void Reactor::take_connection(uint32_t l, int fd) {
  const ListenerKind kind = listeners_[l].kind;
  if (stopping() || connections_.full()) {
    if (!stopping()) ++metrics_.accept_errors;  // every connection slot is in use
    ::close(fd);
    return;
  }
  if (is_ingest(kind) && connections_.ingest_full()) {
    ++metrics_.connections_refused;
    ::close(fd);
    uint64_t unlogged = 0;
    if (log_limits_->ingest_refused.take(monotonic_ms(), &unlogged)) {
      process_log().warn(
          "closed an ingest connection: " + std::to_string(connections_.ingest_open()) +
          " are open, the most the open-file limit allows (" + std::to_string(unlogged) +
          " more since the last message)");
    }
    return;
  }
  const uint32_t slot = connections_.open(kind, fd);
  Connection& c = connections_[slot];
  sockaddr_storage peer{};
  socklen_t length = sizeof peer;
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &length) == 0) {
    c.peer = describe_peer(&peer, length);
  }
  c.connected_s = clock_.now_s();
  c.last_activity_s = c.connected_s;
  const DaemonConfig& config = context_.config();
  if (is_ingest(kind)) {
    set_keepalive(fd);
  } else if (kind == ListenerKind::kHttp) {
    c.protocol.emplace<HttpExchangeState>();
    // The first request must arrive within the request timeout of connecting.
    c.deadline = ConnectionDeadline::kHttpRequest;
    c.deadline_ms = monotonic_ms() + config.http_request_timeout_ms;
  } else if (kind == ListenerKind::kAdmin) {
    c.protocol.emplace<AdminState>(
        std::make_unique<AdminSession>(services_, [this, slot] { send_pending(slot); }));
    c.deadline = ConnectionDeadline::kAdminIdle;
    c.deadline_ms = monotonic_ms() + config.admin_idle_timeout_ms;
  }
  ++metrics_.connections_accepted;
  arm_receive(slot);
}

void Reactor::stop_listening() {
  for (Listener& listener : listeners_) {
    if (listener.fd < 0) continue;
    io_uring_sqe* sqe = ring_->get_sqe();
    io_uring_prep_cancel_fd(sqe, listener.fd, IORING_ASYNC_CANCEL_ALL);
    io_uring_sqe_set_data64(sqe, make_user_data(IoOwner::kCancel, 0, 0));
  }
}

}  // namespace ringstat
