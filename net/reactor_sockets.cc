// Reactor sockets: per-reactor SO_REUSEPORT listeners, multishot accept, multishot receive into
// the provided buffer rings (buffers go back at once unless back-pressure holds them), sends, and
// closing a connection only after its last completion.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "net/io_user_data.h"
#include "net/listen_socket.h"
#include "net/log.h"
#include "net/reactor.h"
#include "net/reactor_state.h"
#include "net/server.h"

namespace ringstat {

namespace {
constexpr size_t kMaxOfflineAgents = 10000;
}  // namespace

bool Reactor::open_listeners() {
  const DaemonConfig& config = server_.config();
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
    Result<int> fd = open_reuseport_socket(config.listen_address, want.port, want.type);
    if (!fd.ok()) {
      bind_error_ = fd.error();
      return false;
    }
    Listener listener;
    listener.kind = want.kind;
    listener.fd = fd.value();
    listeners_.push_back(listener);
  }
  for (uint32_t l = 0; l < listeners_.size(); ++l) {
    if (listeners_[l].kind == ListenerKind::kStatUdp ||
        listeners_[l].kind == ListenerKind::kGraphiteUdp) {
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

uint64_t Reactor::receive_user_data(uint32_t slot) const {
  return make_user_data(IoOwner::kRecv, 0, make_slot_payload(slot, connections_[slot].generation));
}

void Reactor::arm_receive(uint32_t slot) {
  Connection& c = connections_[slot];
  io_uring_sqe* sqe = ring_->get_sqe();
  io_uring_prep_recv_multishot(sqe, c.fd, nullptr, 0, 0);
  sqe->flags |= IOSQE_BUFFER_SELECT;
  sqe->buf_group = tcp_buffers_->group_id();
  io_uring_sqe_set_data64(sqe, receive_user_data(slot));
  c.receiving = true;
  ++armed_operations_;
}

Reactor::Connection* Reactor::connection(uint32_t slot, uint32_t generation) {
  if (slot >= connections_.size()) return nullptr;
  Connection& c = connections_[slot];
  if (!c.in_use || (c.generation & kIoGenerationMask) != (generation & kIoGenerationMask)) {
    return nullptr;
  }
  return &c;
}

void Reactor::on_accept(uint32_t l, const io_uring_cqe& cqe) {
  Listener& listener = listeners_[l];
  if (!(cqe.flags & IORING_CQE_F_MORE)) {
    listener.armed = false;
    --armed_operations_;
    if (!stopping_) arm_accept(l);  // EMFILE and friends end the multishot: re-arm and count
  }
  if (cqe.res < 0) {
    if (cqe.res != -ECANCELED) ++metrics_.accept_errors;
    return;
  }
  const int fd = cqe.res;
  if (stopping_ || free_connections_.empty()) {
    if (!stopping_) ++metrics_.accept_errors;  // every connection slot is in use
    ::close(fd);
    return;
  }
  const uint32_t slot = free_connections_.back();
  free_connections_.pop_back();
  Connection& c = connections_[slot];
  const uint32_t generation = c.generation;
  c = Connection{};
  c.generation = generation;
  c.in_use = true;
  c.kind = listener.kind;
  c.fd = fd;
  sockaddr_storage peer{};
  socklen_t length = sizeof peer;
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &length) == 0) {
    c.peer = describe_peer(&peer, length);
  }
  c.connected_s = clock_.now_s();
  c.last_activity_s = c.connected_s;
  if (c.kind == ListenerKind::kAdmin) {
    c.admin = std::make_unique<AdminSession>(*this, [this, slot] { send_pending(slot); });
  }
  ++open_connections_;
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
    tcp_buffers_->take(*bid, length);
    ++metrics_.receive_completions;
    metrics_.receive_bytes += length;
    c->last_activity_s = clock_.now_s();
    if (c->closing) {
      tcp_buffers_->recycle(*bid);  // closing without reading on (HTTP after an error, shutdown)
    } else if (is_ingest(c->kind) && (ingest_blocked() || c->deferred_buffers > 0)) {
      // Back-pressure: hold the buffer; the ring running dry stops the socket (Invariant 9).
      deferred_.push_back(DeferredReceive{slot, generation, *bid, length, false});
      ++c->deferred_buffers;
      ++metrics_.deferred_buffers;
    } else {
      const auto bytes = tcp_buffers_->buffer(*bid, length);
      handle_bytes(slot, {reinterpret_cast<const char*>(bytes.data()), bytes.size()});
      tcp_buffers_->recycle(*bid);
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
    const ListenerKind kind = c.kind;
    c.splitter.finish(
        carry_, [&](std::string_view line) { ingest_line(kind, &connections_[slot], line); },
        [&](RejectReason reason) {
          ++metrics_.ingest[static_cast<size_t>(ingest_listener(kind))]
                .rejected[static_cast<size_t>(reason)];
        });
    close_connection(slot);
  } else if (c.kind == ListenerKind::kAdmin) {
    c.admin->finish_input();
    send_pending(slot);
  } else {
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
    io_uring_recvmsg_out* out = io_uring_recvmsg_validate(bytes.data(), cqe.res, &listener.udp_header);
    if (out == nullptr || (out->flags & MSG_TRUNC)) {
      ++metrics_.udp_truncated;  // larger than a buffer: dropped and counted, never half-parsed
      udp_buffers_->recycle(*bid);
    } else if (ingest_blocked() || stopping_) {
      if (stopping_) {
        udp_buffers_->recycle(*bid);
      } else {
        deferred_.push_back(DeferredReceive{l, 0, *bid, length, true});
        ++metrics_.deferred_buffers;
      }
    } else {
      const auto* payload = static_cast<const char*>(io_uring_recvmsg_payload(out, &listener.udp_header));
      const uint32_t payload_length = io_uring_recvmsg_payload_length(out, cqe.res, &listener.udp_header);
      ingest_udp(l, std::string_view(payload, payload_length));
      udp_buffers_->recycle(*bid);
    }
  }
  if (cqe.flags & IORING_CQE_F_MORE) return;
  listener.armed = false;
  --armed_operations_;
  if (stopping_) return;
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
  if (!starved_receives_.empty() && tcp_buffers_->available() * 2 >= tcp_buffers_->entries()) {
    for (uint32_t slot : starved_receives_) {
      Connection& c = connections_[slot];
      if (c.in_use && !c.closing && !c.receiving) {
        ++metrics_.multishot_rearms;
        arm_receive(slot);
      }
    }
    starved_receives_.clear();
  }
  if (!starved_udp_.empty() && udp_buffers_->available() * 2 >= udp_buffers_->entries()) {
    for (uint32_t l : starved_udp_) {
      if (!listeners_[l].armed && !stopping_) arm_udp_receive(l);
    }
    starved_udp_.clear();
  }
}

void Reactor::send_pending(uint32_t slot) {
  Connection& c = connections_[slot];
  if (!c.in_use || c.send_in_flight) return;
  std::string_view pending = c.admin ? c.admin->pending_output()
                                     : std::string_view(c.output).substr(c.output_sent);
  if (pending.empty()) {
    if (c.admin && c.admin->should_close()) close_connection(slot);
    return;
  }
  io_uring_sqe* sqe = ring_->get_sqe();
  io_uring_prep_send(sqe, c.fd, pending.data(), pending.size(), MSG_NOSIGNAL);
  io_uring_sqe_set_data64(sqe, make_user_data(IoOwner::kSend, 0, make_slot_payload(slot, c.generation)));
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
  if (c->admin) {
    c->admin->consume_output(sent);
  } else {
    c->output_sent += sent;
    if (c->output_sent == c->output.size()) {
      c->output.clear();
      c->output_sent = 0;
      if (c->kind == ListenerKind::kHttp) {
        c->request_in_flight = false;
        if (c->close_after_send) {
          close_connection(slot);
          return;
        }
        http_input(*c);  // a pipelined request may be waiting
      }
    }
  }
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
  if (c.kind == ListenerKind::kStatTcp || c.kind == ListenerKind::kGraphiteTcp) {
    const int64_t now = clock_.now_s();
    std::erase_if(offline_agents_,
                  [&](const OfflineAgent& agent) { return agent.last_activity_s < now - kAgentMemoryS; });
    if (offline_agents_.size() >= kMaxOfflineAgents) offline_agents_.erase(offline_agents_.begin());
    offline_agents_.push_back(OfflineAgent{std::move(c.meta), c.peer, c.connected_s, c.last_activity_s});
  }
  c.splitter.release(carry_);
  ::close(c.fd);
  const uint32_t generation = c.generation + 1;
  c = Connection{};
  c.generation = generation;
  free_connections_.push_back(slot);
  --open_connections_;
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
