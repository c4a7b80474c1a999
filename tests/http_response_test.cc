// Response encoding: status line, the headers every response carries, content negotiation,
// gzip and deflate bodies, HEAD and 204.
#include "net/http/http_response.h"

#include <doctest/doctest.h>

#include <random>
#include <string>

#include "tests/http_test_support.h"

namespace ringstat {
namespace {

using testing::inflate_body;
using testing::parse_wire_response;
using testing::WireResponse;

HttpResponse json(std::string body) {
  HttpResponse response;
  response.content_type = "application/json";
  response.body = std::move(body);
  return response;
}

// A JSON body of `bytes` bytes that compresses well.
std::string big_body(size_t bytes) {
  std::string body = "[";
  while (body.size() + 3 < bytes) body += "42,";
  body.resize(bytes - 1, ' ');
  body += "]";
  REQUIRE(body.size() == bytes);
  return body;
}

WireResponse encode(const HttpResponse& response, const ResponseContext& context = {}) {
  ResponseEncoder encoder;
  return parse_wire_response(encoder.encode(response, context).bytes);
}

TEST_CASE("a small JSON response has exactly the status line and the common headers") {
  ResponseEncoder encoder;
  const EncodedResponse encoded = encoder.encode(json("{}"), ResponseContext{});
  CHECK(encoded.status == HttpStatus::kOk);
  CHECK_FALSE(encoded.close);
  CHECK(encoded.bytes ==
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n"
        "Access-Control-Allow-Origin: *\r\n\r\n{}");
}

TEST_CASE("every status carries its standard reason phrase and CORS") {
  const std::pair<HttpStatus, const char*> cases[] = {
      {HttpStatus::kOk, "OK"},
      {HttpStatus::kBadRequest, "Bad Request"},
      {HttpStatus::kNotFound, "Not Found"},
      {HttpStatus::kMethodNotAllowed, "Method Not Allowed"},
      {HttpStatus::kContentTooLarge, "Content Too Large"},
      {HttpStatus::kExpectationFailed, "Expectation Failed"},
      {HttpStatus::kInternalServerError, "Internal Server Error"},
      {HttpStatus::kNotImplemented, "Not Implemented"},
      {HttpStatus::kServiceUnavailable, "Service Unavailable"},
      {HttpStatus::kVersionNotSupported, "HTTP Version Not Supported"}};
  for (const auto& [status, reason] : cases) {
    CAPTURE(status_code(status));
    const WireResponse response = encode(error_response(status, "x"));
    CHECK(response.status == status_code(status));
    CHECK(response.reason == reason);
    CHECK(response.header("Access-Control-Allow-Origin") == "*");
    CHECK(response.body == R"({"error":"x"})");
  }
}

TEST_CASE("error bodies are one-line JSON with control bytes escaped") {
  const HttpResponse response = error_response(HttpStatus::kBadRequest, "bad \"x\"\nnext");
  CHECK(response.content_type == "application/json");
  CHECK(response.body == R"({"error":"bad \"x\"\u000anext"})");
}

TEST_CASE("Connection: close when the connection will close, keep-alive for HTTP/1.0") {
  ResponseContext closing;
  closing.keep_alive = false;
  ResponseEncoder encoder;
  const EncodedResponse closed = encoder.encode(json("{}"), closing);
  CHECK(closed.close);
  CHECK(parse_wire_response(closed.bytes).header("Connection") == "close");

  ResponseContext old_keep;
  old_keep.version_minor = 0;
  CHECK(encode(json("{}"), old_keep).header("Connection") == "keep-alive");
  CHECK_FALSE(encode(json("{}")).header("Connection").has_value());
}

TEST_CASE("a 204 has neither Content-Length nor Content-Type") {
  HttpResponse response;
  response.status = HttpStatus::kNoContent;
  response.headers.emplace_back("Access-Control-Allow-Methods", "GET");
  ResponseEncoder encoder;
  CHECK(encoder.encode(response, ResponseContext{}).bytes ==
        "HTTP/1.1 204 No Content\r\nAccess-Control-Allow-Origin: *\r\n"
        "Access-Control-Allow-Methods: GET\r\n\r\n");
}

TEST_CASE("a 405 names the allowed methods") {
  const WireResponse response = encode(error_response(HttpStatus::kMethodNotAllowed, "no"));
  CHECK(response.header("Allow") == "GET, HEAD, POST, OPTIONS");
  CHECK_FALSE(encode(json("{}")).header("Allow").has_value());
}

TEST_CASE("HEAD gets GET's headers and no body") {
  ResponseContext head;
  head.head = true;
  ResponseEncoder encoder;
  const std::string bytes = encoder.encode(json("{\"a\":1}"), head).bytes;
  CHECK(bytes ==
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 7\r\n"
        "Access-Control-Allow-Origin: *\r\n\r\n");
}

TEST_CASE("a body of exactly 1 KiB is not compressed; one byte more is") {
  ResponseContext gzip;
  gzip.accept_encoding = "gzip";
  const WireResponse small = encode(json(big_body(kCompressMinBodyBytes)), gzip);
  CHECK_FALSE(small.header("Content-Encoding").has_value());
  CHECK_FALSE(small.header("Vary").has_value());
  CHECK(small.body.size() == kCompressMinBodyBytes);

  const std::string body = big_body(kCompressMinBodyBytes + 1);
  const WireResponse large = encode(json(body), gzip);
  CHECK(large.header("Content-Encoding") == "gzip");
  CHECK(large.header("Vary") == "Accept-Encoding");
  CHECK(large.header("Content-Length") == std::to_string(large.body.size()));
  CHECK(large.body.size() < body.size());
  CHECK(inflate_body(large.body, true) == body);
}

TEST_CASE("gzip bodies are gzip members and deflate bodies zlib streams") {
  const std::string body = big_body(50'000);
  ResponseContext gzip;
  gzip.accept_encoding = "gzip";
  const WireResponse gzipped = encode(json(body), gzip);
  REQUIRE(gzipped.header("Content-Encoding") == "gzip");
  CHECK(static_cast<unsigned char>(gzipped.body[0]) == 0x1f);  // gzip magic
  CHECK(static_cast<unsigned char>(gzipped.body[1]) == 0x8b);
  CHECK(inflate_body(gzipped.body, true) == body);

  ResponseContext deflate;
  deflate.accept_encoding = "deflate";
  const WireResponse deflated = encode(json(body), deflate);
  REQUIRE(deflated.header("Content-Encoding") == "deflate");
  CHECK((static_cast<unsigned char>(deflated.body[0]) & 0x0f) == 8);  // zlib header: deflate
  CHECK(inflate_body(deflated.body, false) == body);
}

TEST_CASE("one encoder compresses many bodies in turn with its reused streams") {
  ResponseEncoder encoder;
  ResponseContext context;
  for (int i = 0; i < 6; ++i) {
    context.accept_encoding = i % 2 == 0 ? "gzip" : "deflate";
    const std::string body = big_body(2000 + static_cast<size_t>(i) * 997);
    const WireResponse response = parse_wire_response(encoder.encode(json(body), context).bytes);
    CHECK(inflate_body(response.body, i % 2 == 0) == body);
  }
  CHECK(encoder.stats().responses == 6);
  CHECK(encoder.stats().compressed == 6);
  CHECK(encoder.stats().compression_failures == 0);
}

TEST_CASE("HEAD with gzip reports the compressed length GET would send") {
  const std::string body = big_body(10'000);
  ResponseContext get;
  get.accept_encoding = "gzip";
  ResponseContext head = get;
  head.head = true;
  const WireResponse get_response = encode(json(body), get);
  const WireResponse head_response = encode(json(body), head);
  CHECK(head_response.headers == get_response.headers);
  CHECK(head_response.body.empty());
  CHECK(head_response.header("Content-Length") == std::to_string(get_response.body.size()));
}

TEST_CASE("a body that does not shrink is sent uncompressed, still with Vary") {
  std::mt19937_64 random(42);
  std::string body(4096, '\0');
  for (char& c : body) c = static_cast<char>(random());
  ResponseContext gzip;
  gzip.accept_encoding = "gzip";
  ResponseEncoder encoder;
  const WireResponse response = parse_wire_response(encoder.encode(json(body), gzip).bytes);
  CHECK_FALSE(response.header("Content-Encoding").has_value());
  CHECK(response.header("Vary") == "Accept-Encoding");
  CHECK(response.body == body);
  CHECK(encoder.stats().compressed == 0);
}

TEST_CASE("content negotiation: q-values, q=0, ties, star and identity") {
  const std::pair<const char*, ContentEncoding> cases[] = {
      {"", ContentEncoding::kIdentity},
      {"gzip", ContentEncoding::kGzip},
      {"GZip", ContentEncoding::kGzip},
      {"x-gzip", ContentEncoding::kGzip},
      {"deflate", ContentEncoding::kDeflate},
      {"gzip, deflate", ContentEncoding::kGzip},
      {"deflate, gzip", ContentEncoding::kGzip},  // tie: gzip preferred
      {"gzip ; q=0.8, deflate;Q=0.8", ContentEncoding::kGzip},
      {"deflate;q=1, gzip;q=0.5", ContentEncoding::kDeflate},
      {"gzip;q=0", ContentEncoding::kIdentity},
      {"gzip;q=0.000, deflate;q=0.001", ContentEncoding::kDeflate},
      {"*", ContentEncoding::kGzip},
      {"*;q=0.5, gzip;q=0", ContentEncoding::kDeflate},
      {"*;q=0", ContentEncoding::kIdentity},
      {"deflate;q=0.4, *;q=0.5", ContentEncoding::kGzip},
      {"identity", ContentEncoding::kIdentity},
      {"gzip;q=0.5, identity", ContentEncoding::kIdentity},
      {"gzip, identity;q=0.5", ContentEncoding::kGzip},
      {"gzip;q=0.5, identity;q=0.5", ContentEncoding::kGzip},
      {"br, zstd", ContentEncoding::kIdentity},
      {"gzip;q=abc", ContentEncoding::kIdentity},  // malformed q: element ignored
      {"gzip;q=1.5", ContentEncoding::kIdentity},
      {"gzip;q=0.1234", ContentEncoding::kIdentity},
      {"gzip;q", ContentEncoding::kIdentity},
      {"gzip;level=9", ContentEncoding::kGzip},        // parameters other than q are ignored
      {"gzip;q=0, gzip", ContentEncoding::kIdentity},  // the first mention counts
      {" , ,gzip", ContentEncoding::kGzip},
  };
  for (const auto& [header, expected] : cases) {
    CAPTURE(header);
    CHECK(choose_content_encoding(header) == expected);
  }
}

TEST_CASE("compress round-trips an empty body") {
  ResponseEncoder encoder;
  const std::optional<std::string> gzip = encoder.compress("", ContentEncoding::kGzip);
  REQUIRE(gzip.has_value());
  CHECK(inflate_body(*gzip, true).empty());
}

TEST_CASE("response_context follows the request") {
  HttpRequest request;
  request.method = HttpMethod::kHead;
  request.keep_alive = false;
  request.version_minor = 0;
  request.accept_encoding = "gzip";
  const ResponseContext context = response_context(request);
  CHECK(context.head);
  CHECK_FALSE(context.keep_alive);
  CHECK(context.version_minor == 0);
  CHECK(context.accept_encoding == "gzip");
}

}  // namespace
}  // namespace ringstat
