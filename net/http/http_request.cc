#include "net/http/http_request.h"

#include <algorithm>
#include <optional>

#include "base/verify.h"
#include "net/http/http_text.h"

namespace ringstat {
namespace {

// A Content-Length beyond this is only ever compared with kBodyBytesMax, so parsing stops
// growing the value here instead of overflowing.
constexpr uint64_t kContentLengthSaturation = uint64_t{1} << 62;

// RFC 9110 section 5.6.2: tchar.
bool is_tchar(char c) {
  if (c >= 'a' && c <= 'z') return true;
  if (c >= 'A' && c <= 'Z') return true;
  if (c >= '0' && c <= '9') return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool is_token(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), is_tchar);
}

// Field values: visible ASCII, obs-text (0x80-0xFF), space and tab; no other control bytes.
bool is_field_value_byte(char c) {
  const auto byte = static_cast<unsigned char>(c);
  return byte == '\t' || (byte >= 0x20 && byte != 0x7f);
}

bool istarts_with(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && iequals(text.substr(0, prefix.size()), prefix);
}

void append_list(std::string& joined, std::string_view value) {
  if (!joined.empty()) joined.append(", ");
  joined.append(value);
}

HttpParseResult error(HttpStatus status, std::string message) {
  HttpParseResult result;
  result.status = HttpParseStatus::kError;
  result.error_status = status;
  result.error_message = std::move(message);
  return result;
}

std::optional<HttpMethod> known_method(std::string_view token) {
  if (token == "GET") return HttpMethod::kGet;
  if (token == "HEAD") return HttpMethod::kHead;
  if (token == "POST") return HttpMethod::kPost;
  if (token == "OPTIONS") return HttpMethod::kOptions;
  return std::nullopt;
}

// Checks the start of a request line whose end has not arrived, so garbage is answered at once
// instead of after 16 KiB: the method must be a short token.
std::optional<HttpParseResult> check_partial_request_line(std::string_view partial) {
  const size_t space = partial.find(' ');
  const std::string_view method = partial.substr(0, space);
  if (!std::all_of(method.begin(), method.end(), is_tchar) || (space == 0)) {
    return error(HttpStatus::kBadRequest, "Malformed request line");
  }
  if (method.size() > kMethodBytesMax) return error(HttpStatus::kBadRequest, "Method too long");
  return std::nullopt;
}

// The target reduced to origin form, or nullopt when it is not a valid target for `method`.
std::optional<std::string> origin_form(std::string_view target, HttpMethod method) {
  if (target.empty()) return std::nullopt;
  for (const char c : target) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte >= 0x7f) return std::nullopt;
  }
  if (target.front() == '/') return std::string(target);
  if (target == "*") {
    if (method == HttpMethod::kOptions) return std::string(target);
    return std::nullopt;
  }
  // Absolute form, which RFC 9112 section 3.2.2 obliges a server to accept: drop the scheme and
  // the authority. The result starts with '/', as the URL splitter expects.
  for (const std::string_view scheme :
       {std::string_view("http://"), std::string_view("https://")}) {
    if (!istarts_with(target, scheme)) continue;
    const std::string_view rest = target.substr(scheme.size());
    const size_t path = rest.find_first_of("/?");
    if (path == 0 || rest.empty()) return std::nullopt;  // no authority
    if (path == std::string_view::npos) return std::string("/");
    if (rest[path] == '?') return "/" + std::string(rest.substr(path));
    return std::string(rest.substr(path));
  }
  return std::nullopt;
}

struct RequestLine {
  std::string_view method_token;
  std::string_view target;
  uint8_t version_minor = 1;
};

std::optional<HttpParseResult> parse_request_line(std::string_view line, RequestLine& out) {
  const size_t first_space = line.find(' ');
  if (first_space == std::string_view::npos) {
    return error(HttpStatus::kBadRequest, "Malformed request line");
  }
  const size_t second_space = line.find(' ', first_space + 1);
  if (second_space == std::string_view::npos ||
      line.find(' ', second_space + 1) != std::string_view::npos) {
    return error(HttpStatus::kBadRequest, "Malformed request line");
  }
  out.method_token = line.substr(0, first_space);
  out.target = line.substr(first_space + 1, second_space - first_space - 1);
  const std::string_view version = line.substr(second_space + 1);
  if (!is_token(out.method_token) || out.target.empty()) {
    return error(HttpStatus::kBadRequest, "Malformed request line");
  }
  const bool digits = version.size() == 8 && version.substr(0, 5) == "HTTP/" && version[6] == '.' &&
                      version[5] >= '0' && version[5] <= '9' && version[7] >= '0' &&
                      version[7] <= '9';
  if (!digits) return error(HttpStatus::kBadRequest, "Malformed HTTP version");
  if (version[5] != '1') {
    return error(HttpStatus::kVersionNotSupported, "Only HTTP/1.0 and HTTP/1.1 are supported");
  }
  out.version_minor = version[7] == '0' ? 0 : 1;
  return std::nullopt;
}

