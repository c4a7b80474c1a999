// AdminClient: ringstat's admin line protocol (docs/http-api.md "Admin port") over one TCP
// connection: a command line goes out, its output lines come back ending in `ok`, or one line
// starting with `huh?` on failure. Used after a run for `flush` and `stats`. One thread per
// client.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "perf/bench/tcp_connection.h"

namespace ringstat {

// `flush` returns once every shard's log is durable up to what was read; staged buckets stay
// staged, so it is quick on an idle server, and the bound is generous for a busy one.
inline constexpr int kDefaultAdminTimeout_ms = 600'000;
// The longest output line accepted, and the most output lines of one command.
inline constexpr size_t kAdminLineBytesMax = 64 * 1024;
inline constexpr size_t kAdminOutputLinesMax = 100'000;

class AdminClient {
 public:
  explicit AdminClient(TcpEndpoint endpoint, int timeout_ms = kDefaultAdminTimeout_ms)
      : endpoint_(std::move(endpoint)), timeout_ms_(timeout_ms) {}

  // Sends `line` (without its '\n') and returns the output lines before `ok`. A `huh?` line
  // is an error carrying that line. Connects on first use; the connection is dropped after a
  // failure, so the next command starts clean.
  Result<std::vector<std::string>> command(std::string_view line);

  // `flush`: returns once everything the server read before it is durable and queryable.
  Status flush();

  void close() { connection_.close(); }

 private:
  // The next '\n'-terminated line (without '\n' or '\r').
  Result<std::string> read_line();

  TcpEndpoint endpoint_;
  int timeout_ms_;
  TcpConnection connection_;
  std::string buffer_;  // received bytes not yet returned as lines
};

}  // namespace ringstat
