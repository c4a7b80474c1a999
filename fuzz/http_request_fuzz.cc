// Fuzz target: the HTTP/1.1 request parser (net/http/http_request.h). The input is one receive
// buffer in a heap block of exactly its size, so AddressSanitizer catches any read past it. Checks
// the limits (head within kHeaderBytesMax, body within kBodyBytesMax), the shape of what it
// returns, and that bytes arriving in pieces change nothing: a prefix of a complete request is
// incomplete, never an error; the request alone parses the same as with more bytes behind it; and
// an incomplete request that names its size is complete once that many bytes are there.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/verify.h"
#include "fuzz/fuzz_support.h"
#include "net/http/http_request.h"

using namespace ringstat;

namespace {

// The padding that completes an incomplete request is only tried for sizes a fuzzer run can
// afford on every input; larger bodies take the same code path.
constexpr size_t kCompletionBytesMax = 64 * 1024;

bool same_request(const HttpRequest& a, const HttpRequest& b) {
  return a.method == b.method && a.version_minor == b.version_minor && a.target == b.target &&
         a.accept_encoding == b.accept_encoding && a.content_type == b.content_type &&
         a.connection == b.connection && a.keep_alive == b.keep_alive && a.body == b.body;
}

void check_shape(const HttpParseResult& result, std::string_view buffer) {
  switch (result.status) {
    case HttpParseStatus::kComplete: {
      const HttpRequest& request = result.request;
      VERIFY(result.consumed_bytes > 0 && result.consumed_bytes <= buffer.size());
      VERIFY(request.body.size() <= kBodyBytesMax);
      VERIFY(request.body.size() < result.consumed_bytes);
      VERIFY(result.consumed_bytes - request.body.size() <= kHeaderBytesMax);
      VERIFY(request.version_minor <= 1);
      VERIFY(!request.target.empty());
      VERIFY(request.target.front() == '/' ||
             (request.target == "*" && request.method == HttpMethod::kOptions));
      for (const char c : request.target) {
        VERIFY(static_cast<unsigned char>(c) > 0x20 && static_cast<unsigned char>(c) < 0x7f);
      }
      break;
    }
    case HttpParseStatus::kIncomplete:
      // A head is never awaited beyond the limit: by then it is complete or an error.
      if (result.needed_bytes == 0) {
        VERIFY(buffer.size() < kHeaderBytesMax);
      } else {
        VERIFY(result.needed_bytes > buffer.size());
        VERIFY(result.needed_bytes <= kHeaderBytesMax + kBodyBytesMax);
      }
      break;
    case HttpParseStatus::kError: {
      const uint16_t code = status_code(result.error_status);
      VERIFY(code >= 400 && code < 600);
      VERIFY(!result.error_message.empty());
      VERIFY(result.error_message.find_first_of("\r\n") == std::string::npos);
      break;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view buffer = fuzz::as_text(data, size);
  const HttpParseResult result = parse_http_request(buffer);
  check_shape(result, buffer);

  if (result.status == HttpParseStatus::kComplete) {
    const size_t consumed = result.consumed_bytes;
    // Exact-size copies, so a read past the request is caught too.
    const std::string alone(buffer.substr(0, consumed));
    const HttpParseResult again = parse_http_request(alone);
    VERIFY(again.status == HttpParseStatus::kComplete);
    VERIFY(again.consumed_bytes == consumed);
    VERIFY(same_request(again.request, result.request));
    // Every strict prefix: a few positions spread over the request, plus the last byte short.
    for (const size_t cut : {consumed / 4, consumed / 2, consumed - consumed / 4, consumed - 1}) {
      const std::string prefix(buffer.substr(0, cut));
      const HttpParseResult partial = parse_http_request(prefix);
      check_shape(partial, prefix);
      VERIFY(partial.status == HttpParseStatus::kIncomplete);
    }
  } else if (result.status == HttpParseStatus::kIncomplete && result.needed_bytes > 0 &&
             result.needed_bytes <= kCompletionBytesMax) {
    std::string completed(buffer);
    completed.resize(result.needed_bytes, 'x');
    const HttpParseResult whole = parse_http_request(completed);
    check_shape(whole, completed);
    VERIFY(whole.status == HttpParseStatus::kComplete);
    VERIFY(whole.consumed_bytes == result.needed_bytes);
  }
  return 0;
}
