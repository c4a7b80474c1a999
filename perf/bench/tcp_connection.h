// TcpConnection: one blocking-style TCP client connection with timeouts, shared by the bench's
// HTTP and admin clients. The socket is non-blocking underneath so every wait is a poll with a
// deadline; failures come back as values. Owned and used by one thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"

namespace ringstat {

inline constexpr int kDefaultConnectTimeout_ms = 5'000;
inline constexpr int kDefaultIoTimeout_ms = 30'000;
// The most bytes one read asks the kernel for.
inline constexpr size_t kReadChunkBytes = 64 * 1024;

struct TcpEndpoint {
  std::string host;  // a name or a numeric IPv4/IPv6 address
  uint16_t port = 0;
};

// What a read saw: bytes appended, the peer closed cleanly, or an error (reset, timeout).
enum class ReadOutcome : uint8_t { kData, kClosed, kError };

class TcpConnection {
 public:
  TcpConnection() = default;
  ~TcpConnection() { close(); }
  TcpConnection(const TcpConnection&) = delete;
  TcpConnection& operator=(const TcpConnection&) = delete;

  // Closes any open socket first. TCP_NODELAY is set, since requests are written whole.
  Status connect(const TcpEndpoint& endpoint, int timeout_ms);
  void close();
  bool is_open() const { return fd_ >= 0; }

  // Writes all of `bytes` or fails; each wait for buffer space is bounded by timeout_ms.
  Status send_all(std::string_view bytes, int timeout_ms);

  // Appends at most kReadChunkBytes to `out`, waiting up to timeout_ms for something to arrive.
  // On kError, `error` says why.
  ReadOutcome read_some(std::string& out, int timeout_ms, std::string& error);

 private:
  int fd_ = -1;
};

}  // namespace ringstat
