// Reactor sockets: per-reactor SO_REUSEPORT listeners, multishot accept, multishot receive into
// the provided buffer rings (buffers go back at once unless back-pressure holds them), sends, and
// closing a connection only after its last completion.
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

void Reactor::arm_udp_receive(uint32_t l) {
  Listener& listener = listeners_[l];
  listener.udp_header = msghdr{};
  io_uring_sqe* sqe = ring_->get_sqe();
  io_uring_prep_recvmsg_multishot(sqe, listener.fd, &listener.udp_header, MSG_TRUNC);
  sqe->flags |= IOSQE_BUFFER_SELECT;
  sqe->buf_group = udp_buffers_->group_id();
  io_uring_sqe_set_data64(sqe, make_user_data(IoOwner::kRecvUdp, static_cast<uint16_t>(l), 0));
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

BufferRing& Reactor::receive_buffers(ListenerKind kind) {
  return is_ingest(kind) ? *tcp_buffers_ : *service_buffers_;
}

uint64_t Reactor::receive_user_data(uint32_t slot) const {
  return make_user_data(IoOwner::kRecv, 0, make_slot_payload(slot, connections_[slot].generation));
}

void Reactor::arm_receive(uint32_t slot) {
  Connection& c = connections_[slot];
  io_uring_sqe* sqe = ring_->get_sqe();
  io_uring_prep_recv_multishot(sqe, c.fd, nullptr, 0, 0);
  sqe->flags |= IOSQE_BUFFER_SELECT;
  sqe->buf_group = receive_buffers(c.kind).group_id();
  io_uring_sqe_set_data64(sqe, receive_user_data(slot));
  c.receiving = true;
  ++armed_operations_;
}

Connection* Reactor::connection(uint32_t slot, uint32_t generation) {
  return connections_.find(slot, generation, kIoGenerationMask);
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

void Reactor::on_receive(uint32_t slot, uint32_t generation, const io_uring_cqe& cqe) {
  Connection* c = connection(slot, generation);
  VERIFY(c != nullptr);  // a slot is reused only after its receive's final completion
  const bool more = (cqe.flags & IORING_CQE_F_MORE) != 0;
  if (cqe.res > 0) {
    const std::optional<uint16_t> bid = BufferRing::buffer_id(cqe);
    VERIFY(bid.has_value());
    const auto length = static_cast<uint32_t>(cqe.res);
    BufferRing& buffers = receive_buffers(c->kind);
    buffers.take(*bid, length);
    ++metrics_.receive_completions;
    metrics_.receive_bytes += length;
    c->last_activity_s = clock_.now_s();
    if (c->closing) {
      buffers.recycle(*bid);  // closing without reading on (HTTP after an error, shutdown)
    } else if (is_ingest(c->kind) && (ingest_blocked() || c->deferred_buffers > 0)) {
      // Back-pressure: hold the buffer; the ring running dry stops the socket (Invariant 9).
      deferred_.push_back(DeferredReceive{slot, generation, *bid, length, false});
      ++c->deferred_buffers;
      ++metrics_.deferred_buffers;
    } else {
      const auto bytes = buffers.buffer(*bid, length);
      handle_bytes(slot, {reinterpret_cast<const char*>(bytes.data()), bytes.size()});
      buffers.recycle(*bid);
      refresh_deadline(connections_[slot]);
    }
  }
  if (more) return;
  c = connection(slot, generation);
  c->receiving = false;
  --armed_operations_;
  if (cqe.res == -ENOBUFS) {
    ++metrics_.enobufs;
    if (!c->closing) starved_receives_.push_back(slot);
  } else if (cqe.res == 0) {
    c->peer_closed = true;
    maybe_finish_input(slot);
  } else if (cqe.res < 0) {
    close_connection(slot);
  } else if (!c->closing) {
    ++metrics_.multishot_rearms;
    arm_receive(slot);
  }
  if (c->closing) close_connection(slot);
}

// The peer has closed its side: once every held buffer is processed, the last line without a
// newline counts too, then the connection closes (admin: after its replies are sent).
void Reactor::maybe_finish_input(uint32_t slot) {
  Connection& c = connections_[slot];
  if (c.deferred_buffers > 0 || c.input_finished) return;
  c.input_finished = true;
  if (is_ingest(c.kind)) {
    IngestStreamState& stream = c.ingest();
    pipeline_.finish_stream(ingest_listener(c.kind), stream.splitter, &stream.agent, router_);
    close_connection(slot);
  } else if (c.kind == ListenerKind::kAdmin) {
    const bool rejected_before = c.admin().rejected();
    c.admin().finish_input();
    count_admin_rejection(c, rejected_before);
    send_pending(slot);
  } else if (!c.http().request_in_flight && c.output.empty()) {
    // HTTP: nothing is being answered and what is left cannot be a complete request (it would
    // have been parsed). A request still being answered closes the connection after its answer
    // and every complete request behind it (on_send): a client may half-close after sending.
    close_connection(slot);
  }
}

void Reactor::on_udp_receive(uint32_t l, const io_uring_cqe& cqe) {
  Listener& listener = listeners_[l];
  if (cqe.res > 0) {
    const std::optional<uint16_t> bid = BufferRing::buffer_id(cqe);
    VERIFY(bid.has_value());
    const auto length = static_cast<uint32_t>(cqe.res);
    auto bytes = udp_buffers_->take(*bid, length);
    ++metrics_.udp_datagrams;
    metrics_.receive_bytes += length;
    io_uring_recvmsg_out* out =
        io_uring_recvmsg_validate(bytes.data(), cqe.res, &listener.udp_header);
    if (out == nullptr || (out->flags & MSG_TRUNC)) {
      ++metrics_.udp_truncated;  // larger than a buffer: dropped and counted, never half-parsed
      udp_buffers_->recycle(*bid);
    } else if (ingest_blocked() || stopping()) {
      if (stopping()) {
        udp_buffers_->recycle(*bid);
      } else {
        deferred_.push_back(DeferredReceive{l, 0, *bid, length, true});
        ++metrics_.deferred_buffers;
      }
    } else {
      const auto* payload =
          static_cast<const char*>(io_uring_recvmsg_payload(out, &listener.udp_header));
      const uint32_t payload_length =
          io_uring_recvmsg_payload_length(out, cqe.res, &listener.udp_header);
      ingest_udp(l, std::string_view(payload, payload_length));
      udp_buffers_->recycle(*bid);
    }
  }
  if (cqe.flags & IORING_CQE_F_MORE) return;
  listener.armed = false;
  --armed_operations_;
  if (stopping()) return;
  if (cqe.res == -ENOBUFS) {
    ++metrics_.enobufs;
    starved_udp_.push_back(l);
  } else {
    ++metrics_.multishot_rearms;
    arm_udp_receive(l);
  }
}

// Multishot receives that ran out of buffers start again once half the buffers are back
// (buffer_ring.h rule 4): re-arming on an empty group would end at once.
void Reactor::rearm_starved_receives() {
  const auto refilled = [](const BufferRing& buffers) {
    return buffers.available() * 2 >= buffers.entries();
  };
  if (!starved_receives_.empty()) {
    const bool ingest_ready = refilled(*tcp_buffers_);
    const bool service_ready = refilled(*service_buffers_);
    std::erase_if(starved_receives_, [&](uint32_t slot) {
      Connection& c = connections_[slot];
      if (!c.in_use || c.closing || c.receiving) return true;
      if (!(is_ingest(c.kind) ? ingest_ready : service_ready)) return false;
      ++metrics_.multishot_rearms;
      arm_receive(slot);
      return true;
    });
  }
  if (!starved_udp_.empty() && udp_buffers_->available() * 2 >= udp_buffers_->entries()) {
    for (uint32_t l : starved_udp_) {
      if (!listeners_[l].armed && !stopping()) arm_udp_receive(l);
    }
    starved_udp_.clear();
  }
}

void Reactor::send_pending(uint32_t slot) {
  Connection& c = connections_[slot];
  if (!c.in_use || c.send_in_flight) return;
  const bool admin = c.kind == ListenerKind::kAdmin;
  std::string_view pending =
      admin ? c.admin().pending_output() : std::string_view(c.output).substr(c.output_sent);
  if (pending.empty()) {
    if (admin && c.admin().should_close()) close_connection(slot);
    return;
  }
  io_uring_sqe* sqe = ring_->get_sqe();
  io_uring_prep_send(sqe, c.fd, pending.data(), pending.size(), MSG_NOSIGNAL);
  io_uring_sqe_set_data64(sqe,
                          make_user_data(IoOwner::kSend, 0, make_slot_payload(slot, c.generation)));
  c.send_in_flight = true;
  ++armed_operations_;
}

void Reactor::on_send(uint32_t slot, uint32_t generation, const io_uring_cqe& cqe) {
  Connection* c = connection(slot, generation);
  VERIFY(c != nullptr && c->send_in_flight);
  c->send_in_flight = false;
  --armed_operations_;
  if (cqe.res < 0) {
    close_connection(slot);
    return;
  }
  const auto sent = static_cast<size_t>(cqe.res);
  if (c->kind == ListenerKind::kAdmin) {
    c->admin().consume_output(sent);
  } else {
    c->output_sent += sent;
    if (c->output_sent == c->output.size()) {
      c->output.clear();
      c->output_sent = 0;
      if (c->kind == ListenerKind::kHttp) {
        c->http().request_in_flight = false;
        if (c->close_after_send) {
          close_connection(slot);
          return;
        }
        http_input(*c);  // a pipelined request may be waiting
        if (c->input_finished && !c->http().request_in_flight && c->output.empty()) {
          // The peer half-closed and every complete request it sent is answered.
          close_connection(slot);
          return;
        }
      }
    }
  }
  refresh_deadline(*c);
  if (c->closing) {
    close_connection(slot);
    return;
  }
  send_pending(slot);
}

void Reactor::close_connection(uint32_t slot) {
  Connection& c = connections_[slot];
  if (!c.in_use) return;
  if (!c.closing) {
    c.closing = true;
    if (c.receiving) {
      io_uring_sqe* sqe = ring_->get_sqe();
      io_uring_prep_cancel64(sqe, receive_user_data(slot), 0);
      io_uring_sqe_set_data64(sqe, make_user_data(IoOwner::kCancel, 0, 0));
    }
  }
  // The slot is freed only when nothing of it is in flight or held.
  if (c.receiving || c.send_in_flight || c.deferred_buffers > 0) return;
  finish_close(slot);
}

void Reactor::finish_close(uint32_t slot) {
  Connection& c = connections_[slot];
  if (c.is_tcp_ingest()) {
    agents_.remember(c, clock_.now_s());
    // A stream that ended without finish_input (an error, a shutdown) drops its partial line.
    pipeline_.release_stream(c.ingest().splitter);
  }
  ::close(c.fd);
  // A descriptor is free again: a listener paused for want of one may try now.
  for (Listener& listener : listeners_) {
    if (listener.accept_resume_ms != 0) listener.accept_resume_ms = 1;
  }
  connections_.release(slot);
  ++metrics_.connections_closed;
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
