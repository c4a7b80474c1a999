// The strict HTTP/1.1 request parser: framing, limits, keep-alive and every rejection.
#include "net/http/http_request.h"

#include <doctest/doctest.h>

#include <string>

namespace ringstat {
namespace {

HttpParseResult parse(std::string_view bytes) { return parse_http_request(bytes); }

// A literal with embedded NUL bytes, whole.
template <size_t N>
std::string_view raw(const char (&literal)[N]) {
  return std::string_view(literal, N - 1);
}

HttpRequest complete(std::string_view bytes) {
  HttpParseResult result = parse(bytes);
  REQUIRE_MESSAGE(result.status == HttpParseStatus::kComplete, result.error_message);
  CHECK(result.consumed_bytes == bytes.size());
  return std::move(result.request);
}

void check_error(std::string_view bytes, HttpStatus status, std::string_view message = {}) {
  const HttpParseResult result = parse(bytes);
  REQUIRE(result.status == HttpParseStatus::kError);
  CHECK(result.error_status == status);
  if (!message.empty()) CHECK(result.error_message == message);
  CHECK(result.error_message.find('\n') == std::string::npos);
}

TEST_CASE("a simple GET parses into method, target, version and keep-alive") {
  const HttpRequest request = complete("GET /web.latency?start=5 HTTP/1.1\r\nHost: x\r\n\r\n");
  CHECK(request.method == HttpMethod::kGet);
  CHECK(request.target == "/web.latency?start=5");
  CHECK(request.version_minor == 1);
  CHECK(request.keep_alive);
  CHECK(request.body.empty());
  CHECK(request.accept_encoding.empty());
  CHECK(request.content_type.empty());
}

TEST_CASE("each supported method is recognised") {
  CHECK(complete("HEAD / HTTP/1.1\r\nHost: x\r\n\r\n").method == HttpMethod::kHead);
  CHECK(complete("POST / HTTP/1.1\r\nHost: x\r\n\r\n").method == HttpMethod::kPost);
  CHECK(complete("OPTIONS / HTTP/1.1\r\nHost: x\r\n\r\n").method == HttpMethod::kOptions);
}

TEST_CASE("every strict prefix of a request is incomplete") {
  const std::string bytes =
      "POST /* HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\n{\"keys\":[]}";
  for (size_t size = 0; size < bytes.size(); ++size) {
    const HttpParseResult result = parse(std::string_view(bytes).substr(0, size));
    CHECK_MESSAGE(result.status == HttpParseStatus::kIncomplete, "prefix of ", size, " bytes");
  }
  CHECK(complete(bytes).body == "{\"keys\":[]}");
}

TEST_CASE("a pipelined second request is left in the buffer") {
  const std::string first = "GET /a HTTP/1.1\r\nHost: x\r\n\r\n";
  const std::string bytes = first + "GET /b HTTP/1.1\r\nHost: x\r\n\r\n";
  const HttpParseResult result = parse(bytes);
  REQUIRE(result.status == HttpParseStatus::kComplete);
  CHECK(result.consumed_bytes == first.size());
  CHECK(result.request.target == "/a");
  CHECK(complete(std::string_view(bytes).substr(first.size())).target == "/b");
}

TEST_CASE("bare LF line endings are accepted") {
  const HttpRequest request = complete("GET /x HTTP/1.0\nAccept-Encoding: gzip\n\n");
  CHECK(request.target == "/x");
  CHECK(request.accept_encoding == "gzip");
}

TEST_CASE("a CR not followed by LF is rejected") {
  check_error("GET /x HTTP/1.1\r\nHost: a\rb\r\n\r\n", HttpStatus::kBadRequest);
  check_error("GET /x\r HTTP/1.1\r\nHost: a\r\n\r\n", HttpStatus::kBadRequest);
  check_error("\rGET /x HTTP/1.1\r\nHost: a\r\n\r\n", HttpStatus::kBadRequest);
}

TEST_CASE("empty lines before the request line are skipped and consumed") {
  const std::string bytes = "\r\n\nGET /x HTTP/1.1\r\nHost: x\r\n\r\n";
  const HttpParseResult result = parse(bytes);
  REQUIRE(result.status == HttpParseStatus::kComplete);
  CHECK(result.consumed_bytes == bytes.size());
  CHECK(parse("\r\n").status == HttpParseStatus::kIncomplete);
  CHECK(parse("\r").status == HttpParseStatus::kIncomplete);
}

TEST_CASE("HTTP/1.0 closes unless it asks for keep-alive") {
  CHECK_FALSE(complete("GET / HTTP/1.0\r\n\r\n").keep_alive);
  CHECK(complete("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").keep_alive);
  CHECK(complete("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").version_minor == 0);
}

TEST_CASE("HTTP/1.1 keeps the connection unless it says close") {
  CHECK(complete("GET / HTTP/1.1\r\nHost: x\r\n\r\n").keep_alive);
  CHECK_FALSE(complete("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").keep_alive);
  CHECK_FALSE(
      complete("GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, CLOSE\r\n\r\n").keep_alive);
  // Close wins over keep-alive, also across two Connection fields.
  const HttpRequest both =
      complete("GET / HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\nConnection: close\r\n\r\n");
  CHECK_FALSE(both.keep_alive);
  CHECK(both.connection == "keep-alive, close");
}

TEST_CASE("a later HTTP/1.x minor version is served as HTTP/1.1") {
  const HttpRequest request = complete("GET / HTTP/1.7\r\nHost: x\r\n\r\n");
  CHECK(request.version_minor == 1);
  CHECK(request.keep_alive);
}

TEST_CASE("other HTTP versions are 505 and malformed ones 400") {
  check_error("GET / HTTP/2.0\r\nHost: x\r\n\r\n", HttpStatus::kVersionNotSupported);
  check_error("GET / HTTP/0.9\r\nHost: x\r\n\r\n", HttpStatus::kVersionNotSupported);
  check_error("GET / HTTP/1.10\r\nHost: x\r\n\r\n", HttpStatus::kBadRequest);
  check_error("GET / HTTP/1\r\nHost: x\r\n\r\n", HttpStatus::kBadRequest);
  check_error("GET / http/1.1\r\nHost: x\r\n\r\n", HttpStatus::kBadRequest);
  check_error("GET /\r\nHost: x\r\n\r\n", HttpStatus::kBadRequest);
}

TEST_CASE("HTTP/1.1 needs exactly one Host header; HTTP/1.0 none") {
  check_error("GET / HTTP/1.1\r\n\r\n", HttpStatus::kBadRequest,
              "HTTP/1.1 request without a Host header");
  check_error("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", HttpStatus::kBadRequest);
  CHECK(parse("GET / HTTP/1.0\r\n\r\n").status == HttpParseStatus::kComplete);
}

TEST_CASE("an unsupported method token is 405, lower case included") {
  check_error("DELETE /x HTTP/1.1\r\nHost: x\r\n\r\n", HttpStatus::kMethodNotAllowed);
  check_error("PUT /x HTTP/1.1\r\nHost: x\r\n\r\n", HttpStatus::kMethodNotAllowed);
  check_error("get /x HTTP/1.1\r\nHost: x\r\n\r\n", HttpStatus::kMethodNotAllowed);
}

TEST_CASE("a bad request line is answered before the head is complete") {
  // 405 and 400 as soon as the request line ends, without waiting for the blank line.
  check_error("BREW /pot HTTP/1.1\r\n", HttpStatus::kMethodNotAllowed);
  check_error("hello world\r\n", HttpStatus::kBadRequest);
  // Binary garbage (a TLS ClientHello) is rejected before any newline arrives.
  check_error(raw("\x16\x03\x01\x02\x00\x01"), HttpStatus::kBadRequest);
  check_error(" GET / HTTP/1.1", HttpStatus::kBadRequest);
  check_error(std::string(kMethodBytesMax + 1, 'G'), HttpStatus::kBadRequest, "Method too long");
  CHECK(parse(std::string(kMethodBytesMax, 'G')).status == HttpParseStatus::kIncomplete);
  // A long method is 400 whether the request line arrived whole or not.
  check_error(std::string(kMethodBytesMax + 1, 'G') + " / HTTP/1.1\r\nHost: x\r\n\r\n",
              HttpStatus::kBadRequest, "Method too long");
  check_error(std::string(kMethodBytesMax, 'G') + " / HTTP/1.1\r\nHost: x\r\n\r\n",
              HttpStatus::kMethodNotAllowed);
  CHECK(parse("GET /partial").status == HttpParseStatus::kIncomplete);
}

TEST_CASE("the request line needs exactly one space between its parts") {
  check_error("GET  / HTTP/1.1\r\nHost: x\r\n\r\n", HttpStatus::kBadRequest);
  check_error("GET / HTTP/1.1 \r\nHost: x\r\n\r\n", HttpStatus::kBadRequest);
  check_error("GET /a b HTTP/1.1\r\nHost: x\r\n\r\n", HttpStatus::kBadRequest);
  check_error("GET\t/ HTTP/1.1\r\nHost: x\r\n\r\n", HttpStatus::kBadRequest);
}

TEST_CASE("request targets: origin form, asterisk for OPTIONS, absolute form reduced") {
  CHECK(complete("OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n").target == "*");
  check_error("GET * HTTP/1.1\r\nHost: x\r\n\r\n", HttpStatus::kBadRequest);
  CHECK(complete("GET http://host:8/a.b?q=1 HTTP/1.1\r\nHost: x\r\n\r\n").target == "/a.b?q=1");
  CHECK(complete("GET HTTPS://host HTTP/1.1\r\nHost: x\r\n\r\n").target == "/");
  CHECK(complete("GET http://host?a=1 HTTP/1.1\r\nHost: x\r\n\r\n").target == "/?a=1");
  check_error("GET http:///x HTTP/1.1\r\nHost: x\r\n\r\n", HttpStatus::kBadRequest);
  check_error("GET web.latency HTTP/1.1\r\nHost: x\r\n\r\n", HttpStatus::kBadRequest);
  check_error("GET /caf\xc3\xa9 HTTP/1.1\r\nHost: x\r\n\r\n", HttpStatus::kBadRequest);
  check_error(raw("GET /a\0b HTTP/1.1\r\nHost: x\r\n\r\n"), HttpStatus::kBadRequest);
}

TEST_CASE("header names are case-insensitive and values OWS-trimmed") {
  const HttpRequest request = complete(
      "POST /* HTTP/1.1\r\nhOsT: x\r\nCONTENT-TYPE: \t application/json \t\r\n"
      "accept-encoding:gzip\r\nAccept-Encoding:  deflate;q=0.5 \r\nX-Other: ignored\r\n\r\n");
  CHECK(request.content_type == "application/json");
  CHECK(request.accept_encoding == "gzip, deflate;q=0.5");
}

TEST_CASE("obs-fold, whitespace before the colon and nameless lines are rejected") {
  check_error("GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n  continued\r\n\r\n", HttpStatus::kBadRequest,
              "Obsolete line folding in header");
  check_error("GET / HTTP/1.1\r\n Host: x\r\n\r\n", HttpStatus::kBadRequest);
  check_error("GET / HTTP/1.1\r\nHost : x\r\n\r\n", HttpStatus::kBadRequest);
  check_error("GET / HTTP/1.1\r\nHost x\r\n\r\n", HttpStatus::kBadRequest);
  check_error("GET / HTTP/1.1\r\n: x\r\n\r\n", HttpStatus::kBadRequest);
  check_error("GET / HTTP/1.1\r\nHo(st: x\r\n\r\n", HttpStatus::kBadRequest);
}

TEST_CASE("control bytes in a header value are rejected, obs-text is not") {
  check_error(raw("GET / HTTP/1.1\r\nHost: a\0b\r\n\r\n"), HttpStatus::kBadRequest,
              "Control character in header value");
  check_error("GET / HTTP/1.1\r\nHost: a\x7f\r\n\r\n", HttpStatus::kBadRequest);
  CHECK(parse("GET / HTTP/1.1\r\nHost: x\r\nX-Name: caf\xc3\xa9\r\n\r\n").status ==
        HttpParseStatus::kComplete);
}

TEST_CASE("a Content-Length body is read whole, and a partial one says how much is needed") {
  const std::string head = "POST /* HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n";
  const HttpParseResult partial = parse(head + "ab");
  REQUIRE(partial.status == HttpParseStatus::kIncomplete);
  CHECK(partial.needed_bytes == head.size() + 5);
  CHECK_FALSE(partial.expects_continue);
  CHECK(complete(head + "abcde").body == "abcde");
  // A GET may carry a body; it is consumed with the request.
  CHECK(complete("GET /x HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi").body == "hi");
}

TEST_CASE("repeated Content-Length values must agree") {
  CHECK(complete("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nhi")
            .body == "hi");
  CHECK(complete("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2 , 2\r\n\r\nhi").body == "hi");
  check_error("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nhi",
              HttpStatus::kBadRequest, "Bad Content-Length");
  check_error("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2, 3\r\n\r\nhi",
              HttpStatus::kBadRequest);
}

TEST_CASE("a Content-Length that is not a decimal number is rejected") {
  for (const char* value : {"", "-1", "+5", "0x10", "5 5", "1.0", ","}) {
    CAPTURE(value);
    check_error("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::string(value) + "\r\n\r\n",
                HttpStatus::kBadRequest);
  }
}

TEST_CASE("a body over 1 MiB is 413 from its Content-Length, before any of it arrives") {
  check_error("POST /* HTTP/1.1\r\nHost: x\r\nContent-Length: 1048577\r\n\r\n",
              HttpStatus::kContentTooLarge, "Request body larger than 1048576 bytes");
  check_error("POST /* HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999999\r\n\r\n",
              HttpStatus::kContentTooLarge);
  const std::string head = "POST /* HTTP/1.1\r\nHost: x\r\nContent-Length: 1048576\r\n\r\n";
  const HttpParseResult waiting = parse(head);
  CHECK(waiting.status == HttpParseStatus::kIncomplete);
  CHECK(waiting.needed_bytes == head.size() + kBodyBytesMax);
  CHECK(complete(head + std::string(kBodyBytesMax, 'x')).body.size() == kBodyBytesMax);
}

TEST_CASE("any Transfer-Encoding is 501") {
  check_error("POST /* HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
              HttpStatus::kNotImplemented);
  check_error("POST /* HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: gzip\r\n\r\n",
              HttpStatus::kNotImplemented);
}

TEST_CASE("a head of exactly 16 KiB is accepted; one byte more without the blank line is 413") {
  const std::string start = "GET / HTTP/1.1\r\nHost: x\r\nX-Pad: ";
  const std::string end = "\r\n\r\n";
  const std::string exact =
      start + std::string(kHeaderBytesMax - start.size() - end.size(), 'p') + end;
  REQUIRE(exact.size() == kHeaderBytesMax);
  CHECK(parse(exact).status == HttpParseStatus::kComplete);
  // The same head one byte longer: 16 KiB arrive without the blank line.
  const std::string over =
      start + std::string(kHeaderBytesMax - start.size() - end.size() + 1, 'p') + end;
  check_error(over, HttpStatus::kContentTooLarge, "Request head larger than 16384 bytes");
  check_error(std::string_view(over).substr(0, kHeaderBytesMax), HttpStatus::kContentTooLarge);
  CHECK(parse(std::string_view(over).substr(0, kHeaderBytesMax - 1)).status ==
        HttpParseStatus::kIncomplete);
}

TEST_CASE("a 100 KiB header is 413 and a 16 KiB request line too") {
  const std::string big = "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(100 * 1024, 'a');
  check_error(big, HttpStatus::kContentTooLarge);
  check_error("GET /" + std::string(kHeaderBytesMax, 'a'), HttpStatus::kContentTooLarge);
  // Endless empty lines before a request count against the limit too.
  check_error(std::string(kHeaderBytesMax, '\n'), HttpStatus::kContentTooLarge);
}

TEST_CASE("Expect: 100-continue is reported while the body is missing") {
  const std::string head =
      "POST /* HTTP/1.1\r\nHost: x\r\nExpect: 100-Continue\r\nContent-Length: 4\r\n\r\n";
  const HttpParseResult waiting = parse(head);
  REQUIRE(waiting.status == HttpParseStatus::kIncomplete);
  CHECK(waiting.expects_continue);
  CHECK(complete(head + "body").body == "body");
  // HTTP/1.0 clients cannot expect anything (RFC 9110 section 10.1.1).
  const HttpParseResult old =
      parse("POST /* HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n");
  REQUIRE(old.status == HttpParseStatus::kIncomplete);
  CHECK_FALSE(old.expects_continue);
}

TEST_CASE("an unknown expectation is 417") {
  check_error("GET / HTTP/1.1\r\nHost: x\r\nExpect: magic\r\n\r\n", HttpStatus::kExpectationFailed);
  CHECK(parse("GET / HTTP/1.0\r\nExpect: magic\r\n\r\n").status == HttpParseStatus::kComplete);
}

TEST_CASE("two Content-Type headers are rejected") {
  check_error("POST /* HTTP/1.1\r\nHost: x\r\nContent-Type: a/b\r\nContent-Type: c/d\r\n\r\n",
              HttpStatus::kBadRequest);
}

}  // namespace
}  // namespace ringstat
