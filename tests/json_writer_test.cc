#include "engine/query/json_writer.h"

#include <doctest/doctest.h>

#include <cmath>
#include <cstdlib>
#include <limits>
#include <random>
#include <string>

namespace ringstat {
namespace {

std::string number_text(double value) {
  std::string out;
  JsonWriter(out).number(value);
  return out;
}

std::string string_text(std::string_view text) {
  std::string out;
  JsonWriter(out).string(text);
  return out;
}

TEST_CASE("integral doubles print without a fraction") {
  CHECK(number_text(50) == "50");
  CHECK(number_text(5128) == "5128");
  CHECK(number_text(-7) == "-7");
  CHECK(number_text(1795240560) == "1795240560");
}

TEST_CASE("doubles print in shortest round-trip form") {
  CHECK(number_text(std::sqrt(128.0)) == "11.313708498984761");
  CHECK(number_text(0.1) == "0.1");
  CHECK(number_text(0.5) == "0.5");
  CHECK(number_text(1.0 / 3) == "0.3333333333333333");
  CHECK(number_text(1e21) == "1e+21");
  CHECK(number_text(1e-7) == "1e-07");
  CHECK(number_text(std::numeric_limits<double>::max()) == "1.7976931348623157e+308");
}

TEST_CASE("shortest doubles read back to the same value (seeded)") {
  const uint32_t seed = std::random_device{}();
  INFO("seed " << seed);
  std::mt19937_64 random(seed);
  std::uniform_real_distribution<double> exponent(-300, 300);
  for (int i = 0; i < 10000; ++i) {
    const double value = std::pow(10.0, exponent(random)) * (random() % 2 ? 1 : -1);
    const std::string text = number_text(value);
    REQUIRE(std::strtod(text.c_str(), nullptr) == value);
  }
}

TEST_CASE("negative zero prints as 0") {
  CHECK(number_text(-0.0) == "0");
  CHECK(number_text(0.0) == "0");
}

TEST_CASE("non-finite doubles print as null") {
  CHECK(number_text(std::numeric_limits<double>::quiet_NaN()) == "null");
  CHECK(number_text(std::numeric_limits<double>::infinity()) == "null");
  CHECK(number_text(-std::numeric_limits<double>::infinity()) == "null");
  std::string csv;
  CHECK_FALSE(append_shortest_double(csv, std::numeric_limits<double>::quiet_NaN()));
  CHECK(csv.empty());
}

TEST_CASE("integers print exactly across their whole range") {
  std::string out;
  JsonWriter json(out);
  json.begin_array();
  json.integer(std::numeric_limits<int64_t>::min()).integer(0).integer(-1);
  json.unsigned_integer(std::numeric_limits<uint64_t>::max());
  json.end_array();
  CHECK(out == "[-9223372036854775808,0,-1,18446744073709551615]");
}

TEST_CASE("strings escape quotes, backslashes and control bytes") {
  CHECK(string_text("plain") == "\"plain\"");
  CHECK(string_text("say \"hi\"") == "\"say \\\"hi\\\"\"");
  CHECK(string_text("a\\b") == "\"a\\\\b\"");
  CHECK(string_text("line\nnext\ttab\r") == "\"line\\u000anext\\u0009tab\\u000d\"");
  CHECK(string_text(std::string_view("\x00\x1f", 2)) == "\"\\u0000\\u001f\"");
  CHECK(string_text("") == "\"\"");
}

TEST_CASE("strings copy DEL, slash and UTF-8 bytes unchanged") {
  CHECK(string_text("\x7f/\xc3\xa9") == "\"\x7f/\xc3\xa9\"");
}

TEST_CASE("the writer places commas and colons in nested containers") {
  std::string out;
  JsonWriter json(out);
  json.begin_object();
  json.key("a").integer(1);
  json.key("b").begin_array();
  json.integer(1).string("x").begin_object().end_object().begin_array().end_array().null();
  json.end_array();
  json.key("c").begin_object().key("d").boolean(true).key("e").boolean(false).end_object();
  CHECK_FALSE(json.complete());
  json.end_object();
  CHECK(json.complete());
  CHECK(out == R"({"a":1,"b":[1,"x",{},[],null],"c":{"d":true,"e":false}})");
}

TEST_CASE("keys are escaped like strings") {
  std::string out;
  JsonWriter(out).begin_object().key("we\"ird").integer(1).end_object();
  CHECK(out == R"({"we\"ird":1})");
}

TEST_CASE("empty containers and a scalar top level") {
  std::string out;
  JsonWriter(out).begin_array().end_array();
  CHECK(out == "[]");
  out.clear();
  JsonWriter scalar(out);
  scalar.integer(5);
  CHECK(scalar.complete());
  CHECK(out == "5");
}

TEST_CASE("the writer appends to what the string already holds") {
  std::string out = "prefix:";
  JsonWriter(out).begin_object().end_object();
  CHECK(out == "prefix:{}");
}

TEST_CASE("nesting up to the depth limit works") {
  std::string out;
  JsonWriter json(out);
  for (size_t i = 0; i < kJsonDepthMax; ++i) json.begin_array();
  for (size_t i = 0; i < kJsonDepthMax; ++i) json.end_array();
  CHECK(json.complete());
  CHECK(out == std::string(kJsonDepthMax, '[') + std::string(kJsonDepthMax, ']'));
}

}  // namespace
}  // namespace ringstat
