#include "engine/query/reduce.h"

#include <doctest/doctest.h>

#include <vector>

namespace ringstat {
namespace {

QueryPlan plan_of(int64_t interval, int64_t width, int64_t start, int64_t end) {
  return QueryPlan{0, interval, width, start, end, static_cast<uint64_t>((end - start) / width)};
}

TimedBucket value_at(int64_t time, double value) {
  return TimedBucket{time, Bucket::of_value(value)};
}

Bucket zeros(uint64_t count) { return Bucket{count, 0, 0, 0, 0}; }

TEST_CASE("gauge cells without data are omitted") {
  const std::vector<TimedBucket> buckets = {value_at(1000, 1), value_at(1030, 3)};
  const CounterQueryResult result = reduce_gauge(buckets, plan_of(10, 10, 1000, 1060));
  CHECK(result.cells == buckets);
  CHECK_FALSE(result.truncated);
  CHECK(result.plan == plan_of(10, 10, 1000, 1060));
}

TEST_CASE("gauge buckets merge exactly into width-aligned cells") {
  const std::vector<TimedBucket> buckets = {value_at(1000, 42), value_at(1010, 58),
                                            value_at(1020, 7), value_at(1060, 1)};
  const CounterQueryResult result = reduce_gauge(buckets, plan_of(10, 30, 990, 1080));
  REQUIRE(result.cells.size() == 3);
  CHECK(result.cells[0].time == 990);
  CHECK(result.cells[0].bucket == Bucket{2, 100, 5128, 42, 58});
  CHECK(result.cells[1] == value_at(1020, 7));
  CHECK(result.cells[2].time == 1050);
  CHECK(result.cells[2].bucket == Bucket::of_value(1));
}

TEST_CASE("gauge buckets outside start <= time < end are ignored") {
  const std::vector<TimedBucket> buckets = {value_at(980, 1), value_at(990, 2), value_at(1000, 3),
                                            value_at(1090, 4), value_at(1100, 5)};
  const CounterQueryResult result = reduce_gauge(buckets, plan_of(10, 10, 1000, 1100));
  REQUIRE(result.cells.size() == 2);
  CHECK(result.cells[0] == value_at(1000, 3));
  CHECK(result.cells[1] == value_at(1090, 4));
}

TEST_CASE("gauge buckets with count 0 are no data") {
  const std::vector<TimedBucket> buckets = {TimedBucket{1000, Bucket{}}, value_at(1010, 2)};
  const CounterQueryResult result = reduce_gauge(buckets, plan_of(10, 10, 1000, 1100));
  REQUIRE(result.cells.size() == 1);
  CHECK(result.cells[0].time == 1010);
}

TEST_CASE("gauge cells merge buckets at negative times with floored cell starts") {
  const std::vector<TimedBucket> buckets = {value_at(-30, 1), value_at(-20, 2), value_at(-10, 3),
                                            value_at(0, 4)};
  const CounterQueryResult result = reduce_gauge(buckets, plan_of(10, 20, -40, 20));
  REQUIRE(result.cells.size() == 3);
  CHECK(result.cells[0] == value_at(-40, 1));
  CHECK(result.cells[1].time == -20);
  CHECK(result.cells[1].bucket == Bucket{2, 5, 13, 2, 3});
  CHECK(result.cells[2] == value_at(0, 4));
}

TEST_CASE("a plan of billions of empty cells costs only the buckets given") {
  const std::vector<TimedBucket> buckets = {value_at(1000, 1)};
  const CounterQueryResult result = reduce_gauge(buckets, plan_of(10, 10, 0, 10'000'000'000'000));
  CHECK(result.cells == buckets);
  CHECK_FALSE(result.truncated);
}

TEST_CASE("event buckets without data are zero-filled from the first bucket through now") {
  // First sample at 1015 (bucket 1010), now 1047 (bucket 1040).
  const std::vector<TimedBucket> buckets = {value_at(1020, 0.5)};
  const CounterQueryResult result = reduce_event(buckets, plan_of(10, 10, 990, 1100), 1015, 1047);
  const std::vector<TimedBucket> expected = {TimedBucket{1010, zeros(1)}, value_at(1020, 0.5),
                                             TimedBucket{1030, zeros(1)},
                                             TimedBucket{1040, zeros(1)}};
  CHECK(result.cells == expected);
}

TEST_CASE("event zero-fill includes the bucket containing now when now is its first second") {
  const CounterQueryResult result = reduce_event({}, plan_of(10, 10, 1000, 1100), 1000, 1040);
  REQUIRE(result.cells.size() == 5);
  CHECK(result.cells.back().time == 1040);
}

TEST_CASE("event buckets after the one containing now are never returned, stored or not") {
  const std::vector<TimedBucket> buckets = {value_at(1040, 1), value_at(1050, 2)};
  const CounterQueryResult result = reduce_event(buckets, plan_of(10, 10, 1000, 1100), 1000, 1049);
  REQUIRE(result.cells.size() == 5);
  CHECK(result.cells.back() == value_at(1040, 1));
}

TEST_CASE("event zero-fill starts at the counter's first bucket, not at start") {
  const CounterQueryResult result = reduce_event({}, plan_of(10, 10, 1000, 1100), 1061, 2000);
  REQUIRE(result.cells.size() == 4);
  CHECK(result.cells.front() == TimedBucket{1060, zeros(1)});
  CHECK(result.cells.back() == TimedBucket{1090, zeros(1)});
}

TEST_CASE("event zero-fill stops before end when now is after it") {
  const CounterQueryResult result = reduce_event({}, plan_of(10, 10, 1000, 1030), 0, 5000);
  const std::vector<TimedBucket> expected = {
      TimedBucket{1000, zeros(1)}, TimedBucket{1010, zeros(1)}, TimedBucket{1020, zeros(1)}};
  CHECK(result.cells == expected);
}

TEST_CASE("an event counter created after the range or a range after now has no cells") {
  CHECK(reduce_event({}, plan_of(10, 10, 1000, 1100), 1100, 5000).cells.empty());
  CHECK(reduce_event({}, plan_of(10, 10, 1000, 1100), 0, 999).cells.empty());
  const std::vector<TimedBucket> future = {value_at(1000, 1)};
  CHECK(reduce_event(future, plan_of(10, 10, 1000, 1100), 0, 995).cells.empty());
}

TEST_CASE("a merged event cell of k zero-filled buckets has count k") {
  const CounterQueryResult result = reduce_event({}, plan_of(10, 60, 960, 1200), 0, 5000);
  REQUIRE(result.cells.size() == 4);
  for (const TimedBucket& cell : result.cells) CHECK(cell.bucket == zeros(6));
}

TEST_CASE("a merged event cell adds zero-filled buckets to stored ones, so min drops to 0") {
  const std::vector<TimedBucket> buckets = {value_at(1210, 2), value_at(1230, 4)};
  // First bucket 1200, now in 1250: the cell 1200..1260 has 6 level buckets, 2 with data.
  const CounterQueryResult result = reduce_event(buckets, plan_of(10, 60, 1200, 1260), 1200, 1255);
  REQUIRE(result.cells.size() == 1);
  CHECK(result.cells[0].bucket == Bucket{6, 6, 20, 0, 4});
}

TEST_CASE("a partly filled event cell counts only buckets from first to now") {
  // First bucket 1220, now in 1240: 1220, 1230 (data) and 1240 of the cell 1200..1260.
  const std::vector<TimedBucket> buckets = {value_at(1230, 3)};
  const CounterQueryResult result = reduce_event(buckets, plan_of(10, 60, 1200, 1260), 1225, 1241);
  REQUIRE(result.cells.size() == 1);
  CHECK(result.cells[0].bucket == Bucket{3, 3, 9, 0, 3});
}

TEST_CASE("stored event buckets with count 0 are zero-filled like missing ones") {
  const std::vector<TimedBucket> buckets = {TimedBucket{1000, Bucket{}}};
  const CounterQueryResult result = reduce_event(buckets, plan_of(10, 10, 1000, 1010), 1000, 1005);
  REQUIRE(result.cells.size() == 1);
  CHECK(result.cells[0].bucket == zeros(1));
}

TEST_CASE("event data before the first bucket is still returned, without fill around it") {
  const std::vector<TimedBucket> buckets = {value_at(1000, 1)};
  const CounterQueryResult result = reduce_event(buckets, plan_of(10, 10, 1000, 1100), 1030, 1035);
  const std::vector<TimedBucket> expected = {value_at(1000, 1), TimedBucket{1030, zeros(1)}};
  CHECK(result.cells == expected);
}

TEST_CASE("an event counter's zero-fill over a year at 10 s stays within the cell limit") {
  const int64_t year = 365 * 86400;
  const CounterQueryResult result = reduce_event({}, plan_of(10, 10, 0, year), 0, year, 1000);
  CHECK(result.truncated);
  REQUIRE(result.cells.size() == 1000);
  CHECK(result.cells.back().time == 9990);
  CHECK(result.plan.end == 10000);
  CHECK(result.plan.cells == 1000);
}

TEST_CASE("truncation keeps the earliest gauge cells and moves end to the last kept") {
  std::vector<TimedBucket> buckets;
  for (int64_t t = 0; t < 100; t += 10) buckets.push_back(value_at(t, 1));
  const CounterQueryResult result = reduce_gauge(buckets, plan_of(10, 10, 0, 1000), 3);
  CHECK(result.truncated);
  REQUIRE(result.cells.size() == 3);
  CHECK(result.cells.back().time == 20);
  CHECK(result.plan.end == 30);
  CHECK(result.plan.start == 0);
}

TEST_CASE("exactly the cell limit is not truncation") {
  std::vector<TimedBucket> buckets;
  for (int64_t t = 0; t < 30; t += 10) buckets.push_back(value_at(t, 1));
  const CounterQueryResult result = reduce_gauge(buckets, plan_of(10, 10, 0, 1000), 3);
  CHECK_FALSE(result.truncated);
  CHECK(result.cells.size() == 3);
  CHECK(result.plan.end == 1000);
}

TEST_CASE("the default cell limit is a million") {
  CHECK(kResponseCellsMax == 1'000'000);
  const CounterQueryResult result =
      reduce_event({}, plan_of(10, 10, 0, int64_t{20'000'000}), 0, int64_t{20'000'000});
  CHECK(result.truncated);
  CHECK(result.cells.size() == kResponseCellsMax);
}

}  // namespace
}  // namespace ringstat
