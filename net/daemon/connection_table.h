// ConnectionTable: one reactor's TCP connections, in a fixed number of slots
// (--connections-per-reactor). A slot's generation goes up each time it is freed, and every
// completion carries the generation it was armed with, so a late completion can never reach the
// connection that took the slot next. Each connection keeps the socket state every protocol
// shares (receiving, sending, closing, held buffers, deadline) and its protocol's own state:
// line framing and agent meta for ingest, the request in hand for HTTP, the session for admin.
// Owned by one reactor and touched only on its thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "base/verify.h"
#include "engine/ingest/agent_meta.h"
#include "engine/ingest/line_splitter.h"
#include "net/admin/admin_session.h"
#include "net/daemon/listener.h"
#include "net/daemon/reactor_metrics.h"

namespace ringstat {

// An ingest stream (stat or Graphite over TCP).
struct IngestStreamState {
  LineSplitter splitter;
  AgentMeta agent;  // its `#key value` lines (GET /?a=)
};

// An HTTP connection: one request at a time; pipelined ones wait in `input`.
struct HttpExchangeState {
  std::string input;               // request bytes not yet parsed
  bool request_in_flight = false;  // a response is being produced or sent
  bool continue_sent = false;      // `100 Continue` went out for the request in hand
};

struct AdminState {
  std::unique_ptr<AdminSession> session;
};

struct Connection {
  uint32_t generation = 0;
  bool in_use = false;
  ListenerKind kind = ListenerKind::kStatTcp;
  int fd = -1;
  bool receiving = false;  // a multishot receive is armed
  bool closing = false;    // close requested; waiting for the receive and sends to end
  bool send_in_flight = false;
  bool peer_closed = false;  // the peer shut its sending side (a receive returned 0)
  bool input_finished = false;
  uint32_t deferred_buffers = 0;  // receive buffers held back by back-pressure
  std::string peer;
  int64_t connected_s = 0;
  int64_t last_activity_s = 0;
  bool close_after_send = false;
  std::string output;  // bytes to send (HTTP; an admin session keeps its own)
  size_t output_sent = 0;
  // HTTP and admin: the monotonic time by which the peer must make progress, and which bound
  // that is (0 and kNone: no bound; ingest connections never have one).
  int64_t deadline_ms = 0;
  ConnectionDeadline deadline = ConnectionDeadline::kNone;
  std::variant<IngestStreamState, HttpExchangeState, AdminState> protocol;

  IngestStreamState& ingest() { return std::get<IngestStreamState>(protocol); }
  const IngestStreamState& ingest() const { return std::get<IngestStreamState>(protocol); }
  HttpExchangeState& http() { return std::get<HttpExchangeState>(protocol); }
  const HttpExchangeState& http() const { return std::get<HttpExchangeState>(protocol); }
  AdminSession& admin() { return *std::get<AdminState>(protocol).session; }
  bool is_tcp_ingest() const {
    return kind == ListenerKind::kStatTcp || kind == ListenerKind::kGraphiteTcp;
  }
};

class ConnectionTable {
 public:
  explicit ConnectionTable(uint32_t slots_max) : slots_(slots_max), ingest_budget_(slots_max) {
    for (uint32_t slot = slots_max; slot > 0; --slot) free_.push_back(slot - 1);
  }
  ConnectionTable(const ConnectionTable&) = delete;
  ConnectionTable& operator=(const ConnectionTable&) = delete;

  uint32_t slots() const { return static_cast<uint32_t>(slots_.size()); }
  uint32_t open_count() const { return static_cast<uint32_t>(slots_.size() - free_.size()); }
  bool full() const { return free_.empty(); }

  // Ingest connections (stat and Graphite over TCP) may use at most `budget` slots: their share
  // of the open-file limit (docs/architecture.md, "Hostile input"); every slot until it is set.
  void set_ingest_budget(uint32_t budget) { ingest_budget_ = budget; }
  uint32_t ingest_open() const { return ingest_open_; }
  bool ingest_full() const { return ingest_open_ >= ingest_budget_; }

  // A fresh connection of `kind` on `fd` in a free slot (VERIFYs that one is free, and that an
  // ingest connection is within the budget).
  uint32_t open(ListenerKind kind, int fd) {
    VERIFY(!free_.empty());
    if (is_ingest(kind)) {
      VERIFY(!ingest_full());
      ++ingest_open_;
    }
    const uint32_t slot = free_.back();
    free_.pop_back();
    Connection& c = slots_[slot];
    const uint32_t generation = c.generation;
    c = Connection{};
    c.generation = generation;
    c.in_use = true;
    c.kind = kind;
    c.fd = fd;
    return slot;
  }
  // The slot goes back to the free list; completions armed before this no longer find it.
  void release(uint32_t slot) {
    Connection& c = slots_[slot];
    VERIFY(c.in_use);
    if (is_ingest(c.kind)) {
      VERIFY(ingest_open_ > 0);
      --ingest_open_;
    }
    const uint32_t generation = c.generation + 1;
    c = Connection{};
    c.generation = generation;
    free_.push_back(slot);
  }

  Connection& operator[](uint32_t slot) { return slots_[slot]; }
  const Connection& operator[](uint32_t slot) const { return slots_[slot]; }
  uint32_t slot_of(const Connection& c) const { return static_cast<uint32_t>(&c - slots_.data()); }
  // The connection in `slot` if it is still the one a completion with `generation` was armed
  // for (generations compared in `generation_mask`, the bits a completion carries).
  Connection* find(uint32_t slot, uint32_t generation, uint32_t generation_mask) {
    if (slot >= slots_.size()) return nullptr;
    Connection& c = slots_[slot];
    if (!c.in_use || (c.generation & generation_mask) != (generation & generation_mask)) {
      return nullptr;
    }
    return &c;
  }

  auto begin() { return slots_.begin(); }
  auto end() { return slots_.end(); }
  auto begin() const { return slots_.begin(); }
  auto end() const { return slots_.end(); }

 private:
  std::vector<Connection> slots_;
  std::vector<uint32_t> free_;  // a stack of free slots
  uint32_t ingest_budget_;
  uint32_t ingest_open_ = 0;
};

}  // namespace ringstat
