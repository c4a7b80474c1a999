// Request targets: path and query split, percent-decoding, `+`, repeated keys and limits.
#include "net/http/url.h"

#include <doctest/doctest.h>

#include <string>

namespace ringstat {
namespace {

Url parsed(std::string_view target) {
  Result<Url> url = parse_url(target);
  REQUIRE_MESSAGE(url.ok(), url.error());
  return std::move(url.value());
}

TEST_CASE("a target splits at the first question mark") {
  const Url url = parsed("/web.latency?start=10&end=20");
  CHECK(url.path == "/web.latency");
  REQUIRE(url.parameters.size() == 2);
  CHECK(url.parameters[0].key == "start");
  CHECK(url.parameters[0].value == "10");
  CHECK(url.find("end") == "20");
  CHECK_FALSE(url.find("samples").has_value());
}

TEST_CASE("a target without a query has no parameters") {
  const Url url = parsed("/a.b");
  CHECK(url.path == "/a.b");
  CHECK(url.parameters.empty());
  CHECK(parsed("/a.b?").parameters.empty());
}

TEST_CASE("the path is percent-decoded, hex digits in either case") {
  CHECK(parsed("/%2A").path == "/*");
  CHECK(parsed("/%2a").path == "/*");
  CHECK(parsed("/test%2Egauge").path == "/test.gauge");
  CHECK(parsed("/a%3Fb?x=1").path == "/a?b");
}

TEST_CASE("plus is a space in the query string only") {
  const Url url = parsed("/a+b?q=web+*&k+1=v%2B");
  CHECK(url.path == "/a+b");
  CHECK(url.find("q") == "web *");
  CHECK(url.find("k 1") == "v+");
}

TEST_CASE("an encoded ampersand or equals sign does not split") {
  const Url url = parsed("/?q=a%26b%3Dc&x=1=2");
  CHECK(url.find("q") == "a&b=c");
  CHECK(url.find("x") == "1=2");
}

TEST_CASE("a repeated key: the first one wins") {
  const Url url = parsed("/x?start=1&start=2");
  CHECK(url.find("start") == "1");
  CHECK(url.parameters.size() == 2);
}

TEST_CASE("a key without '=' has the empty value and empty pairs are skipped") {
  const Url url = parsed("/?a&&b=&");
  REQUIRE(url.parameters.size() == 2);
  CHECK(url.find("a") == "");
  CHECK(url.find("b") == "");
}

TEST_CASE("bad percent escapes are errors in the path and the query") {
  for (const char* target : {"/%", "/%4", "/%zz", "/a%g1", "/?q=%", "/?q=%2", "/?%xy=1"}) {
    CAPTURE(target);
    const Result<Url> url = parse_url(target);
    CHECK_FALSE(url.ok());
  }
  CHECK(parse_url("/%").error() == "Bad percent-encoding in path");
  CHECK(parse_url("/?q=%").error() == "Bad percent-encoding in query string");
}

TEST_CASE("a decoded NUL byte is an error") {
  CHECK_FALSE(parse_url("/a%00b").ok());
  CHECK_FALSE(parse_url("/?q=%00").ok());
  CHECK_FALSE(parse_url("/?%00=1").ok());
}

TEST_CASE("at most 64 query parameters") {
  std::string target = "/x?";
  for (size_t i = 0; i < kQueryParametersMax; ++i) target += "k" + std::to_string(i) + "=1&";
  CHECK(parse_url(target).ok());
  target += "one=more";
  const Result<Url> over = parse_url(target);
  REQUIRE_FALSE(over.ok());
  CHECK(over.error() == "More than 64 query parameters");
}

TEST_CASE("percent_decode decodes every byte value but NUL") {
  CHECK(percent_decode("%41%7e%FF", false) == std::string("A~\xff"));
  CHECK(percent_decode("a+b", false) == "a+b");
  CHECK(percent_decode("a+b", true) == "a b");
  CHECK(percent_decode("", true) == "");
  CHECK_FALSE(percent_decode("%00", true).has_value());
}

}  // namespace
}  // namespace ringstat
