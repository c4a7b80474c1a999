#include "engine/query/render.h"
#include "base/iso_time.h"

#include <doctest/doctest.h>

#include <ctime>
#include <random>
#include <string>
#include <vector>

namespace ringstat {
namespace {

// The spec's test.gauge: samples 42 and 58 in the bucket 1795240560.
const TimedBucket kSpecCell{1795240560, Bucket{2, 100, 5128, 42, 58}};

CounterQueryResult result_of(QueryPlan plan, std::vector<TimedBucket> cells) {
  return CounterQueryResult{plan, std::move(cells), false};
}

std::string iso(int64_t unix_s) {
  std::string out;
  append_iso8601_utc(out, unix_s);
  return out;
}

TEST_CASE("GET JSON: the spec's example, byte for byte") {
  const CounterQueryResult result =
      result_of(QueryPlan{0, 10, 10, 1795239660, 1795240570, 91}, {kSpecCell});
  std::string out;
  render_counter_json(result, out);
  CHECK(out ==
        R"({"buckets":[{"data":{"avg":50,"count":2,"max":58,"min":42,"sdev":11.313708498984761,)"
        R"("sum":100,"sumsq":5128},"time":1795240560}],"end":1795240570,"interval":10,)"
        R"("start":1795239660})");
}

TEST_CASE("GET JSON: interval is the cell width, not the level's interval") {
  const CounterQueryResult result = result_of(QueryPlan{0, 10, 30, 1590, 2520, 31}, {});
  std::string out;
  render_counter_json(result, out);
  CHECK(out == R"({"buckets":[],"end":2520,"interval":30,"start":1590})");
}

TEST_CASE("GET JSON: a zero-filled event bucket has count 1 and zeros") {
  const CounterQueryResult result =
      result_of(QueryPlan{0, 10, 10, 0, 10, 1}, {TimedBucket{0, Bucket{1, 0, 0, 0, 0}}});
  std::string out;
  render_counter_json(result, out);
  CHECK(out == R"({"buckets":[{"data":{"avg":0,"count":1,"max":0,"min":0,"sdev":0,"sum":0,)"
               R"("sumsq":0},"time":0}],"end":10,"interval":10,"start":0})");
}

TEST_CASE("CSV: the spec's header and line, each ending in CRLF") {
  const CounterQueryResult result = result_of(QueryPlan{0, 10, 10, 1795240540, 1795240570, 3},
                                              {TimedBucket{1795240540, Bucket::of_value(7)}});
  std::string out;
  render_counter_csv(result, out);
  CHECK(out ==
        "ISO Time,Unix Timestamp,Sample Count,Minimum,Maximum,Sum,Sum Squared,Average,"
        "Standard Deviation\r\n"
        "2026-11-21T05:55:40Z,1795240540,1,7,7,7,49,7,0\r\n");
}

TEST_CASE("CSV: fractional statistics in shortest form and one line per cell") {
  const CounterQueryResult result = result_of(
      QueryPlan{0, 10, 10, 0, 30, 3},
      {TimedBucket{0, Bucket{2, 100, 5128, 42, 58}}, TimedBucket{20, Bucket::of_value(-1.5)}});
  std::string out;
  render_counter_csv(result, out);
  CHECK(out == std::string(kCsvHeader) +
                   "1970-01-01T00:00:00Z,0,2,42,58,100,5128,50,11.313708498984761\r\n"
                   "1970-01-01T00:00:20Z,20,1,-1.5,-1.5,-1.5,2.25,-1.5,0\r\n");
}

TEST_CASE("CSV: no cells is the header alone") {
  std::string out;
  render_counter_csv(result_of(QueryPlan{0, 10, 10, 0, 0, 0}, {}), out);
  CHECK(out == kCsvHeader);
}

TEST_CASE("ISO time: known instants") {
  CHECK(iso(0) == "1970-01-01T00:00:00Z");
  CHECK(iso(1795240540) == "2026-11-21T05:55:40Z");
  CHECK(iso(1320962690) == "2011-11-10T22:04:50Z");
  CHECK(iso(kQueryTime_s_max) == "9999-12-31T23:59:59Z");
}

TEST_CASE("ISO time: before 1970") {
  CHECK(iso(-1) == "1969-12-31T23:59:59Z");
  CHECK(iso(-86400) == "1969-12-31T00:00:00Z");
  CHECK(iso(-310521600) == "1960-02-29T00:00:00Z");
  CHECK(iso(-2203977600) == "1900-02-28T00:00:00Z");
  CHECK(iso(-2203977600 + 86400) == "1900-03-01T00:00:00Z");  // 1900 is not a leap year
}

TEST_CASE("ISO time: leap days") {
  CHECK(iso(951782400) == "2000-02-29T00:00:00Z");
  CHECK(iso(951782400 + 86400) == "2000-03-01T00:00:00Z");
  CHECK(iso(1709164800 + 86399) == "2024-02-29T23:59:59Z");
  CHECK(iso(1709164800 - 1) == "2024-02-28T23:59:59Z");
}

TEST_CASE("ISO time agrees with gmtime over random instants (seeded)") {
  const uint32_t seed = std::random_device{}();
  INFO("seed " << seed);
  std::mt19937_64 random(seed);
  for (int i = 0; i < 20000; ++i) {
    const int64_t t = static_cast<int64_t>(random() % 260'000'000'000ull) - 62'000'000'000;
    const time_t as_time = static_cast<time_t>(t);
    std::tm parts{};
    REQUIRE(gmtime_r(&as_time, &parts) != nullptr);
    char expected[64];
    std::snprintf(expected, sizeof(expected), "%04d-%02d-%02dT%02d:%02d:%02dZ",
                  parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday, parts.tm_hour,
                  parts.tm_min, parts.tm_sec);
    INFO("t " << t);
    REQUIRE(iso(t) == expected);
  }
}

TEST_CASE("POST: the spec's example with a missing key, byte for byte") {
  std::vector<MultiQueryEntry> entries;
  entries.push_back({"nope.nope", std::nullopt});
  entries.push_back(
      {"test.gauge", result_of(QueryPlan{0, 10, 10, 1795240450, 1795240580, 13}, {kSpecCell})});
  std::string out;
  render_multi_query_json(entries, QueryPlan{0, 10, 10, 0, 0, 0}, false, out);
  CHECK(out == R"({"nope.nope":"Not found.",)"
               R"("test.gauge":{"start":1795240450,"end":1795240580,"interval":10,)"
               R"("data":[{"time":1795240560,"count":2,"min":42,"max":58,"sum":100,"sumsq":5128,)"
               R"("avg":50,"sdev":11.313708498984761}]},)"
               R"("start":1795240450,"stop":1795240580,"interval":10})");
}

TEST_CASE("POST: compact buckets are [time,count,min,max,sum,sumsq,avg,sdev]") {
  std::vector<MultiQueryEntry> entries;
  entries.push_back(
      {"test.gauge", result_of(QueryPlan{0, 10, 10, 1795240450, 1795240580, 13}, {kSpecCell})});
  std::string out;
  render_multi_query_json(entries, QueryPlan{}, true, out);
  CHECK(out == R"({"test.gauge":{"start":1795240450,"end":1795240580,"interval":10,)"
               R"("data":[[1795240560,2,42,58,100,5128,50,11.313708498984761]]},)"
               R"("start":1795240450,"stop":1795240580,"interval":10})");
}

TEST_CASE("POST: with no key found, start, stop and interval come from the fallback plan") {
  std::vector<MultiQueryEntry> entries;
  entries.push_back({"nope", std::nullopt});
  std::string out;
  render_multi_query_json(entries, QueryPlan{0, 10, 10, 1000, 1900, 90}, false, out);
  CHECK(out == R"({"nope":"Not found.","start":1000,"stop":1900,"interval":10})");
  out.clear();
  render_multi_query_json({}, QueryPlan{0, 10, 30, 990, 1920, 31}, true, out);
  CHECK(out == R"({"start":990,"stop":1920,"interval":30})");
}

TEST_CASE("POST: a key repeated in the request appears once, at its first position") {
  std::vector<MultiQueryEntry> entries;
  entries.push_back({"a", result_of(QueryPlan{0, 10, 10, 0, 10, 1}, {})});
  entries.push_back({"b", std::nullopt});
  entries.push_back({"a", result_of(QueryPlan{0, 10, 10, 0, 10, 1}, {})});
  std::string out;
  render_multi_query_json(entries, QueryPlan{}, false, out);
  CHECK(out == R"({"a":{"start":0,"end":10,"interval":10,"data":[]},"b":"Not found.",)"
               R"("start":0,"stop":10,"interval":10})");
}

TEST_CASE("POST: the top-level range is the finest width found, first in request order") {
  std::vector<MultiQueryEntry> entries;
  entries.push_back({"coarse", result_of(QueryPlan{1, 300, 300, 600, 1200, 2}, {})});
  entries.push_back({"fine", result_of(QueryPlan{0, 10, 10, 700, 1110, 41}, {})});
  entries.push_back({"fine.too", result_of(QueryPlan{0, 10, 10, 800, 1110, 31}, {})});
  std::string out;
  render_multi_query_json(entries, QueryPlan{}, true, out);
  CHECK(out.ends_with(R"("start":700,"stop":1110,"interval":10})"));
}

TEST_CASE("POST: key names are JSON-escaped") {
  std::vector<MultiQueryEntry> entries;
  entries.push_back({"a\"b", std::nullopt});
  std::string out;
  render_multi_query_json(entries, QueryPlan{}, false, out);
  CHECK(out.starts_with(R"({"a\"b":"Not found.")"));
}

TEST_CASE("unique keys keep the first occurrence in order") {
  const std::vector<std::string_view> keys = {"b", "a", "b", "c", "a"};
  CHECK(unique_keys_in_order(keys) == std::vector<std::string_view>{"b", "a", "c"});
}

TEST_CASE("listing: the spec's example, byte for byte") {
  Listing listing;
  listing.entries = {{"web.batch", ListingType::kGauge, true},
                     {"web.requests", ListingType::kAggregate, false},
                     {"web.requests.latency", ListingType::kGauge, true}};
  std::string out;
  render_listing_json("web.*", listing, out);
  CHECK(out == R"({"type_mapping":{"0":"gauge","1":"counter","2":"aggregate"},"pattern":"web.*",)"
               R"("matching_names":[{"is_leaf":true,"type":0,"name":"web.batch"},)"
               R"({"is_leaf":false,"type":2,"name":"web.requests"},)"
               R"({"is_leaf":true,"type":0,"name":"web.requests.latency"}]})");
}

TEST_CASE("listing: event counters are type 1 and the pattern is escaped") {
  Listing listing;
  listing.entries = {{"hits", ListingType::kCounter, true}};
  std::string out;
  render_listing_json("h\\*", listing, out);
  CHECK(out == R"({"type_mapping":{"0":"gauge","1":"counter","2":"aggregate"},"pattern":"h\\*",)"
               R"("matching_names":[{"is_leaf":true,"type":1,"name":"hits"}]})");
}

TEST_CASE("error body is one escaped line") {
  std::string out;
  render_error_json("No such counter a.b", out);
  CHECK(out == R"({"error":"No such counter a.b"})");
  out.clear();
  render_error_json("two\nlines \"quoted\"", out);
  CHECK(out == R"({"error":"two\u000alines \"quoted\""})");
}

}  // namespace
}  // namespace ringstat
