#include "engine/ingest/number_parse.h"

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>

namespace ringstat {
namespace {

TEST_CASE("finite double accepts the spec's decimal forms") {
  CHECK(parse_finite_double("42") == 42.0);
  CHECK(parse_finite_double("-1.5") == -1.5);
  CHECK(parse_finite_double("1e3") == 1000.0);
  CHECK(parse_finite_double("1E3") == 1000.0);
  CHECK(parse_finite_double("2.5e-3") == 0.0025);
  CHECK(parse_finite_double("0") == 0.0);
  CHECK(parse_finite_double("007") == 7.0);
  CHECK(parse_finite_double(".5") == 0.5);
  CHECK(parse_finite_double("5.") == 5.0);
  CHECK(parse_finite_double("-.5") == -0.5);
  CHECK(parse_finite_double("1.7976931348623157e308") == std::numeric_limits<double>::max());
}

TEST_CASE("finite double accepts one leading plus before a digit or point") {
  CHECK(parse_finite_double("+2") == 2.0);
  CHECK(parse_finite_double("+.5") == 0.5);
  CHECK(parse_finite_double("+1e2") == 100.0);
  CHECK_FALSE(parse_finite_double("+"));
  CHECK_FALSE(parse_finite_double("++2"));
  CHECK_FALSE(parse_finite_double("+-2"));
  CHECK_FALSE(parse_finite_double("-+2"));
}

TEST_CASE("finite double rejects empty, junk, whitespace and hex") {
  for (const char* text :
       {"",    " ",     "-",  ".",  "e3",  "1e",  "1e+",  "abc",   "1x",  "1.5.2",
        "1,5", "1_000", " 1", "1 ", "1\r", "\t1", "0x10", "0X1p3", "--1", "1e3e3"}) {
    CAPTURE(text);
    CHECK_FALSE(parse_finite_double(text));
  }
}

TEST_CASE("finite double rejects nan and inf in any case and sign") {
  for (const char* text : {"nan", "NaN", "NAN", "-nan", "+nan", "-NaN", "nan(1)", "inf", "Inf",
                           "INF", "-inf", "+inf", "infinity", "-Infinity", "INFINITY"}) {
    CAPTURE(text);
    CHECK_FALSE(parse_finite_double(text));
  }
}

TEST_CASE("finite double rejects values that overflow to inf") {
  CHECK_FALSE(parse_finite_double("1e309"));
  CHECK_FALSE(parse_finite_double("-1e309"));
  CHECK_FALSE(parse_finite_double("1.8e308"));
  CHECK_FALSE(parse_finite_double("1e99999999999999999999999"));
  CHECK_FALSE(parse_finite_double(std::string(400, '9')));
  CHECK_FALSE(parse_finite_double("0.001e312"));
  CHECK(parse_finite_double("0.0001e312") == 1e308);
}

TEST_CASE("finite double turns an underflow into a signed zero") {
  const std::optional<double> tiny = parse_finite_double("1e-400");
  REQUIRE(tiny);
  CHECK(*tiny == 0.0);
  CHECK_FALSE(std::signbit(*tiny));
  const std::optional<double> negative_tiny = parse_finite_double("-1e-400");
  REQUIRE(negative_tiny);
  CHECK(*negative_tiny == 0.0);
  CHECK(std::signbit(*negative_tiny));
  CHECK(parse_finite_double("0." + std::string(400, '0') + "1") == 0.0);
  CHECK(parse_finite_double("1e-99999999999999999999999") == 0.0);
  // A long mantissa with a negative exponent can still overflow.
  CHECK_FALSE(parse_finite_double("1" + std::string(400, '0') + "e-5"));
  // Subnormals are representable and kept.
  const std::optional<double> subnormal = parse_finite_double("4.9e-324");
  REQUIRE(subnormal);
  CHECK(*subnormal > 0.0);
}

TEST_CASE("unix seconds are decimal integers greater than zero") {
  CHECK(parse_unix_seconds("1795240618") == 1795240618);
  CHECK(parse_unix_seconds("1") == 1);
  CHECK(parse_unix_seconds("+5") == 5);
  CHECK(parse_unix_seconds("9223372036854775807") == INT64_MAX);
  for (const char* text : {"0", "-1", "-0", "", "+", "+-5", "1795240618.5", "1.0", "1e9", "12a",
                           " 5", "0x10", "9223372036854775808", "nan"}) {
    CAPTURE(text);
    CHECK_FALSE(parse_unix_seconds(text));
  }
}

TEST_CASE("count is an integer of at least one") {
  CHECK(parse_count("1") == 1u);
  CHECK(parse_count("+3") == 3u);
  CHECK(parse_count("18446744073709551615") == UINT64_MAX);
  for (const char* text :
       {"0", "-1", "", "1.0", "2.5", "1e3", "18446744073709551616", "x", "+-1"}) {
    CAPTURE(text);
    CHECK_FALSE(parse_count(text));
  }
}

TEST_CASE("graphite timestamp minus one means now") {
  CHECK(parse_graphite_timestamp("-1") == GraphiteTime{.is_now = true, .time = 0});
  CHECK(parse_graphite_timestamp("-1.0") == GraphiteTime{.is_now = true, .time = 0});
  CHECK(parse_graphite_timestamp("-1e0") == GraphiteTime{.is_now = true, .time = 0});
}

TEST_CASE("graphite timestamp is an integer or a decimal floored to seconds") {
  CHECK(parse_graphite_timestamp("1795240618") ==
        GraphiteTime{.is_now = false, .time = 1795240618});
  CHECK(parse_graphite_timestamp("1795240618.9") ==
        GraphiteTime{.is_now = false, .time = 1795240618});
  CHECK(parse_graphite_timestamp("1795240618.0") ==
        GraphiteTime{.is_now = false, .time = 1795240618});
  CHECK(parse_graphite_timestamp("1.5") == GraphiteTime{.is_now = false, .time = 1});
  CHECK(parse_graphite_timestamp("1.7e9") == GraphiteTime{.is_now = false, .time = 1700000000});
  CHECK(parse_graphite_timestamp("+7") == GraphiteTime{.is_now = false, .time = 7});
  // Integers are exact beyond 2^53, where a double would round.
  CHECK(parse_graphite_timestamp("9007199254740993") ==
        GraphiteTime{.is_now = false, .time = 9007199254740993});
}

TEST_CASE("graphite timestamp rejects times that do not floor above zero") {
  for (const char* text : {"0", "0.5", "0.999", "-0.5", "-1.5", "-2", "-0", "", "now", "nan", "inf",
                           "1e19", "9223372036854775808", "12:00", "1,5"}) {
    CAPTURE(text);
    CHECK_FALSE(parse_graphite_timestamp(text));
  }
}

}  // namespace
}  // namespace ringstat
