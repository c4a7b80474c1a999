// Unit tests of the bench's HTTP response parser and request formatting (pure code).
#include <doctest/doctest.h>

#include <string>

#include "perf/bench/http_client.h"
#include "perf/bench/http_response_parser.h"

namespace ringstat {
namespace {

// Feeds `bytes` one byte at a time, the hardest split, and returns the bytes consumed.
size_t feed_bytewise(HttpResponseParser& parser, std::string_view bytes) {
  size_t used = 0;
  while (used < bytes.size() && parser.state() == HttpResponseParser::State::kNeedMore) {
    used += parser.feed(bytes.substr(used, 1));
  }
  return used;
}

}  // namespace

TEST_CASE("response with Content-Length parses when fed one byte at a time") {
  HttpResponseParser parser;
  parser.reset();
  std::string bytes =
      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 5"
      "\r\n\r\nhelloHTTP/1.1";
  size_t used = feed_bytewise(parser, bytes);
  REQUIRE(parser.state() == HttpResponseParser::State::kDone);
  CHECK(used == bytes.size() - 8);  // the next response's bytes are left alone
  CHECK(parser.reply().status == 200);
  CHECK(parser.reply().reason == "OK");
  CHECK(parser.reply().body == "hello");
  CHECK(parser.reply().keep_alive);
  CHECK(parser.reply().header("content-type") ==
        std::optional<std::string_view>("application/json"));
  CHECK_FALSE(parser.reply().header("X-Missing").has_value());
}

TEST_CASE("chunked body is joined, with chunk extensions and trailers dropped") {
  HttpResponseParser parser;
  parser.reset();
  std::string bytes =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\nContent-Length: 99\r\n\r\n"
      "4;ext=1\r\nWiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nX-Trailer: 1\r\n\r\nrest";
  size_t used = feed_bytewise(parser, bytes);
  REQUIRE(parser.state() == HttpResponseParser::State::kDone);
  CHECK(parser.reply().body == "Wikipedia in\r\n\r\nchunks.");
  CHECK(used == bytes.size() - 4);
}

TEST_CASE("chunked body in one piece and uppercase hex sizes") {
  HttpResponseParser parser;
  parser.reset();
  std::string body(26, 'x');
  std::string bytes =
      "HTTP/1.1 200 OK\r\ntransfer-encoding: Chunked\r\n\r\n1A\r\n" + body + "\r\n0\r\n\r\n";
  CHECK(parser.feed(bytes) == bytes.size());
  REQUIRE(parser.state() == HttpResponseParser::State::kDone);
  CHECK(parser.reply().body == body);
}

TEST_CASE("body without length runs to the end of the connection") {
  HttpResponseParser parser;
  parser.reset();
  parser.feed("HTTP/1.1 200 OK\r\n\r\npart one, ");
  parser.feed("part two");
  CHECK(parser.state() == HttpResponseParser::State::kNeedMore);
  parser.finish_at_eof();
  REQUIRE(parser.state() == HttpResponseParser::State::kDone);
  CHECK(parser.reply().body == "part one, part two");
  CHECK_FALSE(parser.reply().keep_alive);
}

TEST_CASE("connection closed mid-body or before any byte is an error") {
  HttpResponseParser parser;
  parser.reset();
  parser.feed("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
  parser.finish_at_eof();
  CHECK(parser.state() == HttpResponseParser::State::kError);
  CHECK(parser.started());
  parser.reset();
  parser.finish_at_eof();
  CHECK(parser.state() == HttpResponseParser::State::kError);
  CHECK_FALSE(parser.started());
}

TEST_CASE("interim 100 Continue is skipped for the final response") {
  HttpResponseParser parser;
  parser.reset();
  parser.feed("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\nno");
  REQUIRE(parser.state() == HttpResponseParser::State::kDone);
  CHECK(parser.reply().status == 404);
  CHECK(parser.reply().body == "no");
  CHECK(parser.reply().headers.size() == 1);
}

TEST_CASE("Connection close and HTTP/1.0 end keep-alive; 1.0 keep-alive keeps it") {
  HttpResponseParser parser;
  parser.reset();
  parser.feed("HTTP/1.1 200 OK\r\nConnection: Close\r\nContent-Length: 0\r\n\r\n");
  REQUIRE(parser.state() == HttpResponseParser::State::kDone);
  CHECK_FALSE(parser.reply().keep_alive);
  parser.reset();
  parser.feed("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n");
  CHECK_FALSE(parser.reply().keep_alive);
  parser.reset();
  parser.feed("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n");
  CHECK(parser.reply().keep_alive);
}

TEST_CASE("204, 304 and answers to HEAD have no body whatever the headers say") {
  HttpResponseParser parser;
  parser.reset();
  CHECK(parser.feed("HTTP/1.1 204 No Content\r\n\r\nX") == 27);
  CHECK(parser.state() == HttpResponseParser::State::kDone);
  parser.reset(true);
  parser.feed("HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n");
  CHECK(parser.state() == HttpResponseParser::State::kDone);
  CHECK(parser.reply().body.empty());
}

TEST_CASE("malformed responses are errors, not crashes") {
  const char* cases[] = {
      "HTTP/2 200 OK\r\n\r\n",
      "HTTP/1.1 2x0 OK\r\n\r\n",
      "HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 12abc\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabX\r\n",
  };
  for (const char* bytes : cases) {
    HttpResponseParser parser;
    parser.reset();
    parser.feed(bytes);
    CHECK_MESSAGE(parser.state() == HttpResponseParser::State::kError, bytes);
  }
}

TEST_CASE("body and head over their limits are errors") {
  HttpResponseParser parser(10);
  parser.reset();
  parser.feed("HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n");
  CHECK(parser.state() == HttpResponseParser::State::kError);
  parser.reset();
  parser.feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nabcdef\r\n6\r\n");
  CHECK(parser.state() == HttpResponseParser::State::kError);
  parser.reset();
  parser.feed("HTTP/1.1 200 OK\r\n\r\n0123456789");
  CHECK(parser.state() == HttpResponseParser::State::kNeedMore);
  parser.feed("a");
  CHECK(parser.state() == HttpResponseParser::State::kError);
  parser.reset();
  parser.feed("HTTP/1.1 200 OK\r\nX: " + std::string(kReplyHeadBytesMax, 'a'));
  CHECK(parser.state() == HttpResponseParser::State::kError);
}

TEST_CASE("request bytes carry Host, Content-Length for POST and no type when empty") {
  TcpEndpoint endpoint{"127.0.0.1", 18011};
  CHECK(format_http_request("GET", "/a.b?start=1", endpoint, {}, {}) ==
        "GET /a.b?start=1 HTTP/1.1\r\nHost: 127.0.0.1:18011\r\n\r\n");
  CHECK(format_http_request("POST", "/*", endpoint, "{}", "application/json") ==
        "POST /* HTTP/1.1\r\nHost: 127.0.0.1:18011\r\nContent-Type: application/json\r\n"
        "Content-Length: 2\r\n\r\n{}");
  CHECK(format_http_request("GET", "/", TcpEndpoint{"::1", 80}, {}, {}) ==
        "GET / HTTP/1.1\r\nHost: [::1]:80\r\n\r\n");
}

TEST_CASE("url_encode keeps unreserved characters and escapes the rest") {
  CHECK(url_encode("rsb.h0001.m0002") == "rsb.h0001.m0002");
  CHECK(url_encode("a b*{}/~_-") == "a%20b%2A%7B%7D%2F~_-");
  CHECK(url_encode(std::string_view("\xff", 1)) == "%FF");
}

}  // namespace ringstat
