#include "perf/bench/http_response_parser.h"

#include <algorithm>
#include <charconv>

#include "base/verify.h"

namespace ringstat {
namespace {

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool equals_ignore_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// True when the comma-separated header value lists `token` (case-insensitive).
bool has_token(std::string_view value, std::string_view token) {
  while (!value.empty()) {
    size_t comma = value.find(',');
    std::string_view item = trim(value.substr(0, comma));
    if (equals_ignore_case(item, token)) return true;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return false;
}

// The last comma-separated token of a header value, trimmed.
std::string_view last_token(std::string_view value) {
  size_t comma = value.rfind(',');
  return trim(comma == std::string_view::npos ? value : value.substr(comma + 1));
}

}  // namespace

std::optional<std::string_view> HttpReply::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (equals_ignore_case(key, name)) return std::string_view(value);
  }
  return std::nullopt;
}

void HttpResponseParser::reset(bool head_request) {
  head_request_ = head_request;
  started_ = false;
  state_ = State::kNeedMore;
  phase_ = Phase::kStatusLine;
  error_.clear();
  line_.clear();
  head_bytes_ = 0;
  remaining_ = 0;
  version_minor_ = 1;
  reply_ = HttpReply();
}

void HttpResponseParser::fail(std::string message) {
  state_ = State::kError;
  phase_ = Phase::kDone;
  error_ = std::move(message);
}

bool HttpResponseParser::line_phase() const {
  return phase_ == Phase::kStatusLine || phase_ == Phase::kHeaders || phase_ == Phase::kChunkSize ||
         phase_ == Phase::kChunkDataEnd || phase_ == Phase::kTrailers;
}

void HttpResponseParser::append_body(std::string_view bytes) {
  if (reply_.body.size() + bytes.size() > body_bytes_max_) {
    fail("response body over " + std::to_string(body_bytes_max_) + " bytes");
    return;
  }
  reply_.body.append(bytes);
}

size_t HttpResponseParser::feed(std::string_view input) {
  size_t used = 0;
  if (!input.empty()) started_ = true;
  while (used < input.size() && state_ == State::kNeedMore) {
    std::string_view rest = input.substr(used);
    if (line_phase()) {
      size_t newline = rest.find('\n');
      size_t take = newline == std::string_view::npos ? rest.size() : newline + 1;
      head_bytes_ += take;
      if (head_bytes_ > kReplyHeadBytesMax) {
        fail("response head over " + std::to_string(kReplyHeadBytesMax) + " bytes");
        break;
      }
      used += take;
      if (newline == std::string_view::npos) {
        line_.append(rest);
        continue;
      }
      line_.append(rest.substr(0, newline));
      if (!line_.empty() && line_.back() == '\r') line_.pop_back();
      std::string line = std::move(line_);
      line_.clear();
      on_line(line);
      continue;
    }
    if (phase_ == Phase::kBodyToEof) {
      append_body(rest);
      used += rest.size();
      continue;
    }
    // kBodyLength or kChunkData: a known number of bytes.
    size_t take = static_cast<size_t>(std::min<uint64_t>(remaining_, rest.size()));
    append_body(rest.substr(0, take));
    used += take;
    remaining_ -= take;
    if (remaining_ == 0 && state_ == State::kNeedMore) {
      if (phase_ == Phase::kBodyLength) {
        phase_ = Phase::kDone;
        state_ = State::kDone;
      } else {
        phase_ = Phase::kChunkDataEnd;
      }
    }
  }
  return used;
}

void HttpResponseParser::finish_at_eof() {
  if (state_ != State::kNeedMore) return;
  if (phase_ == Phase::kBodyToEof) {
    phase_ = Phase::kDone;
    state_ = State::kDone;
    reply_.keep_alive = false;
    return;
  }
  fail(started_ ? "connection closed in the middle of a response"
                : "connection closed before a response");
}

void HttpResponseParser::on_line(std::string_view line) {
  switch (phase_) {
    case Phase::kStatusLine:
      on_status_line(line);
      return;
    case Phase::kHeaders:
      if (line.empty()) {
        on_headers_end();
      } else {
        on_header_line(line);
      }
      return;
    case Phase::kChunkSize:
      on_chunk_size_line(line);
      return;
    case Phase::kChunkDataEnd:
      if (!line.empty()) {
        fail("chunk data not followed by CRLF");
        return;
      }
      phase_ = Phase::kChunkSize;
      return;
    case Phase::kTrailers:
      // Trailers are read and dropped; the empty line ends the response.
      if (line.empty()) {
        phase_ = Phase::kDone;
        state_ = State::kDone;
      }
      return;
    default:
      VERIFY(false);
  }
}

