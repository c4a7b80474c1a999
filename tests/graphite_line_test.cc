#include "engine/ingest/graphite_line.h"

#include <doctest/doctest.h>

#include <optional>
#include <string>
#include <vector>

#include "tests/line_parser_test_support.h"

namespace ringstat {
namespace {

using Parser = testing::LineParserTest<&parse_graphite_line>;
const auto& parsed = Parser::parsed;
const auto& sample = Parser::sample;
const auto& rejected = Parser::rejected;

std::vector<std::string> names_of(const SampleFields& s) {
  REQUIRE_FALSE(validate_counter_names(s.raw_name, s.name_syntax).has_value());
  std::vector<std::string> names;
  for_each_counter_name(s.raw_name, s.name_syntax,
                        [&](std::string_view name) { names.emplace_back(name); });
  return names;
}

TEST_CASE("carbon's path value timestamp form is a gauge sample at that time") {
  const SampleFields s = sample("servers.web1.cpu 97.5 1795241204");
  CHECK(s.kind == CounterKind::kGauge);
  CHECK(s.raw_name == "servers.web1.cpu");
  CHECK(s.name_syntax == NameSyntax::kLiteral);
  CHECK(s.has_time);
  CHECK(s.time == 1795241204);
  CHECK(s.bucket == Bucket::of_value(97.5));
  CHECK_FALSE(s.aggregated);
}

TEST_CASE("a graphite line without a timestamp is at the server's now") {
  const SampleFields s = sample("a.b 3");
  CHECK_FALSE(s.has_time);
  CHECK(s.bucket.sum == 3);
}

TEST_CASE("a graphite timestamp of minus one means now") {
  CHECK_FALSE(sample("a.b 3 -1").has_time);
  CHECK_FALSE(sample("a.b 3 -1.0").has_time);
}

TEST_CASE("a decimal graphite timestamp is floored") {
  CHECK(sample("a 1 1795241204.99").time == 1795241204);
  CHECK(sample("a 1 1795241204.0").time == 1795241204);
}

TEST_CASE("bad graphite timestamps are rejected") {
  for (const char* line :
       {"a 1 0", "a 1 0.5", "a 1 -2", "a 1 -1.5", "a 1 x", "a 1 nan", "a 1 inf", "a 1 1e30"}) {
    CAPTURE(line);
    CHECK(rejected(line) == RejectReason::kBadTimestamp);
  }
}

TEST_CASE("graphite values follow the istatd value rules") {
  CHECK(sample("a -1.5e2 1795241204").bucket.sum == -150);
  for (const char* line :
       {"a nan 1795241204", "a inf", "a -Inf", "a x 1795241204", "a 0x1", "a 1e999"}) {
    CAPTURE(line);
    CHECK(rejected(line) == RejectReason::kBadValue);
  }
}

TEST_CASE("a graphite line needs two or three fields") {
  for (const char* line : {"a", "a 1 1795241204 extra", "a 1 2 3 4 5 6", "a 1 2 3 4 5 6 7 8"}) {
    CAPTURE(line);
    CHECK(rejected(line) == RejectReason::kBadFieldCount);
  }
}

TEST_CASE("graphite tag syntax is rejected") {
  CHECK(rejected("cpu;host=web1 1 1795241204") == RejectReason::kTaggedName);
  CHECK(rejected("cpu;host=web1;dc=x 1") == RejectReason::kTaggedName);
  CHECK(rejected("cpu; 1") == RejectReason::kTaggedName);
  // Tag syntax is checked before the rest of the path.
  CHECK(rejected("..;a=b 1") == RejectReason::kTaggedName);
}

TEST_CASE("graphite paths are normalised like istatd names") {
  CHECK(names_of(sample("Servers.Web/1:Cpu 1")) == std::vector<std::string>{"servers.web_1_cpu"});
}

TEST_CASE("graphite paths get the name limits and rejections") {
  CHECK(rejected("a..b 1") == RejectReason::kEmptyPathComponent);
  CHECK(rejected(".a 1") == RejectReason::kEmptyPathComponent);
  CHECK(rejected("a. 1") == RejectReason::kEmptyPathComponent);
  CHECK(rejected(std::string(256, 'p') + " 1") == RejectReason::kNameTooLong);
  CHECK(sample(std::string(255, 'p') + " 1").raw_name.size() == 255);
}

TEST_CASE("a graphite path keeps carets and stars literally") {
  const SampleFields caret = sample("a^b^c 1");
  CHECK(names_of(caret) == std::vector<std::string>{"a^b^c"});
  const SampleFields star = sample("*a 1");
  CHECK(star.kind == CounterKind::kGauge);
  CHECK(names_of(star) == std::vector<std::string>{"*a"});
  // A lone caret is a valid one-byte name here, not an empty fan-out.
  CHECK(names_of(sample("^ 1")) == std::vector<std::string>{"^"});
}

TEST_CASE("graphite has no meta or reserved lines") {
  CHECK(sample("#a 1").raw_name == "#a");
  CHECK(sample("@a 1").raw_name == "@a");
  CHECK(rejected("#hostname web1") == RejectReason::kBadValue);
}

TEST_CASE("graphite blank lines are ignored and a carriage return is stripped") {
  CHECK(parsed("").kind == LineKind::kEmpty);
  CHECK(parsed(" \t").kind == LineKind::kEmpty);
  CHECK(parsed("\r").kind == LineKind::kEmpty);
  CHECK(sample("a 1 1795241204\r").time == 1795241204);
  CHECK(sample("  a\t1  ").bucket.sum == 1);
}

}  // namespace
}  // namespace ringstat
