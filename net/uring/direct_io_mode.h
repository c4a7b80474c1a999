// DirectIoMode: whether a store's files use O_DIRECT (--direct-io auto|on|off). Shared by the
// command line (cmd/serve_options.h) and the io_uring page store (net/uring/uring_page_store.h).
#pragma once

#include <cstdint>

namespace ringstat {

enum class DirectIoMode : uint8_t {
  kAuto,  // O_DIRECT when the store's filesystem takes it, else buffered I/O with a log line
  kOn,    // O_DIRECT or refuse to start
  kOff,   // buffered I/O
};

}  // namespace ringstat
