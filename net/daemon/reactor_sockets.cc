// Reactor sockets: multishot receives into the provided buffer rings (buffers go back at once
// unless back-pressure holds them), sends, and closing a connection only after its last
// completion. Listeners and accepts are in reactor_accept.cc.
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "net/daemon/reactor.h"
#include "net/daemon/reactor_state.h"
#include "net/uring/io_user_data.h"

namespace ringstat {

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

}  // namespace ringstat
