// The strict HTTP/1.1 request parser of the HTTP port (docs/http-api.md, RFC 9112): one request
// at a time out of a connection's receive buffer, with the spec's size limits enforced as the
// bytes arrive. Single-threaded pure code (no I/O, no state between calls); each reactor's
// connections call it on their own thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "net/http/http_status.h"

namespace ringstat {

// Most bytes of a request head: request line, header lines and the blank line that ends them.
// A buffer holding this many bytes without the blank line is answered 413 at once, so a
// connection never needs to buffer more than this before its request is known.
inline constexpr size_t kHeaderBytesMax = 16 * 1024;
// Largest request body; a bigger Content-Length is answered 413 before any of the body is read.
inline constexpr size_t kBodyBytesMax = 1024 * 1024;
// Longest method token looked at; no supported method comes close.
inline constexpr size_t kMethodBytesMax = 32;

enum class HttpMethod : uint8_t { kGet, kHead, kPost, kOptions };

// One complete request. Owns its bytes, so it outlives the receive buffer it was parsed from
// (the handler may answer asynchronously while the connection reads on).
struct HttpRequest {
  HttpMethod method = HttpMethod::kGet;
  uint8_t version_minor = 1;  // HTTP/1.0 or HTTP/1.1 (a later 1.x is treated as 1.1)
  // The request target as sent, in origin form (`/path?query`); an absolute-form target
  // (`http://host/path?query`) is reduced to its path and query, and OPTIONS may send `*`.
  std::string target;
  std::string accept_encoding;  // every Accept-Encoding field, joined with ", "; empty if none
  std::string content_type;     // empty if none
  std::string connection;       // every Connection field, joined with ", "
  // HTTP/1.1 keeps the connection unless it says `close`; HTTP/1.0 closes it unless it says
  // `keep-alive`. A request naming both closes.
  bool keep_alive = true;
  std::string body;  // exactly Content-Length bytes
};

enum class HttpParseStatus : uint8_t {
  kIncomplete,  // more bytes are needed; nothing was consumed
  kComplete,    // `request` and `consumed_bytes` are set
  kError,       // answer error_status with error_message, then close the connection
};

struct HttpParseResult {
  HttpParseStatus status = HttpParseStatus::kIncomplete;
  HttpRequest request;
  size_t consumed_bytes = 0;  // kComplete: the head and the body; a pipelined request may follow
  HttpStatus error_status = HttpStatus::kBadRequest;
  std::string error_message;  // kError: one line
  // kIncomplete with a complete head: the bytes the whole request occupies, and whether the
  // client waits for an interim `HTTP/1.1 100 Continue` before sending the body (send it once).
  size_t needed_bytes = 0;
  bool expects_continue = false;
};

// Parses the request at the start of `buffer`.
// Choices where RFC 9112 leaves room (each pinned by a test):
// - Lines may end in CRLF or a bare LF (RFC 9112 section 2.2 allows a recipient to accept bare
//   LF, and `printf ... | nc` users send it); a CR anywhere else is an error. Empty lines before
//   the request line are skipped.
// - Exactly one space between the request line's parts; a version other than HTTP/1.x with a
//   single-digit minor: 505 when it looks like HTTP/d.d, else 400.
// - A method token other than GET, HEAD, POST, OPTIONS: 405; a request line that is not
//   `token SP target SP version`: 400, reported as soon as the bytes seen cannot start one.
// - Header names are tokens followed directly by ':'; a line starting with whitespace (obs-fold)
//   is 400; values are OWS-trimmed and may not contain control bytes.
// - Content-Length only: repeated or listed values must agree (400); any Transfer-Encoding is
//   501, since its body cannot be delimited without decoding it. HTTP/1.1 requires exactly one
//   Host field (400). `Expect: 100-continue` is reported; any other expectation is 417.
// Every kError leaves the stream at an unknown position, so the connection must close.
HttpParseResult parse_http_request(std::string_view buffer);

}  // namespace ringstat
