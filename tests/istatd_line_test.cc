#include "engine/ingest/istatd_line.h"

#include <doctest/doctest.h>

#include <optional>
#include <string>
#include <vector>

#include "tests/line_parser_test_support.h"

namespace ringstat {
namespace {

using Parser = testing::LineParserTest<&parse_istatd_line>;
const auto& parsed = Parser::parsed;
const auto& sample = Parser::sample;
const auto& rejected = Parser::rejected;

TEST_CASE("two fields are a gauge sample at the server's now") {
  const SampleFields s = sample("web.latency 42");
  CHECK(s.kind == CounterKind::kGauge);
  CHECK(s.raw_name == "web.latency");
  CHECK(s.name_syntax == NameSyntax::kCaretFanOut);
  CHECK_FALSE(s.has_time);
  CHECK_FALSE(s.aggregated);
  CHECK(s.bucket == Bucket::of_value(42));
  CHECK(s.bucket == Bucket{1, 42, 1764, 42, 42});
}

TEST_CASE("three fields carry an integer unix timestamp") {
  const SampleFields s = sample("web.latency 1795241204 100");
  CHECK(s.has_time);
  CHECK(s.time == 1795241204);
  CHECK(s.bucket == Bucket::of_value(100));
  CHECK_FALSE(s.aggregated);
}

TEST_CASE("seven fields are a pre-aggregated bucket in sum sumsq min max count order") {
  const SampleFields s = sample("web.batch 1795241214 30 500 5 20 3");
  CHECK(s.aggregated);
  CHECK(s.has_time);
  CHECK(s.time == 1795241214);
  CHECK(s.bucket == Bucket{3, 30, 500, 5, 20});
}

TEST_CASE("a leading star marks an event counter and is not part of the name") {
  const SampleFields s = sample("*web.hits 1");
  CHECK(s.kind == CounterKind::kEvent);
  CHECK(s.raw_name == "web.hits");
  CHECK(sample("*web.hits 1795241204 2").kind == CounterKind::kEvent);
  const SampleFields aggregated = sample("*web.hits 1795241204 6 14 1 3 3");
  CHECK(aggregated.kind == CounterKind::kEvent);
  CHECK(aggregated.aggregated);
  // Only the first star is the marker; a second one is part of the name.
  CHECK(sample("**a 1").raw_name == "*a");
}

TEST_CASE("a bare star is an empty name") {
  CHECK(rejected("* 1") == RejectReason::kEmptyName);
  CHECK(rejected("* 1795241204 1") == RejectReason::kEmptyName);
}

TEST_CASE("the raw name points into the line before expansion and normalisation") {
  const std::string line = "CPU.Idle^Host.A 97.5";
  const SampleFields s = sample(line);
  CHECK(s.raw_name == "CPU.Idle^Host.A");
  CHECK(s.raw_name.data() == line.data());
}

TEST_CASE("fields are separated by runs of spaces and tabs") {
  const SampleFields s = sample("a \t  1795241204\t\t 7");
  CHECK(s.raw_name == "a");
  CHECK(s.time == 1795241204);
  CHECK(s.bucket.sum == 7);
  CHECK(sample("a 1   ").bucket.sum == 1);
  CHECK(sample("a\t1").bucket.sum == 1);
}

TEST_CASE("leading blanks are skipped before the first-character rules") {
  CHECK(sample("   a 1").raw_name == "a");
  CHECK(sample("\t*a 1").kind == CounterKind::kEvent);
  CHECK(parsed("  #host web1").kind == LineKind::kMeta);
  CHECK(parsed("  @whatever").kind == LineKind::kReserved);
}

TEST_CASE("other control bytes are not separators") {
  // A vertical tab joins name and value into one field: one field is a bad count.
  CHECK(rejected("a\v1") == RejectReason::kBadFieldCount);
  // Inside a name it normalises later; inside a number it makes the number bad.
  CHECK(sample("a\vb 1").raw_name == "a\vb");
  CHECK(rejected("a 1\v") == RejectReason::kBadValue);
}

TEST_CASE("field splitting finds a separator at every offset of the eight-byte scan") {
  for (size_t name_bytes = 1; name_bytes <= 33; ++name_bytes) {
    for (const char separator : {' ', '\t'}) {
      const std::string name(name_bytes, 'n');
      const std::string value = std::string(name_bytes % 9 + 1, '7');
      const std::string line = name + separator + "1795241204" + separator + value;
      CAPTURE(name_bytes);
      const SampleFields s = sample(line);
      CHECK(s.raw_name == name);
      CHECK(s.time == 1795241204);
      CHECK(s.bucket.sum == std::stod(value));
    }
  }
}

TEST_CASE("split_line_fields counts fields up to one past the longest form") {
  CHECK(split_line_fields("").count() == 0);
  CHECK(split_line_fields(" \t ").count() == 0);
  const LineFields two = split_line_fields("  alpha\t\tbeta  ");
  REQUIRE(two.count() == 2);
  CHECK(two.field(0) == "alpha");
  CHECK(two.field(1) == "beta");
  const LineFields seven = split_line_fields("a b c d e f g");
  REQUIRE(seven.count() == 7);
  CHECK(seven.field(6) == "g");
  CHECK(split_line_fields("a b c d e f g h").count() == 8);
  CHECK(split_line_fields("a b c d e f g h i j k").count() == 8);
}

TEST_CASE("a rejected line reports its reason and an accepted one none") {
  const LineResult bad = parse_istatd_line("a 1 2 3");
  CHECK_FALSE(bad.ok());
  CHECK(bad.reject == RejectReason::kBadFieldCount);
  const LineResult good = parse_istatd_line("a 1");
  CHECK(good.ok());
  CHECK(good.line.kind == LineKind::kSample);
  CHECK(parse_istatd_line("").ok());
  CHECK(parse_istatd_line("@x").ok());
}

TEST_CASE("a trailing carriage return is ignored") {
  CHECK(sample("a 1\r").bucket.sum == 1);
  CHECK(sample("a 1795241204 30 500 5 20 3\r").bucket.count == 3);
  CHECK(parsed("\r").kind == LineKind::kEmpty);
  CHECK(parsed("#host web1\r").meta_value == "web1");
  // Only one: a second is part of the value.
  CHECK(rejected("a 1\r\r") == RejectReason::kBadValue);
}

TEST_CASE("empty and blank lines are ignored") {
  CHECK(parsed("").kind == LineKind::kEmpty);
  CHECK(parsed("   ").kind == LineKind::kEmpty);
  CHECK(parsed(" \t ").kind == LineKind::kEmpty);
}

TEST_CASE("reserved first characters are ignored, not stored") {
  for (const char* line : {"@a 1", "$a 1", "%a 1", "&a 1", ";a 1", ":a 1", "@", ":"}) {
    CAPTURE(line);
    CHECK(parsed(line).kind == LineKind::kReserved);
  }
  // Elsewhere in a name they are ordinary (and ':' normalises to '_' later).
  CHECK(sample("a@b 1").raw_name == "a@b");
}

TEST_CASE("a meta line splits at the first blank and trims the value") {
  const ParsedLine meta = parsed("#hostname web1");
  CHECK(meta.kind == LineKind::kMeta);
  CHECK(meta.meta_key == "hostname");
  CHECK(meta.meta_value == "web1");
  const ParsedLine spaced = parsed("#plugin \t cpu 0  \t");
  CHECK(spaced.meta_key == "plugin");
  CHECK(spaced.meta_value == "cpu 0");
  CHECK(parsed("#proto x 1 1").meta_value == "x 1 1");
}

TEST_CASE("a meta line without a key or a value is bad") {
  CHECK(rejected("#") == RejectReason::kBadMeta);
  CHECK(rejected("#hostname") == RejectReason::kBadMeta);
  CHECK(rejected("#hostname   ") == RejectReason::kBadMeta);
  CHECK(rejected("# web1") == RejectReason::kBadMeta);
  CHECK(rejected("#\tweb1") == RejectReason::kBadMeta);
}

TEST_CASE("every field count other than 2, 3 and 7 is rejected, including 8 or more") {
  for (const char* line : {"a", "*a", "a 1 2 3", "a 1 2 3 4", "a 1 2 3 4 5",
                           "a 1795241204 10 100 5 5 2 99", "a 1 2 3 4 5 6 7 8 9 10"}) {
    CAPTURE(line);
    CHECK(rejected(line) == RejectReason::kBadFieldCount);
  }
}

TEST_CASE("names are validated by the parser") {
  CHECK(rejected("a..b 1") == RejectReason::kEmptyPathComponent);
  CHECK(rejected(".a 1") == RejectReason::kEmptyPathComponent);
  CHECK(rejected("^ 1") == RejectReason::kEmptyName);
  CHECK(rejected(std::string(256, 'n') + " 1") == RejectReason::kNameTooLong);
  CHECK(sample(std::string(255, 'n') + " 1").raw_name.size() == 255);
  CHECK(rejected("ok^bad. 1") == RejectReason::kEmptyPathComponent);
}

TEST_CASE("adjacent carets terminate and yield the remaining segments") {
  const SampleFields s = sample("a^^b 1");
  CHECK(s.raw_name == "a^^b");
  std::vector<std::string> names;
  for_each_counter_name(s.raw_name, s.name_syntax,
                        [&](std::string_view name) { names.emplace_back(name); });
  CHECK(names == std::vector<std::string>{"a.b"});
}

TEST_CASE("nan and inf values are rejected") {
  for (const char* line :
       {"a nan", "a NaN", "a -nan", "a inf", "a -inf", "a Infinity", "a 1795241204 nan",
        "a 1795241204 inf 1 1 1 1", "a 1795241204 1 nan 1 1 1", "a 1795241204 1 1 -inf 1 1",
        "a 1795241204 1 1 1 inf 1", "a 1e999"}) {
    CAPTURE(line);
    CHECK(rejected(line) == RejectReason::kBadValue);
  }
}

TEST_CASE("unparsable values are rejected") {
  for (const char* line :
       {"a abc", "a 0x10", "a 1,5", "a 12abc", "a 1795241204 x", "a 1795241204 1 1 1 1x 1"}) {
    CAPTURE(line);
    CHECK(rejected(line) == RejectReason::kBadValue);
  }
}

TEST_CASE("timestamps must be decimal integers greater than zero") {
  for (const char* line : {"a 0 1", "a -5 1", "a 1795240618.5 1", "a 1e9 1", "a now 1",
                           "a 0 30 500 5 20 3", "a 99999999999999999999 1"}) {
    CAPTURE(line);
    CHECK(rejected(line) == RejectReason::kBadTimestamp);
  }
  CHECK(sample("a 1 1").time == 1);
}

TEST_CASE("count must be an integer of at least one") {
  for (const char* line :
       {"a 1795241204 0 0 0 0 0", "a 1795241204 1 1 1 1 -1", "a 1795241204 1 1 1 1 1.5",
        "a 1795241204 1 1 1 1 x", "a 1795241204 1 1 1 1 1e2"}) {
    CAPTURE(line);
    CHECK(rejected(line) == RejectReason::kBadCount);
  }
  CHECK(sample("a 1795241204 1 1 1 1 1").bucket.count == 1);
}

TEST_CASE("the first bad field in line order decides the reason") {
  CHECK(rejected("a.. x 1") == RejectReason::kEmptyPathComponent);
  CHECK(rejected("a x y") == RejectReason::kBadTimestamp);
  CHECK(rejected("a 1795241204 x 1 1 1 0") == RejectReason::kBadValue);
  CHECK(rejected("a 1795241204 1 1 5 1 0") == RejectReason::kBadCount);
}

TEST_CASE("a pre-aggregated bucket needs min no greater than max") {
  CHECK(rejected("a 1795241204 10 100 6 5 2") == RejectReason::kInconsistentAggregate);
  CHECK(sample("a 1795241204 10 50 5 5 2").bucket.count == 2);
}

TEST_CASE("a pre-aggregated average below min is rejected beyond the relative tolerance") {
  // min 100: the tolerance is 0.01, so avg 99.99 is the lowest accepted.
  CHECK(sample("a 1795241204 99.995 0 100 200 1").aggregated);
  CHECK(sample("a 1795241204 199.98 0 100 200 2").aggregated);
  CHECK(rejected("a 1795241204 99.98 0 100 200 1") == RejectReason::kInconsistentAggregate);
  CHECK(rejected("a 1795241204 199.96 0 100 200 2") == RejectReason::kInconsistentAggregate);
  // Negative bounds scale by magnitude: min -100 allows avg down to -100.01.
  CHECK(sample("a 1795241204 -100.005 0 -100 0 1").aggregated);
  CHECK(rejected("a 1795241204 -100.02 0 -100 0 1") == RejectReason::kInconsistentAggregate);
}

TEST_CASE("a pre-aggregated average above max is rejected beyond the relative tolerance") {
  // max 200: the tolerance is 0.02, so avg 200.02 is the highest accepted.
  CHECK(sample("a 1795241204 200.01 0 100 200 1").aggregated);
  CHECK(sample("a 1795241204 600.05 0 100 200 3").aggregated);
  CHECK(rejected("a 1795241204 200.03 0 100 200 1") == RejectReason::kInconsistentAggregate);
  CHECK(rejected("a 1795241204 600.1 0 100 200 3") == RejectReason::kInconsistentAggregate);
  CHECK(rejected("a 1795241204 -99.98 0 -200 -100 1") == RejectReason::kInconsistentAggregate);
}

TEST_CASE("a zero bound leaves no tolerance on its side") {
  CHECK(sample("a 1795241204 0 0 0 0 4").aggregated);
  CHECK(rejected("a 1795241204 1e-300 0 0 0 1") == RejectReason::kInconsistentAggregate);
  CHECK(rejected("a 1795241204 -1e-300 0 0 0 1") == RejectReason::kInconsistentAggregate);
}

TEST_CASE("is_consistent_aggregate checks exact min and max") {
  CHECK(is_consistent_aggregate(Bucket{2, 10, 50, 5, 5}));
  CHECK(is_consistent_aggregate(Bucket{3, 30, 500, 5, 20}));
  CHECK_FALSE(is_consistent_aggregate(Bucket{1, 5, 25, 5.0001, 5}));
}

TEST_CASE("the spec's example session parses line by line") {
  CHECK(sample("web.latency 42").bucket.sum == 42);
  CHECK(sample("web.latency 1795241204 100").time == 1795241204);
  CHECK(sample("web.batch 1795241214 30 500 5 20 3").bucket.count == 3);
  CHECK(sample("*web.hits 1").kind == CounterKind::kEvent);
  CHECK(sample("cpu.idle^host.web1^role.api 97.5").raw_name == "cpu.idle^host.web1^role.api");
  CHECK(parsed("#hostname web1").meta_key == "hostname");
}

}  // namespace
}  // namespace ringstat