// The request line on its own: its shape, its version and its method.
std::optional<HttpParseResult> check_request_line(std::string_view line) {
  if (line.find('\r') != std::string_view::npos) {
    return error(HttpStatus::kBadRequest, "Bare CR in request head");
  }
  RequestLine request_line;
  if (auto failure = parse_request_line(line, request_line)) return failure;
  // The same answer whether the line arrived whole or in pieces.
  if (request_line.method_token.size() > kMethodBytesMax) {
    return error(HttpStatus::kBadRequest, "Method too long");
  }
  if (!known_method(request_line.method_token)) {
    return error(HttpStatus::kMethodNotAllowed, "Method not allowed");
  }
  return std::nullopt;
}

// What the header fields said, before the request is assembled.
struct HeaderState {
  bool has_content_length = false;
  bool content_length_valid = true;
  uint64_t content_length = 0;
  bool has_transfer_encoding = false;
  int host_fields = 0;
  int content_type_fields = 0;
  bool expect_continue = false;
  bool expect_other = false;
};

void note_content_length(std::string_view value, HeaderState& state) {
  bool any = false;
  for_each_list_element(value, [&](std::string_view element) {
    any = true;
    uint64_t parsed = 0;
    for (const char c : element) {
      if (c < '0' || c > '9') {
        state.content_length_valid = false;
        return;
      }
      parsed = std::min(parsed * 10 + static_cast<uint64_t>(c - '0'), kContentLengthSaturation);
    }
    if (state.has_content_length && parsed != state.content_length) {
      state.content_length_valid = false;
    }
    state.has_content_length = true;
    state.content_length = parsed;
  });
  if (!any) state.content_length_valid = false;
}

std::optional<HttpParseResult> parse_header_line(std::string_view line, HttpRequest& request,
                                                 HeaderState& state) {
  if (line.front() == ' ' || line.front() == '\t') {
    return error(HttpStatus::kBadRequest, "Obsolete line folding in header");
  }
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos || !is_token(line.substr(0, colon))) {
    return error(HttpStatus::kBadRequest, "Malformed header line");
  }
  const std::string_view name = line.substr(0, colon);
  const std::string_view value = trim_ows(line.substr(colon + 1));
  if (!std::all_of(value.begin(), value.end(), is_field_value_byte)) {
    return error(HttpStatus::kBadRequest, "Control character in header value");
  }
  if (iequals(name, "content-length")) {
    note_content_length(value, state);
  } else if (iequals(name, "transfer-encoding")) {
    state.has_transfer_encoding = true;
  } else if (iequals(name, "host")) {
    ++state.host_fields;
  } else if (iequals(name, "content-type")) {
    ++state.content_type_fields;
    request.content_type = std::string(value);
  } else if (iequals(name, "accept-encoding")) {
    append_list(request.accept_encoding, value);
  } else if (iequals(name, "connection")) {
    append_list(request.connection, value);
  } else if (iequals(name, "expect")) {
    if (iequals(value, "100-continue")) {
      state.expect_continue = true;
    } else {
      state.expect_other = true;
    }
  }
  return std::nullopt;
}

bool decide_keep_alive(const HttpRequest& request) {
  bool close = false;
  bool keep_alive = false;
  for_each_list_element(request.connection, [&](std::string_view token) {
    if (iequals(token, "close")) close = true;
    if (iequals(token, "keep-alive")) keep_alive = true;
  });
  if (close) return false;
  return request.version_minor >= 1 || keep_alive;
}

