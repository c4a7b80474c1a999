#include "engine/query/query_plan.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>
#include <random>

#include "fileformat/bucket.h"

namespace ringstat {
namespace {

const Retention kDefaultRetention{{{10, 864000}, {300, 32313600}, {3600, 190252800}}};
constexpr int64_t kNow = 1'795'240'565;

GetQueryParams get_ok(std::optional<std::string_view> start, std::optional<std::string_view> end,
                      std::optional<std::string_view> samples = std::nullopt,
                      std::optional<std::string_view> format = std::nullopt) {
  Result<GetQueryParams> params = parse_get_query(start, end, samples, format, kNow);
  REQUIRE_MESSAGE(params.ok(), params.error());
  return params.value();
}

std::string get_error(std::optional<std::string_view> start, std::optional<std::string_view> end,
                      std::optional<std::string_view> samples = std::nullopt,
                      std::optional<std::string_view> format = std::nullopt) {
  Result<GetQueryParams> params = parse_get_query(start, end, samples, format, kNow);
  REQUIRE_FALSE(params.ok());
  return params.error();
}

int64_t cells_of(int64_t start, int64_t end, int64_t width) {
  return ceil_div(end, width) - floor_div(start, width);
}

// The spec's rule written the slow, obvious way, to check plan_query's width against.
int64_t reference_width(int64_t interval, int64_t start, int64_t end, int64_t cells_max) {
  if (cells_of(start, end, interval) <= cells_max) return interval;
  for (const int64_t rung : kWidthLadder_s) {
    if (rung % interval == 0 && cells_of(start, end, rung) <= cells_max) return rung;
  }
  for (int64_t width = interval;; width += interval) {
    if (cells_of(start, end, width) <= cells_max) return width;
  }
}

TEST_CASE("no start and no end default to the 900 s before now") {
  const GetQueryParams params = get_ok(std::nullopt, std::nullopt);
  CHECK(params.range == TimeRange{kNow - 900, kNow});
  CHECK(params.samples == 1000);
  CHECK(params.format == ResponseFormat::kJson);
}

TEST_CASE("only end gives the 900 s before end") {
  CHECK(get_ok(std::nullopt, "5000").range == TimeRange{4100, 5000});
}

TEST_CASE("only start gives the 900 s after start") {
  CHECK(get_ok("5000", std::nullopt).range == TimeRange{5000, 5900});
}

TEST_CASE("start and end are taken as given, 0 being a time like any other") {
  CHECK(get_ok("0", "0").range == TimeRange{0, 0});
  CHECK(get_ok("0", "10").range == TimeRange{0, 10});
  CHECK(get_ok("1611", "2509").range == TimeRange{1611, 2509});
}

TEST_CASE("end equal to start is accepted, end before start is a 400") {
  CHECK(get_ok("100", "100").range == TimeRange{100, 100});
  CHECK(get_error("101", "100") == "end must be greater than start");
}

TEST_CASE("only end below 900 gives a range starting before 0") {
  CHECK(get_ok(std::nullopt, "100").range == TimeRange{-800, 100});
}

TEST_CASE("non-integer start or end is a bad integer argument") {
  CHECK(get_error("abc", std::nullopt) == "Bad integer argument start: abc");
  CHECK(get_error(std::nullopt, "12x") == "Bad integer argument end: 12x");
  CHECK(get_error("1.5", std::nullopt) == "Bad integer argument start: 1.5");
  CHECK(get_error("", std::nullopt) == "Bad integer argument start: ");
  CHECK(get_error(" 5", std::nullopt) == "Bad integer argument start:  5");
  CHECK(get_error("+5", std::nullopt) == "Bad integer argument start: +5");
  CHECK(get_error("1e3", std::nullopt) == "Bad integer argument start: 1e3");
}

TEST_CASE("negative start or end is an invalid parameter") {
  CHECK(get_error("-5", std::nullopt) == "Invalid start parameter");
  CHECK(get_error(std::nullopt, "-1") == "Invalid end parameter");
  CHECK(get_error("-5", "10") == "Invalid start parameter");
}

TEST_CASE("times beyond the year 9999 are out of range") {
  CHECK(get_ok("253402300799", std::nullopt).range.start == kQueryTime_s_max);
  CHECK(get_error("253402300800", std::nullopt) ==
        "start out of range: 253402300800 (at most 253402300799)");
  CHECK(get_error(std::nullopt, "99999999999999999999") ==
        "end out of range: 99999999999999999999");
}

TEST_CASE("an echoed value is cut and made printable so the message stays one line") {
  CHECK(get_error("a\nb\x01", std::nullopt) == "Bad integer argument start: a?b?");
  const std::string long_value(100, 'x');
  CHECK(get_error(long_value, std::nullopt) ==
        "Bad integer argument start: " + std::string(64, 'x') + "...");
}

TEST_CASE("samples defaults to 1000, 0 means no limit, negative or non-integer is a 400") {
  CHECK(get_ok(std::nullopt, std::nullopt, "0").samples == 0);
  CHECK(get_ok(std::nullopt, std::nullopt, "45").samples == 45);
  CHECK(get_error(std::nullopt, std::nullopt, "many") == "Bad integer argument samples: many");
  CHECK(get_error(std::nullopt, std::nullopt, "-1") == "Invalid samples parameter");
}

TEST_CASE("format is json or csv and anything else is a 400") {
  CHECK(get_ok(std::nullopt, std::nullopt, std::nullopt, "json").format == ResponseFormat::kJson);
  CHECK(get_ok(std::nullopt, std::nullopt, std::nullopt, "csv").format == ResponseFormat::kCsv);
  CHECK(get_error(std::nullopt, std::nullopt, std::nullopt, "xml") ==
        "Bad format argument: xml (json or csv)");
  CHECK(get_error(std::nullopt, std::nullopt, std::nullopt, "") ==
        "Bad format argument:  (json or csv)");
  CHECK(get_error(std::nullopt, std::nullopt, std::nullopt, "JSON") ==
        "Bad format argument: JSON (json or csv)");
}

TEST_CASE("the first bad parameter in start, end, samples order is reported") {
  CHECK(get_error("x", "y", "z", "w") == "Bad integer argument start: x");
  CHECK(get_error("1", "y", "z", "w") == "Bad integer argument end: y");
  CHECK(get_error("1", "2", "z", "w") == "Bad integer argument samples: z");
}

TEST_CASE("a defaulted range needs a sane server clock") {
  Result<GetQueryParams> params =
      parse_get_query(std::nullopt, std::nullopt, std::nullopt, std::nullopt, int64_t{1} << 60);
  REQUIRE_FALSE(params.ok());
  CHECK(params.error() == "server clock out of range: 1152921504606846976");
}

TEST_CASE("POST start and stop follow the GET rules with maxSamples defaulting to 100") {
  Result<PostQueryParams> none = resolve_post_query(std::nullopt, std::nullopt, std::nullopt, kNow);
  REQUIRE(none.ok());
  CHECK(none.value().range == TimeRange{kNow - 900, kNow});
  CHECK(none.value().samples_max == 100);

  Result<PostQueryParams> start_only = resolve_post_query(5000, std::nullopt, 7, kNow);
  REQUIRE(start_only.ok());
  CHECK(start_only.value().range == TimeRange{5000, 5900});
  CHECK(start_only.value().samples_max == 7);

  Result<PostQueryParams> stop_only = resolve_post_query(std::nullopt, 5000, 0, kNow);
  REQUIRE(stop_only.ok());
  CHECK(stop_only.value().range == TimeRange{4100, 5000});
  CHECK(stop_only.value().samples_max == 0);
}

TEST_CASE("POST stop before start, negatives and a negative maxSamples are 400s") {
  CHECK(resolve_post_query(10, 9, std::nullopt, kNow).error() == "stop must be greater than start");
  CHECK(resolve_post_query(-1, 9, std::nullopt, kNow).error() == "Invalid start parameter");
  CHECK(resolve_post_query(1, -9, std::nullopt, kNow).error() == "Invalid stop parameter");
  CHECK(resolve_post_query(1, 9, -1, kNow).error() == "Invalid maxSamples parameter");
}

TEST_CASE("spec example: 10 s data, 1611..2509 in 45 samples uses width 30 from 1590 to 2520") {
  const QueryPlan plan = plan_query(kDefaultRetention, 2600, 1611, 2509, 45);
  CHECK(plan.level == 0);
  CHECK(plan.level_interval_s == 10);
  CHECK(plan.width_s == 30);
  CHECK(plan.start == 1590);
  CHECK(plan.end == 2520);
  CHECK(plan.cells == 31);
}

TEST_CASE("start is floored and end ceiled to the interval, end exclusive") {
  const QueryPlan plan = plan_query(kDefaultRetention, 2000, 1000, 1100, 1000);
  CHECK(plan.width_s == 10);
  CHECK(plan.start == 1000);
  CHECK(plan.end == 1100);
  CHECK(plan.cells == 10);  // 1000..1090

  const QueryPlan unaligned = plan_query(kDefaultRetention, 2000, 1005, 1091, 1000);
  CHECK(unaligned.start == 1000);
  CHECK(unaligned.end == 1100);
  CHECK(unaligned.cells == 10);
}

TEST_CASE("an empty aligned range plans zero cells") {
  const QueryPlan plan = plan_query(kDefaultRetention, 2000, 1000, 1000, 1000);
  CHECK(plan.start == 1000);
  CHECK(plan.end == 1000);
  CHECK(plan.cells == 0);
}

TEST_CASE("samples=3 over 60 s gives 3 buckets, not istatd's 4") {
  const QueryPlan aligned = plan_query(kDefaultRetention, 2000, 1020, 1080, 3);
  CHECK(aligned.width_s == 20);
  CHECK(aligned.cells == 3);
  const QueryPlan unaligned = plan_query(kDefaultRetention, 2000, 1005, 1065, 3);
  CHECK(unaligned.width_s == 30);
  CHECK(unaligned.start == 990);
  CHECK(unaligned.end == 1080);
  CHECK(unaligned.cells == 3);
}

TEST_CASE("samples=0 never widens") {
  const int64_t now = 1'795'240'560;
  const QueryPlan plan = plan_query(kDefaultRetention, now, now - 86400, now, 0);
  CHECK(plan.width_s == 10);
  CHECK(plan.cells == 8640);
}

TEST_CASE("samples=1 gives one cell spanning the whole range") {
  const QueryPlan plan = plan_query(kDefaultRetention, 2000, 1000, 1100, 1);
  CHECK(plan.cells == 1);
  CHECK(plan.start <= 1000);
  CHECK(plan.end >= 1100);
}

TEST_CASE("level: start exactly now - retention is still the finest level") {
  CHECK(plan_query(kDefaultRetention, kNow, kNow - 864000, kNow, 0).level == 0);
  CHECK(plan_query(kDefaultRetention, kNow, kNow - 864001, kNow, 0).level == 1);
  CHECK(plan_query(kDefaultRetention, kNow, kNow - 32313600, kNow, 0).level == 1);
  CHECK(plan_query(kDefaultRetention, kNow, kNow - 32745601, kNow, 0).level == 2);
}

TEST_CASE("level: a query far in the past picks the coarsest level") {
  const QueryPlan plan = plan_query(kDefaultRetention, kNow, 0, 3600, 1000);
  CHECK(plan.level == 2);
  CHECK(plan.level_interval_s == 3600);
  CHECK(plan.width_s == 3600);
  CHECK(plan.cells == 1);
}

TEST_CASE("level: a start in the future uses the finest level") {
  CHECK(plan_query(kDefaultRetention, kNow, kNow + 1000, kNow + 2000, 0).level == 0);
}

TEST_CASE("level: the choice looks at start, not end") {
  const QueryPlan plan = plan_query(kDefaultRetention, kNow, kNow - 864001, kNow - 864000 + 600, 0);
  CHECK(plan.level == 1);
  CHECK(plan.width_s == 300);
}

TEST_CASE("the ladder skips entries that are not multiples of the level interval") {
  // 300 s level: 20..120 are skipped, 300 gives 100 cells, 600 is the first that fits.
  const int64_t start = (kNow - 900000) / 600 * 600;
  const QueryPlan plan = plan_query(kDefaultRetention, kNow, start, start + 30000, 50);
  CHECK(plan.level == 1);
  CHECK(plan.width_s == 600);
  CHECK(plan.cells <= 50);
}

TEST_CASE("past the ladder's one day the width is the smallest multiple that fits") {
  // 10 days at 10 s in 5 cells: 86400 gives 10 or 11; two days fit.
  const QueryPlan plan = plan_query(kDefaultRetention, 864000, 0, 864000, 5);
  CHECK(plan.width_s == 172800);
  CHECK(plan.cells == 5);
  // Two days from 0 in one cell: the width is exactly two days, not a ladder entry.
  const QueryPlan one = plan_query(kDefaultRetention, 172800, 0, 172800, 1);
  CHECK(one.width_s == 172800);
  CHECK(one.cells == 1);
}

TEST_CASE("a width off the ladder need not be a ladder multiple, only a level multiple") {
  // 7 s levels share no entry with the ladder.
  const Retention odd{{{7, 700000}}};
  const QueryPlan plan = plan_query(odd, 1000, 700, 1400, 10);
  CHECK(plan.width_s % 7 == 0);
  CHECK(plan.width_s == reference_width(7, 700, 1400, 10));
  CHECK(plan.cells <= 10);
}

TEST_CASE("samples=1 across time 0 raises start to 0 rather than return two cells") {
  const QueryPlan plan = plan_query(kDefaultRetention, 100, -800, 100, 1);
  CHECK(plan.cells == 1);
  CHECK(plan.start == 0);
  CHECK(plan.end >= 100);
}

TEST_CASE("a range across time 0 keeps its negative start when two cells are allowed") {
  const QueryPlan plan = plan_query(kDefaultRetention, 100, -800, 100, 2);
  CHECK(plan.cells <= 2);
  CHECK(plan.start <= -800);
  CHECK(plan.width_s == reference_width(10, -800, 100, 2));
}

TEST_CASE("a range entirely before 0 widens like its mirror image") {
  const QueryPlan plan = plan_query(kDefaultRetention, 0, -900, -5, 4);
  CHECK(plan.cells <= 4);
  CHECK(plan.width_s == reference_width(10, -900, -5, 4));
}

TEST_CASE("plans never exceed samples and pick the spec's width (seeded random)") {
  const uint32_t seed = std::random_device{}();
  INFO("seed " << seed);
  std::mt19937_64 random(seed);
  const int64_t intervals[] = {1, 7, 10, 60, 300};
  for (int round = 0; round < 20000; ++round) {
    const int64_t interval = intervals[random() % std::size(intervals)];
    const Retention retention{{{static_cast<uint32_t>(interval), 1ull << 40}}};
    const int64_t start = static_cast<int64_t>(random() % 400000) - 2000;
    const int64_t end = start + static_cast<int64_t>(random() % 20000);
    const int64_t cells_max = 1 + static_cast<int64_t>(random() % 40);
    const QueryPlan plan =
        plan_query(retention, start, start, end, static_cast<uint64_t>(cells_max));
    INFO("interval " << interval << " start " << start << " end " << end << " samples "
                     << cells_max);
    REQUIRE(plan.cells <= static_cast<uint64_t>(cells_max));
    REQUIRE(plan.width_s % interval == 0);
    REQUIRE(plan.start % plan.width_s == 0);
    REQUIRE(plan.end % plan.width_s == 0);
    if (!(cells_max == 1 && start < 0 && end > 0)) {
      REQUIRE(plan.start <= start);
      REQUIRE(plan.end >= end);
      REQUIRE(plan.width_s == reference_width(interval, start, end, cells_max));
    }
  }
}

TEST_CASE("a huge range with few samples is planned without a long search") {
  const QueryPlan plan = plan_query(kDefaultRetention, kQueryTime_s_max,
                                    kQueryTime_s_max - 86400 * 3, kQueryTime_s_max, 2);
  CHECK(plan.cells <= 2);
  CHECK(plan.level == 0);
  const QueryPlan single = plan_query(kDefaultRetention, kQueryTime_s_max - 5, kQueryTime_s_max - 5,
                                      kQueryTime_s_max + 895, 1);
  CHECK(single.cells == 1);
}

}  // namespace
}  // namespace ringstat
