#include "perf/bench/http_client.h"

#include <utility>

namespace ringstat {

std::string format_http_request(std::string_view method, std::string_view path,
                                const TcpEndpoint& endpoint, std::string_view body,
                                std::string_view content_type) {
  std::string request;
  request.reserve(128 + path.size() + body.size());
  request.append(method).append(" ").append(path).append(" HTTP/1.1\r\nHost: ");
  // An IPv6 literal is bracketed in Host (RFC 9110 section 7.2).
  if (endpoint.host.find(':') != std::string::npos) {
    request.append("[").append(endpoint.host).append("]");
  } else {
    request.append(endpoint.host);
  }
  request.append(":").append(std::to_string(endpoint.port)).append("\r\n");
  if (!content_type.empty()) request.append("Content-Type: ").append(content_type).append("\r\n");
  if (method == "POST" || method == "PUT" || !body.empty()) {
    request.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n");
  }
  request.append("\r\n").append(body);
  return request;
}

std::string url_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out.push_back(c);
    } else {
      auto byte = static_cast<unsigned char>(c);
      out.push_back('%');
      out.push_back(kHex[byte >> 4]);
      out.push_back(kHex[byte & 0xF]);
    }
  }
  return out;
}

HttpClient::HttpClient(TcpEndpoint endpoint, HttpClientOptions options)
    : endpoint_(std::move(endpoint)), options_(options), parser_(options.body_bytes_max) {}

Result<HttpReply> HttpClient::get(std::string_view path) {
  std::string request = format_http_request("GET", path, endpoint_, {}, {});
  bool stale = false;
  Result<HttpReply> reply = attempt(request, stale);
  if (!reply.ok() && stale) {
    ++stats_.retries;
    reply = attempt(request, stale);
  }
  return reply;
}

Result<HttpReply> HttpClient::post(std::string_view path, std::string_view body,
                                   std::string_view content_type) {
  std::string request = format_http_request("POST", path, endpoint_, body, content_type);
  bool stale = false;
  Result<HttpReply> reply = attempt(request, stale);
  // Sending again is safe only because nothing of the first attempt was answered; the bench
  // posts only queries, which change nothing on the server.
  if (!reply.ok() && stale) {
    ++stats_.retries;
    reply = attempt(request, stale);
  }
  return reply;
}

Result<HttpReply> HttpClient::attempt(std::string_view request, bool& stale) {
  stale = false;
  if (!connection_.is_open()) {
    Status connected = connection_.connect(endpoint_, options_.connect_timeout_ms);
    if (!connected.ok()) return Error{connected.error()};
    ++stats_.connects;
    requests_on_connection_ = 0;
    read_buffer_.clear();
  }
  bool reused = requests_on_connection_ > 0;
  Status sent = connection_.send_all(request, options_.io_timeout_ms);
  if (!sent.ok()) {
    connection_.close();
    stale = reused;
    return Error{sent.error()};
  }
  parser_.reset();
  // Bytes left over from a previous response would be a server bug; they are parsed as the
  // start of this one and show up as an error if they do not fit.
  size_t used = parser_.feed(read_buffer_);
  read_buffer_.erase(0, used);
  std::string error;
  while (parser_.state() == HttpResponseParser::State::kNeedMore) {
    read_buffer_.clear();
    ReadOutcome outcome = connection_.read_some(read_buffer_, options_.io_timeout_ms, error);
    if (outcome == ReadOutcome::kData) {
      used = parser_.feed(read_buffer_);
      read_buffer_.erase(0, used);
      continue;
    }
    if (outcome == ReadOutcome::kClosed) {
      parser_.finish_at_eof();
      if (parser_.state() == HttpResponseParser::State::kDone) break;
      error = parser_.error();
    }
    connection_.close();
    stale = reused && !parser_.started();
    return Error{error};
  }
  if (parser_.state() == HttpResponseParser::State::kError) {
    connection_.close();
    return Error{parser_.error()};
  }
  ++stats_.requests;
  ++requests_on_connection_;
  HttpReply reply = std::move(parser_.reply());
  if (!reply.keep_alive) connection_.close();
  return reply;
}

}  // namespace ringstat