// Validates the complete head [0, head_bytes) whose lines are known to end properly, then
// finishes the request from the body bytes that follow.
HttpParseResult parse_complete_head(std::string_view buffer, size_t request_line_start,
                                    size_t head_bytes) {
  HttpParseResult result;
  HttpRequest& request = result.request;
  HeaderState state;
  size_t line_start = request_line_start;
  bool first = true;
  RequestLine request_line;
  while (true) {
    const size_t newline = buffer.find('\n', line_start);
    VERIFY(newline != std::string_view::npos && newline < head_bytes);
    std::string_view line = buffer.substr(line_start, newline - line_start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    line_start = newline + 1;
    if (line.find('\r') != std::string_view::npos) {
      return error(HttpStatus::kBadRequest, "Bare CR in request head");
    }
    if (first) {
      if (auto failure = parse_request_line(line, request_line)) return std::move(*failure);
      first = false;
      continue;
    }
    if (line.empty()) break;
    if (auto failure = parse_header_line(line, request, state)) return std::move(*failure);
  }
  VERIFY(line_start == head_bytes);

  const std::optional<HttpMethod> method = known_method(request_line.method_token);
  if (!method) return error(HttpStatus::kMethodNotAllowed, "Method not allowed");
  request.method = *method;
  request.version_minor = request_line.version_minor;
  std::optional<std::string> target = origin_form(request_line.target, *method);
  if (!target) return error(HttpStatus::kBadRequest, "Bad request target");
  request.target = std::move(*target);

  if (state.has_transfer_encoding) {
    return error(HttpStatus::kNotImplemented,
                 "Transfer-Encoding is not supported; send Content-Length");
  }
  if (!state.content_length_valid) return error(HttpStatus::kBadRequest, "Bad Content-Length");
  if (state.host_fields > 1) return error(HttpStatus::kBadRequest, "More than one Host header");
  if (state.host_fields == 0 && request.version_minor >= 1) {
    return error(HttpStatus::kBadRequest, "HTTP/1.1 request without a Host header");
  }
  if (state.content_type_fields > 1) {
    return error(HttpStatus::kBadRequest, "More than one Content-Type header");
  }
  // RFC 9110 section 10.1.1: an HTTP/1.0 client cannot expect anything.
  if (state.expect_other && request.version_minor >= 1) {
    return error(HttpStatus::kExpectationFailed, "Unsupported expectation");
  }
  if (state.content_length > kBodyBytesMax) {
    return error(HttpStatus::kContentTooLarge,
                 "Request body larger than " + std::to_string(kBodyBytesMax) + " bytes");
  }
  request.keep_alive = decide_keep_alive(request);

  const size_t body_bytes = static_cast<size_t>(state.content_length);
  if (buffer.size() - head_bytes < body_bytes) {
    HttpParseResult incomplete;
    incomplete.needed_bytes = head_bytes + body_bytes;
    incomplete.expects_continue = state.expect_continue && request.version_minor >= 1;
    return incomplete;
  }
  request.body = std::string(buffer.substr(head_bytes, body_bytes));
  result.status = HttpParseStatus::kComplete;
  result.consumed_bytes = head_bytes + body_bytes;
  return result;
}

}  // namespace

HttpParseResult parse_http_request(std::string_view buffer) {
  // RFC 9112 section 2.2: skip empty lines before the request line (some clients send a CRLF
  // after a POST body). They count against the head limit like any other byte.
  size_t start = 0;
  while (start < buffer.size() && start < kHeaderBytesMax) {
    if (buffer[start] == '\n') {
      ++start;
    } else if (buffer[start] == '\r') {
      if (start + 1 == buffer.size()) return HttpParseResult{};
      if (buffer[start + 1] != '\n') return error(HttpStatus::kBadRequest, "Bare CR in request");
      start += 2;
    } else {
      break;
    }
  }

  // Find the blank line that ends the head within the first kHeaderBytesMax bytes.
  const std::string_view scanned = buffer.substr(0, std::min(buffer.size(), kHeaderBytesMax));
  size_t line_start = start;
  bool first = true;
  while (true) {
    const size_t newline = scanned.find('\n', line_start);
    if (newline == std::string_view::npos) {
      if (first) {
        if (auto failure = check_partial_request_line(scanned.substr(start))) {
          return std::move(*failure);
        }
      }
      if (buffer.size() >= kHeaderBytesMax) {
        return error(HttpStatus::kContentTooLarge,
                     "Request head larger than " + std::to_string(kHeaderBytesMax) + " bytes");
      }
      return HttpParseResult{};
    }
    std::string_view line = scanned.substr(line_start, newline - line_start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    line_start = newline + 1;
    if (first) {
      // Judge the request line now rather than when the head is complete, so a client that
      // sends garbage gets its answer without waiting for a blank line that may never come.
      if (auto failure = check_request_line(line)) return std::move(*failure);
      first = false;
      continue;
    }
    if (line.empty()) break;
  }
  return parse_complete_head(buffer, start, line_start);
}

}  // namespace ringstat
