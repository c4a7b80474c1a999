// The private records of a Reactor: its shards with their stores, the monotonic clock of socket
// deadlines, and the limits on what peers can make it log. Included only by the reactor's own .cc
// files; everything here belongs to one reactor thread.
#pragma once

#include <time.h>

#include <memory>

#include "net/daemon/reactor.h"

namespace ringstat {

struct Reactor::OwnedShard {
  uint32_t shard_index = 0;
  std::unique_ptr<UringPageStore> store;
  std::unique_ptr<Shard> shard;
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

}  // namespace ringstat
