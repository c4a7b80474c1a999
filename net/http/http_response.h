// HTTP responses of the HTTP port (docs/http-api.md "Common rules"): the status line, the
// headers every response carries (CORS, length, connection), content negotiation of gzip and
// deflate, and the bytes to send. A ResponseEncoder keeps its zlib streams between responses, so
// one per reactor; single-threaded.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "net/http/http_request.h"
#include "net/http/http_status.h"

namespace ringstat {

// Bodies longer than this are compressed when the client accepts gzip or deflate.
inline constexpr size_t kCompressMinBodyBytes = 1024;
// zlib's fastest level: responses are built on a reactor that also ingests, and JSON of numbers
// compresses well even so (istatd used the same level).
inline constexpr int kCompressionLevel = 1;
inline constexpr std::string_view kAllowedMethods = "GET, HEAD, POST, OPTIONS";
inline constexpr std::string_view kPrometheusContentType =
    "text/plain; version=0.0.4; charset=utf-8";

// A response before encoding: what the handler decided.
struct HttpResponse {
  HttpStatus status = HttpStatus::kOk;
  std::string content_type;  // empty: no Content-Type header (a 204)
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers, sent in order
};

// `{"error":"<message>"}` as application/json with `status`.
HttpResponse error_response(HttpStatus status, std::string_view message);

// What encoding needs to know about the request being answered.
struct ResponseContext {
  bool head = false;          // HEAD: the headers a GET would get, no body
  bool keep_alive = true;     // false: `Connection: close`, and the caller closes after sending
  uint8_t version_minor = 1;  // an HTTP/1.0 client that keeps the connection is told so
  std::string_view accept_encoding;
};

// The context of a parsed request; for a request that failed to parse use ResponseContext
// {.keep_alive = false}, since the connection cannot continue.
ResponseContext response_context(const HttpRequest& request);

enum class ContentEncoding : uint8_t { kIdentity, kGzip, kDeflate };

// The coding to use for an Accept-Encoding value (RFC 9110 section 12.5.3): the higher q-value
// of gzip (or x-gzip) and deflate, where `*` stands for each one not listed, gzip on ties; q=0
// excludes. Compression is chosen when that q is above 0 and not below the q of an explicitly
// listed `identity`. Elements with a malformed q are ignored.
ContentEncoding choose_content_encoding(std::string_view accept_encoding);

// The bytes to send and what they mean for the connection.
struct EncodedResponse {
  HttpStatus status = HttpStatus::kOk;
  std::string bytes;
  bool close = false;  // close the connection once the bytes are written
};

struct ResponseEncoderStats {
  uint64_t responses = 0;
  uint64_t compressed = 0;            // bodies sent with gzip or deflate
  uint64_t compression_failures = 0;  // zlib failed (out of memory); sent uncompressed
};

class ResponseEncoder {
 public:
  ResponseEncoder();
  ~ResponseEncoder();
  ResponseEncoder(const ResponseEncoder&) = delete;
  ResponseEncoder& operator=(const ResponseEncoder&) = delete;

  // Status line `HTTP/1.1 <code> <reason>`, then Content-Type (when set), Content-Length (except
  // on 204), Content-Encoding and `Vary: Accept-Encoding` (for bodies large enough to compress),
  // `Access-Control-Allow-Origin: *`, `Allow` on 405, the response's own headers, and
  // `Connection: close` (or `keep-alive` for HTTP/1.0). A compressed body is kept only when it is
  // smaller. HEAD gets the same headers, including the Content-Length of the body GET would send.
  EncodedResponse encode(const HttpResponse& response, const ResponseContext& context);

  // `body` compressed as a gzip member or a zlib stream (RFC 9110's "deflate"); nullopt when
  // zlib fails. kIdentity is not a compression.
  std::optional<std::string> compress(std::string_view body, ContentEncoding encoding);

  const ResponseEncoderStats& stats() const { return stats_; }

 private:
  struct ZlibStreams;
  std::unique_ptr<ZlibStreams> zlib_;
  ResponseEncoderStats stats_;
};

}  // namespace ringstat
