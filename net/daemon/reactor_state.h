// The private records of a Reactor: its shards, listeners and connections. Included only by the
// reactor's own .cc files; everything here belongs to one reactor thread.
#pragma once

#include <sys/socket.h>
#include <time.h>

#include <array>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "net/admin/admin_session.h"
#include "net/daemon/reactor.h"

namespace ringstat {

struct Reactor::OwnedShard {
  uint32_t shard_index = 0;
  std::unique_ptr<UringPageStore> store;
  std::unique_ptr<Shard> shard;
  IngestBatch batch;  // local samples waiting for add_batch
  std::array<ListenerKind, IngestBatch::kSamplesMax> listeners{};
};

struct Reactor::Listener {
  ListenerKind kind = ListenerKind::kStatTcp;
  int fd = -1;
  bool armed = false;
  // Accept back-off (EMFILE and friends): the monotonic time the accept is armed again (0: not
  // backing off), and the pause the next failure gets.
  int64_t accept_resume_ms = 0;
  uint32_t accept_backoff_ms = 0;
  msghdr udp_header{};  // the recvmsg multishot template: no name, no control
};

struct Reactor::Connection {
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
  LineSplitter splitter;          // ingest connections
  std::string peer;
  int64_t connected_s = 0;
  int64_t last_activity_s = 0;
  std::vector<std::pair<std::string, std::string>> meta;  // `#key value` lines (agents)
  std::string input;                                      // HTTP request bytes not yet parsed
  bool request_in_flight = false;  // HTTP: a response is being produced or sent
  bool continue_sent = false;      // HTTP: `100 Continue` went out for the request in hand
  bool close_after_send = false;
  std::string output;  // bytes to send
  size_t output_sent = 0;
  std::unique_ptr<AdminSession> admin;
  // HTTP and admin: the monotonic time by which the peer must make progress, and which bound
  // that is (0 and kNone: no bound; ingest connections never have one).
  int64_t deadline_ms = 0;
  ConnectionDeadline deadline = ConnectionDeadline::kNone;
};

// The monotonic clock of connection deadlines and accept back-off, in milliseconds. The reactor
// clock can be fake (--fake-time), so it cannot time a socket.
inline int64_t monotonic_ms() {
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  return int64_t{now.tv_sec} * 1000 + now.tv_nsec / 1'000'000;
}

// Logs an event that a peer can cause at will at most once per window: the first of a window is
// logged, the rest are counted and reported with the next one logged.
class LogOncePerWindow {
 public:
  static constexpr int64_t kWindow_ms = 10'000;
  // True when the caller should log now; `unlogged` is then the number of events of this kind
  // not logged since the last line.
  bool take(int64_t now_ms, uint64_t* unlogged) {
    if (now_ms < next_ms_) {
      ++skipped_;
      return false;
    }
    next_ms_ = now_ms + kWindow_ms;
    *unlogged = skipped_;
    skipped_ = 0;
    return true;
  }

 private:
  int64_t next_ms_ = 0;
  uint64_t skipped_ = 0;
};

// One limiter per kind of complaint a peer can cause at will.
struct ReactorLogLimits {
  LogOncePerWindow accept_backoff;
  LogOncePerWindow ingest_refused;
  LogOncePerWindow admin_rejected;
};

// GET /?a= lists the TCP agents seen in the last 25 hours.
inline constexpr int64_t kAgentMemory_s = 25 * 3600;

// A TCP agent that disconnected, kept for GET /?a= for kAgentMemory_s.
struct OfflineAgent {
  std::vector<std::pair<std::string, std::string>> meta;
  std::string peer;
  int64_t connected_s = 0;
  int64_t last_activity_s = 0;
};

inline bool is_ingest(ListenerKind kind) {
  return kind == ListenerKind::kStatTcp || kind == ListenerKind::kStatUdp ||
         kind == ListenerKind::kGraphiteTcp || kind == ListenerKind::kGraphiteUdp;
}

inline IngestListener ingest_listener(ListenerKind kind) {
  switch (kind) {
    case ListenerKind::kStatTcp:
      return IngestListener::kStatTcp;
    case ListenerKind::kStatUdp:
      return IngestListener::kStatUdp;
    case ListenerKind::kGraphiteTcp:
      return IngestListener::kGraphiteTcp;
    case ListenerKind::kGraphiteUdp:
      return IngestListener::kGraphiteUdp;
    default:
      break;
  }
  VERIFY(false && "not an ingest listener");
  return IngestListener::kStatTcp;
}

}  // namespace ringstat
