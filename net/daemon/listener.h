// The ports a reactor listens on: one SO_REUSEPORT socket per port and protocol in every reactor.
#pragma once

#include <sys/socket.h>

#include <cstdint>

#include "base/verify.h"
#include "engine/ingest/ingest_counters.h"

namespace ringstat {

enum class ListenerKind : uint8_t {
  kStatTcp,
  kStatUdp,
  kGraphiteTcp,
  kGraphiteUdp,
  kHttp,
  kAdmin,
};

struct Listener {
  ListenerKind kind = ListenerKind::kStatTcp;
  int fd = -1;
  bool armed = false;  // its multishot accept (TCP) or receive (UDP) is in flight
  // Accept back-off (EMFILE and friends): the monotonic time the accept is armed again (0: not
  // backing off), and the pause the next failure gets.
  int64_t accept_resume_ms = 0;
  uint32_t accept_backoff_ms = 0;
  msghdr udp_header{};  // the recvmsg multishot template: no name, no control
};

inline bool is_ingest(ListenerKind kind) {
  return kind == ListenerKind::kStatTcp || kind == ListenerKind::kStatUdp ||
         kind == ListenerKind::kGraphiteTcp || kind == ListenerKind::kGraphiteUdp;
}

inline bool is_udp(ListenerKind kind) {
  return kind == ListenerKind::kStatUdp || kind == ListenerKind::kGraphiteUdp;
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
