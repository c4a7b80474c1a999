// HttpResponseParser: reads one HTTP/1.1 response from a byte stream, fed in arbitrary pieces:
// the status line, headers, and a body framed by Content-Length, `Transfer-Encoding: chunked`
// or the end of the connection. Used by the bench's HttpClient. Single-threaded pure code.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ringstat {

// The most bytes of status line and headers (and of chunked trailers) one response may have.
inline constexpr size_t kReplyHeadBytesMax = 64 * 1024;
// The most body bytes accepted by default: a POST /* answer for 500 counters over many rounds is
// tens of MiB, a `?q=rsb.*` listing of a million names about 60 MiB.
inline constexpr size_t kDefaultMaxReplyBodyBytes = size_t{1} << 30;

// A response as the client saw it. Named HttpReply so it never clashes with the server's
// HttpResponse in net/http/http_response.h, which the bench may link.
struct HttpReply {
  int status = 0;
  std::string reason;
  std::vector<std::pair<std::string, std::string>> headers;  // in order, values trimmed
  std::string body;                                          // de-chunked
  bool keep_alive = true;  // false when the server said `Connection: close` or is HTTP/1.0

  // The first header with this name, compared case-insensitively.
  std::optional<std::string_view> header(std::string_view name) const;
};

class HttpResponseParser {
 public:
  enum class State : uint8_t { kNeedMore, kDone, kError };

  explicit HttpResponseParser(size_t body_bytes_max = kDefaultMaxReplyBodyBytes)
      : body_bytes_max_(body_bytes_max) {}

  // Starts a new response. `head_request`: the response has no body whatever its headers say.
  void reset(bool head_request = false);

  // Consumes bytes of `input` up to the end of this response and returns how many it used; the
  // rest belongs to the next response. Call again with more input while state() is kNeedMore.
  size_t feed(std::string_view input);

  // The connection closed: completes a body that runs to the end of the connection, and is an
  // error anywhere else.
  void finish_at_eof();

  State state() const { return state_; }
  const std::string& error() const { return error_; }
  // True once any byte of this response was consumed (a closed idle connection has none).
  bool started() const { return started_; }
  HttpReply& reply() { return reply_; }

 private:
  enum class Phase : uint8_t {
    kStatusLine,
    kHeaders,
    kBodyLength,
    kChunkSize,
    kChunkData,
    kChunkDataEnd,
    kTrailers,
    kBodyToEof,
    kDone,
  };

  void fail(std::string message);
  // Line-oriented phases: takes one line (without CR LF) and acts on it.
  void on_line(std::string_view line);
  void on_status_line(std::string_view line);
  void on_header_line(std::string_view line);
  void on_headers_end();
  void on_chunk_size_line(std::string_view line);
  bool line_phase() const;
  void append_body(std::string_view bytes);

  size_t body_bytes_max_;
  bool head_request_ = false;
  bool started_ = false;
  State state_ = State::kNeedMore;
  Phase phase_ = Phase::kStatusLine;
  std::string error_;
  std::string line_;  // a partial line carried between feeds
  size_t head_bytes_ = 0;
  uint64_t remaining_ = 0;  // body or chunk bytes still expected
  int version_minor_ = 1;
  HttpReply reply_;
};

}  // namespace ringstat