void HttpResponseParser::on_status_line(std::string_view line) {
  // "HTTP/1.1 200 OK": the version, a three-digit status, an optional reason.
  if (line.size() < 12 || line.substr(0, 7) != "HTTP/1." || line[8] != ' ' ||
      (line.size() > 12 && line[12] != ' ')) {
    fail("bad status line: " + std::string(line.substr(0, 80)));
    return;
  }
  version_minor_ = line[7] - '0';
  int status = 0;
  auto [end, ec] = std::from_chars(line.data() + 9, line.data() + 12, status);
  if (ec != std::errc() || end != line.data() + 12 || status < 100 || status > 999) {
    fail("bad status code: " + std::string(line.substr(0, 80)));
    return;
  }
  reply_.status = status;
  reply_.reason = std::string(line.size() > 13 ? line.substr(13) : std::string_view());
  reply_.keep_alive = version_minor_ >= 1;
  phase_ = Phase::kHeaders;
}

void HttpResponseParser::on_header_line(std::string_view line) {
  size_t colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) {
    fail("bad header line: " + std::string(line.substr(0, 80)));
    return;
  }
  reply_.headers.emplace_back(std::string(line.substr(0, colon)),
                              std::string(trim(line.substr(colon + 1))));
}

void HttpResponseParser::on_headers_end() {
  int status = reply_.status;
  // An interim 1xx response is followed by the real one on the same stream.
  if (status >= 100 && status < 200) {
    reply_ = HttpReply();
    phase_ = Phase::kStatusLine;
    return;
  }
  std::optional<uint64_t> content_length;
  bool chunked = false;
  bool other_coding = false;
  for (const auto& [name, value] : reply_.headers) {
    if (equals_ignore_case(name, "Connection")) {
      if (has_token(value, "close")) reply_.keep_alive = false;
      if (has_token(value, "keep-alive") && version_minor_ == 0) reply_.keep_alive = true;
    } else if (equals_ignore_case(name, "Transfer-Encoding")) {
      chunked = equals_ignore_case(last_token(value), "chunked");
      other_coding = !chunked;
    } else if (equals_ignore_case(name, "Content-Length")) {
      uint64_t length = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), length);
      if (ec != std::errc() || end != value.data() + value.size() || value.empty()) {
        fail("bad Content-Length: " + value);
        return;
      }
      if (content_length && *content_length != length) {
        fail("conflicting Content-Length headers");
        return;
      }
      content_length = length;
    }
  }
  if (head_request_ || status == 204 || status == 304) {
    phase_ = Phase::kDone;
    state_ = State::kDone;
    return;
  }
  // RFC 9112 section 6.3: chunked wins over Content-Length; another coding runs to the close.
  if (chunked) {
    phase_ = Phase::kChunkSize;
    return;
  }
  if (content_length && !other_coding) {
    if (*content_length > body_bytes_max_) {
      fail("response body over " + std::to_string(body_bytes_max_) + " bytes");
      return;
    }
    reply_.body.reserve(static_cast<size_t>(*content_length));
    remaining_ = *content_length;
    phase_ = Phase::kBodyLength;
    if (remaining_ == 0) {
      phase_ = Phase::kDone;
      state_ = State::kDone;
    }
    return;
  }
  reply_.keep_alive = false;
  phase_ = Phase::kBodyToEof;
}

void HttpResponseParser::on_chunk_size_line(std::string_view line) {
  // "1a3f" optionally followed by ";extension".
  std::string_view digits = trim(line.substr(0, line.find(';')));
  uint64_t size = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), size, 16);
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size()) {
    fail("bad chunk size line: " + std::string(line.substr(0, 80)));
    return;
  }
  if (size == 0) {
    phase_ = Phase::kTrailers;
    return;
  }
  if (size > body_bytes_max_ - reply_.body.size()) {
    fail("response body over " + std::to_string(body_bytes_max_) + " bytes");
    return;
  }
  // Chunk sizes count against the head limit only for their lines, not their data.
  head_bytes_ = 0;
  remaining_ = size;
  phase_ = Phase::kChunkData;
}

}  // namespace ringstat
