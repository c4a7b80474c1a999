// HttpClient: a blocking HTTP/1.1 client over one keep-alive TCP connection, for the bench's
// loss check and query load against ringstat or any peer. It reconnects when the server closed
// the connection, bounds every wait, and returns failures as values. One thread per client.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"
#include "perf/bench/http_response_parser.h"
#include "perf/bench/tcp_connection.h"

namespace ringstat {

struct HttpClientOptions {
  int connect_timeout_ms = kDefaultConnectTimeout_ms;
  // The longest wait for the server to accept or send a byte during one request.
  int io_timeout_ms = kDefaultIoTimeout_ms;
  size_t body_bytes_max = kDefaultMaxReplyBodyBytes;
};

struct HttpClientStats {
  uint64_t requests = 0;  // requests that got a whole response
  uint64_t connects = 0;  // connections opened, the first one included
  uint64_t retries = 0;   // requests sent again after a kept-alive connection turned out closed
};

class HttpClient {
 public:
  explicit HttpClient(TcpEndpoint endpoint, HttpClientOptions options = {});
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // `path` is sent as is (origin form: "/name?start=1"); the caller percent-encodes.
  Result<HttpReply> get(std::string_view path);
  Result<HttpReply> post(std::string_view path, std::string_view body,
                         std::string_view content_type);

  // Drops the connection; the next request opens a new one.
  void close() { connection_.close(); }
  bool is_connected() const { return connection_.is_open(); }
  const HttpClientStats& stats() const { return stats_; }
  const TcpEndpoint& endpoint() const { return endpoint_; }
  const HttpClientOptions& options() const { return options_; }

 private:
  // One attempt on the current (or a new) connection. `stale` is set when the failure means the
  // server had closed a reused connection before answering, so sending again is safe.
  Result<HttpReply> attempt(std::string_view request, bool& stale);

  TcpEndpoint endpoint_;
  HttpClientOptions options_;
  TcpConnection connection_;
  HttpResponseParser parser_;
  std::string read_buffer_;
  uint64_t requests_on_connection_ = 0;
  HttpClientStats stats_;
};

// Builds the request bytes; exposed for tests. An empty content_type sends no Content-Type.
std::string format_http_request(std::string_view method, std::string_view path,
                                const TcpEndpoint& endpoint, std::string_view body,
                                std::string_view content_type);

// Percent-encodes everything outside RFC 3986's unreserved set, for query string values.
std::string url_encode(std::string_view text);

}  // namespace ringstat
