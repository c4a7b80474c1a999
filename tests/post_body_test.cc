// The POST /* body: keys, integers, compact, and every error message.
#include "net/http/post_body.h"

#include <doctest/doctest.h>

#include <string>

namespace ringstat {
namespace {

PostBody parsed(std::string_view body) {
  Result<PostBody> result = parse_post_body(body);
  REQUIRE_MESSAGE(result.ok(), result.error());
  return std::move(result.value());
}

std::string error_of(std::string_view body) {
  Result<PostBody> result = parse_post_body(body);
  REQUIRE(!result.ok());
  CHECK(result.error().find('\n') == std::string::npos);
  return result.error();
}

TEST_CASE("the spec's body parses into every field") {
  const PostBody body = parsed(
      R"({"keys":["a.b","c.d"],"start":1795240450,"stop":1795240575,"maxSamples":45,"compact":true})");
  CHECK(body.keys == std::vector<std::string>{"a.b", "c.d"});
  CHECK(body.start == 1795240450);
  CHECK(body.stop == 1795240575);
  CHECK(body.samples_max == 45);
  CHECK(body.compact);
}

TEST_CASE("only keys is required; the rest default to absent and false") {
  const PostBody body = parsed(R"( {"keys":[]} )");
  CHECK(body.keys.empty());
  CHECK_FALSE(body.start.has_value());
  CHECK_FALSE(body.stop.has_value());
  CHECK_FALSE(body.samples_max.has_value());
  CHECK_FALSE(body.compact);
}

TEST_CASE("repeated keys are kept for the renderer, in order") {
  CHECK(parsed(R"({"keys":["x","y","x"]})").keys == std::vector<std::string>{"x", "y", "x"});
}

TEST_CASE("escaped strings in keys are decoded") {
  CHECK(parsed(R"({"keys":["a\u002eb","c\"d"]})").keys == std::vector<std::string>{"a.b", "c\"d"});
}

TEST_CASE("keys missing, not an array, or not all strings: the spec's message") {
  for (const char* body :
       {R"({})", R"({"key":["a"]})", R"({"keys":"a.b"})", R"({"keys":null})", R"({"keys":{"a":1}})",
        R"({"keys":["a",1]})", R"({"keys":["a",["b"]]})", R"({"keys":[{"k":"a"}]})",
        R"({"keys":[null]})", R"(["keys"])", R"("keys")", R"(42)"}) {
    CAPTURE(body);
    CHECK(error_of(body) == "Missing 'keys' array of keys");
  }
}

TEST_CASE("invalid JSON is one line naming the position, without the library's prefix") {
  const std::string message = error_of(R"({"keys":["a"],})");
  CHECK(message.starts_with("Invalid JSON body: parse error at line 1, column "));
  CHECK(message.find("json.exception") == std::string::npos);
  CHECK(error_of("").starts_with("Invalid JSON body: "));
  CHECK(error_of(R"({"keys":["a"]} extra)").starts_with("Invalid JSON body: "));
  CHECK(error_of("{\"keys\":[\"a\n\"]}").starts_with("Invalid JSON body: "));
  CHECK(error_of(R"({"keys":["a"])").starts_with("Invalid JSON body: "));
}

TEST_CASE("invalid UTF-8 is invalid JSON, and the message stays printable ASCII") {
  const std::string message = error_of("{\"keys\":[\"a\xff\"]}");
  CHECK(message.starts_with("Invalid JSON body: "));
  for (const char c : message) CHECK((c >= 0x20 && c < 0x7f));
}

TEST_CASE("a syntax error wins over an earlier bad value") {
  CHECK(error_of(R"({"keys":5,"start":-1,)").starts_with("Invalid JSON body: "));
}

TEST_CASE("start, stop and maxSamples must be non-negative JSON integers") {
  for (const char* value : {"-1", "1.5", "1e3", "1.0", "\"100\"", "true", "[1]", "{}"}) {
    CAPTURE(value);
    for (const char* name : {"start", "stop", "maxSamples"}) {
      const std::string body = std::string(R"({"keys":["a"],")") + name + "\":" + value + "}";
      CHECK(error_of(body) ==
            "Invalid '" + std::string(name) + "' parameter: must be a non-negative integer");
    }
  }
}

TEST_CASE("integers beyond int64 are out of range") {
  CHECK(error_of(R"({"keys":[],"start":9223372036854775808})") ==
        "Invalid 'start' parameter: out of range");
  CHECK(error_of(R"({"keys":[],"stop":18446744073709551615})") ==
        "Invalid 'stop' parameter: out of range");
  // Beyond uint64 the parser reads a double: not an integer.
  CHECK(error_of(R"({"keys":[],"maxSamples":99999999999999999999999})") ==
        "Invalid 'maxSamples' parameter: must be a non-negative integer");
  CHECK(parsed(R"({"keys":[],"start":9223372036854775807})").start == INT64_MAX);
}

TEST_CASE("zero is an integer like any other, and null counts as absent") {
  const PostBody body =
      parsed(R"({"keys":[],"start":0,"stop":null,"maxSamples":0,"compact":null})");
  CHECK(body.start == 0);
  CHECK_FALSE(body.stop.has_value());
  CHECK(body.samples_max == 0);
  CHECK_FALSE(body.compact);
}

TEST_CASE("compact must be a boolean") {
  CHECK_FALSE(parsed(R"({"keys":[],"compact":false})").compact);
  for (const char* value : {"1", "0", "\"true\"", "[]", "{}"}) {
    CAPTURE(value);
    CHECK(error_of(std::string(R"({"keys":[],"compact":)") + value + "}") ==
          "Invalid 'compact' parameter: must be true or false");
  }
}

TEST_CASE("the keys error is reported before a bad number") {
  CHECK(error_of(R"({"start":-5})") == "Missing 'keys' array of keys");
}

TEST_CASE("unknown members are ignored, however nested") {
  const PostBody body =
      parsed(R"({"trailing":1,"x":{"keys":5,"start":-1,"deep":[[[{"a":[1,2]}]]]},"keys":["k"]})");
  CHECK(body.keys == std::vector<std::string>{"k"});
  CHECK_FALSE(body.start.has_value());
}

TEST_CASE("a member given twice: the last one counts") {
  const PostBody body = parsed(R"({"keys":["a"],"start":1,"keys":["b","c"],"start":2})");
  CHECK(body.keys == std::vector<std::string>{"b", "c"});
  CHECK(body.start == 2);
  CHECK(error_of(R"({"keys":["a"],"keys":7})") == "Missing 'keys' array of keys");
  CHECK(parsed(R"({"keys":7,"keys":["a"]})").keys == std::vector<std::string>{"a"});
}

TEST_CASE("at most 10000 keys") {
  std::string body = R"({"keys":[)";
  for (size_t i = 0; i < kPostKeysMax; ++i)
    body += (i == 0 ? "\"k" : ",\"k") + std::to_string(i) + "\"";
  CHECK(parsed(body + "]}").keys.size() == kPostKeysMax);
  CHECK(error_of(body + ",\"one.more\"]}") == "Too many keys: more than 10000");
}

TEST_CASE("deeply nested JSON is parsed without recursion") {
  const size_t depth = 100'000;
  const std::string body =
      R"({"keys":[],"deep":)" + std::string(depth, '[') + std::string(depth, ']') + "}";
  CHECK(parsed(body).keys.empty());
}

}  // namespace
}  // namespace ringstat
