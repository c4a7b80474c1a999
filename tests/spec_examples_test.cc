// The examples of docs/http-api.md, reproduced end to end through the engine: samples into a
// shard, query_counter, and the renderers, compared byte for byte with the spec's text.
#include <doctest/doctest.h>

#include <string>

#include "engine/query/glob.h"
#include "engine/query/listing.h"
#include "engine/query/render.h"
#include "engine/store/counter_query.h"
#include "tests/shard_test_support.h"

namespace ringstat {
namespace {

using testing::ShardHarness;

CounterQueryOutcome run_query(ShardHarness& h, const std::string& name, int64_t start, int64_t end,
                              uint64_t samples) {
  std::optional<CounterQueryOutcome> outcome;
  query_counter(h.shard(), name, CounterTable::hash_name(name), CounterQuery{start, end, samples},
                h.clock().now_s(), [&](CounterQueryOutcome o) { outcome = std::move(o); });
  h.store().deliver_all();
  REQUIRE(outcome.has_value());
  return std::move(*outcome);
}

TEST_CASE("spec example: GET /<counter> with the default range") {
  ShardHarness h;
  h.clock().set(1795240565);
  CHECK_FALSE(h.add("test.gauge", 42));
  CHECK_FALSE(h.add("test.gauge", 58));
  const int64_t now = h.clock().now_s();
  const CounterQueryOutcome outcome = run_query(h, "test.gauge", now - 900, now, 1000);
  REQUIRE(outcome.status == CounterQueryOutcome::Status::kOk);
  std::string body;
  render_counter_json(outcome.result, body);
  CHECK(
      body ==
      R"({"buckets":[{"data":{"avg":50,"count":2,"max":58,"min":42,"sdev":11.313708498984761,"sum":100,"sumsq":5128},"time":1795240560}],)"
      R"("end":1795240570,"interval":10,"start":1795239660})");
}

TEST_CASE("spec example: start=1611&end=2509&samples=45 uses width 30 and 31 buckets") {
  ShardHarness h;
  h.clock().set(3000);
  for (int64_t t = 1610; t <= 2570; t += 10) CHECK_FALSE(h.add("ladder", 1, t));
  const CounterQueryOutcome outcome = run_query(h, "ladder", 1611, 2509, 45);
  REQUIRE(outcome.status == CounterQueryOutcome::Status::kOk);
  CHECK(outcome.result.plan.width_s == 30);
  CHECK(outcome.result.plan.start == 1590);
  CHECK(outcome.result.plan.end == 2520);
  REQUIRE(outcome.result.cells.size() == 31);
  CHECK(outcome.result.cells.front().time == 1590);
  CHECK(outcome.result.cells.front().bucket.count == 1);  // only 1610 of 1590..1619 has data
  CHECK(outcome.result.cells[1].bucket.count == 3);
  CHECK(outcome.result.cells.back().time == 2490);
}

TEST_CASE("spec example: CSV line of a one-sample bucket") {
  ShardHarness h;
  h.clock().set(1795240545);
  CHECK_FALSE(h.add("csv.gauge", 7));
  const CounterQueryOutcome outcome = run_query(h, "csv.gauge", 1795240540, 1795240550, 1000);
  std::string body;
  render_counter_csv(outcome.result, body);
  CHECK(body ==
        "ISO Time,Unix Timestamp,Sample Count,Minimum,Maximum,Sum,Sum Squared,Average,Standard "
        "Deviation\r\n2026-11-21T05:55:40Z,1795240540,1,7,7,7,49,7,0\r\n");
}

TEST_CASE("spec example: POST /* with a missing key") {
  ShardHarness h;
  h.clock().set(1795240565);
  CHECK_FALSE(h.add("test.gauge", 42));
  CHECK_FALSE(h.add("test.gauge", 58));
  std::vector<MultiQueryEntry> entries;
  std::vector<CounterQueryOutcome> outcomes;
  for (std::string key : {"nope.nope", "test.gauge"}) {
    outcomes.push_back(run_query(h, key, 1795240450, 1795240575, 100));
  }
  entries.push_back(MultiQueryEntry{"nope.nope", std::nullopt});
  entries.push_back(MultiQueryEntry{"test.gauge", outcomes[1].result});
  CHECK(outcomes[0].status == CounterQueryOutcome::Status::kNotFound);
  std::string body;
  render_multi_query_json(entries, outcomes[0].result.plan, false, body);
  CHECK(
      body ==
      R"({"nope.nope":"Not found.",)"
      R"("test.gauge":{"start":1795240450,"end":1795240580,"interval":10,)"
      R"("data":[{"time":1795240560,"count":2,"min":42,"max":58,"sum":100,"sumsq":5128,"avg":50,"sdev":11.313708498984761}]},)"
      R"("start":1795240450,"stop":1795240580,"interval":10})");
}

TEST_CASE("spec example: listing web.* with a prefix that is not a counter") {
  ShardHarness h;
  for (const char* name : {"web.batch", "web.requests.latency", "db.load"})
    CHECK_FALSE(h.add(name, 1));
  std::vector<std::string> names;
  std::vector<NamedCounter> counters;
  h.shard().for_each_counter([&](std::string_view name, CounterKind kind) {
    counters.push_back(NamedCounter{name, kind});
  });
  const std::optional<Glob> glob = Glob::compile("web.*");
  REQUIRE(glob.has_value());
  std::string body;
  render_listing_json("web.*", list_counters(counters, *glob), body);
  CHECK(body == R"({"type_mapping":{"0":"gauge","1":"counter","2":"aggregate"},"pattern":"web.*",)"
                R"("matching_names":[{"is_leaf":true,"type":0,"name":"web.batch"},)"
                R"({"is_leaf":false,"type":2,"name":"web.requests"},)"
                R"({"is_leaf":true,"type":0,"name":"web.requests.latency"}]})");
}

TEST_CASE("spec rule: event buckets without data are zero-filled through the bucket of now") {
  ShardHarness h;
  h.clock().set(10'000);
  CHECK_FALSE(h.add("ev", 30, 9'950, CounterKind::kEvent));  // rate 3 in bucket 9950
  const CounterQueryOutcome outcome = run_query(h, "ev", 9'900, 10'100, 1000);
  REQUIRE(outcome.status == CounterQueryOutcome::Status::kOk);
  const auto& cells = outcome.result.cells;
  // From the counter's first bucket (9950) through the bucket containing now (10000), never after.
  REQUIRE(cells.size() == 6);
  CHECK(cells[0].time == 9'950);
  CHECK(cells[0].bucket == Bucket{1, 3, 9, 3, 3});
  for (size_t i = 1; i < cells.size(); ++i) CHECK(cells[i].bucket == Bucket{1, 0, 0, 0, 0});
  CHECK(cells.back().time == 10'000);
}

TEST_CASE("istatd failure case: a query far in the past answers from the coarsest level") {
  ShardHarness h;
  CHECK_FALSE(h.add("past", 1));
  const CounterQueryOutcome outcome = run_query(h, "past", 1000, 1000 + 900, 1000);
  CHECK(outcome.status == CounterQueryOutcome::Status::kOk);
  CHECK(outcome.result.plan.level == 2);
  CHECK(outcome.result.cells.empty());
}

TEST_CASE("istatd failure case: samples=3 over 60 s returns 3 buckets, not 4") {
  ShardHarness h;
  h.clock().set(1000);
  for (int64_t t = 900; t < 960; t += 10) CHECK_FALSE(h.add("three", 1, t));
  const CounterQueryOutcome outcome = run_query(h, "three", 900, 960, 3);
  CHECK(outcome.result.cells.size() == 3);
  CHECK(outcome.result.plan.width_s == 20);
}

}  // namespace
}  // namespace ringstat
