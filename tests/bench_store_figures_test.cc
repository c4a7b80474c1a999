// Tests of ringstat-bench's storage figures: how many buckets a steady run makes each retention
// level retain, bytes per bucket from pages and the store's size, the admin `stats` keys they
// read, the store directory's allocated size, and where the report puts them.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "base/integer_math.h"
#include "perf/bench/dir_usage.h"
#include "perf/bench/report.h"
#include "perf/bench/store_figures.h"

namespace ringstat {
namespace {

constexpr int64_t kHour_s = 3600;
// An hour boundary, so also a 5 min one.
constexpr int64_t kHourStart_s = 1'700'002'800;
static_assert(kHourStart_s % kHour_s == 0);

uint64_t distinct_by_hand(int64_t t0, uint32_t rounds, uint32_t interval_s) {
  std::set<int64_t> buckets;
  for (uint32_t r = 0; r < rounds; ++r) {
    buckets.insert(floor_div(t0 + kRoundStep_s * static_cast<int64_t>(r), interval_s));
  }
  return buckets.size();
}

Retention retention_of(std::string_view spec) {
  Result<Retention> retention = parse_retention(spec);
  REQUIRE(retention.ok());
  return retention.value();
}

TEST_CASE("rounds from 40 s before an hour to 50 s after it make two 5 min and two 1 h buckets") {
  const int64_t t0 = kHourStart_s - 40;
  CHECK(distinct_buckets(t0, 10, 10) == 10);
  CHECK(distinct_buckets(t0, 10, 300) == 2);
  CHECK(distinct_buckets(t0, 10, 3600) == 2);
  // Only rounds before the boundary: one bucket at each coarse level.
  CHECK(distinct_buckets(t0, 4, 300) == 1);
  CHECK(distinct_buckets(t0, 4, 3600) == 1);
  // The round at the boundary opens the next bucket of both.
  CHECK(distinct_buckets(t0, 5, 300) == 2);
  CHECK(distinct_buckets(t0, 5, 3600) == 2);
}

TEST_CASE("30 rounds from a 5 min boundary fill one 5 min bucket, the 31st opens the next") {
  CHECK(distinct_buckets(kHourStart_s, 30, 300) == 1);
  CHECK(distinct_buckets(kHourStart_s, 31, 300) == 2);
  CHECK(distinct_buckets(kHourStart_s, 360, 3600) == 1);
  CHECK(distinct_buckets(kHourStart_s, 361, 3600) == 2);
  // 2 hours and 5 min of rounds starting 5 min into an hour: 25 + 1 buckets at 5 min.
  CHECK(distinct_buckets(kHourStart_s + 300, 751, 300) == 26);
  CHECK(distinct_buckets(kHourStart_s + 300, 751, 3600) == 3);
}

TEST_CASE("no rounds retain no bucket, and buckets narrower than a round hold one sample each") {
  CHECK(distinct_buckets(kHourStart_s, 0, 10) == 0);
  CHECK(distinct_buckets(kHourStart_s, 0, 3600) == 0);
  CHECK(distinct_buckets(kHourStart_s, 7, 1) == 7);
  CHECK(distinct_buckets(kHourStart_s + 3, 7, 5) == 7);
}

TEST_CASE("distinct buckets match counting them one by one, negative times included") {
  std::mt19937 random(12345);
  for (int trial = 0; trial < 2000; ++trial) {
    const int64_t t0 = static_cast<int64_t>(random() % 20'000) - 10'000;
    const auto rounds = static_cast<uint32_t>(random() % 800);
    for (uint32_t interval_s : {1u, 5u, 10u, 15u, 60u, 300u, 3600u, 86'400u}) {
      CHECK_MESSAGE(
          distinct_buckets(t0, rounds, interval_s) == distinct_by_hand(t0, rounds, interval_s),
          "t0 " << t0 << " rounds " << rounds << " interval " << interval_s);
    }
  }
}

TEST_CASE("retained buckets add up each counter's own rounds, partial last round included") {
  SentLedger ledger;
  ledger.rounds = {31, 31, 30, 30, 0};
  CHECK(retained_buckets(kHourStart_s, ledger, 10) == 122);
  CHECK(retained_buckets(kHourStart_s, ledger, 300) == 2 + 2 + 1 + 1);
  CHECK(retained_buckets(kHourStart_s, ledger, 3600) == 4);
}

TEST_CASE("store figures divide pages by each level's buckets and the store by all of them") {
  SentLedger ledger;
  ledger.rounds.assign(100, 31);  // 100 counters, 31 rounds from an hour boundary
  const std::vector<uint64_t> pages = {100, 100, 100};
  const StoreFigures figures =
      store_figures(kHourStart_s, ledger, retention_of("10s:10d,5m:1y,1h:6y"), pages,
                    uint64_t{5'000'000}, uint64_t{77});
  REQUIRE(figures.levels.size() == 3);
  CHECK(figures.levels[0].interval_s == 10);
  CHECK(figures.levels[0].buckets == 3100);
  CHECK(figures.levels[1].buckets == 200);
  CHECK(figures.levels[2].buckets == 100);
  CHECK(*figures.levels[0].page_bytes_per_bucket == doctest::Approx(409'600.0 / 3100));
  CHECK(*figures.levels[1].page_bytes_per_bucket == doctest::Approx(2048));
  CHECK(*figures.levels[2].page_bytes_per_bucket == doctest::Approx(4096));
  CHECK(figures.buckets_total == 3400);
  CHECK(figures.page_bytes_total == 3 * 409'600);
  CHECK(*figures.store_bytes_per_bucket == doctest::Approx(5e6 / 3400));
  CHECK(*figures.store_bytes_per_point == doctest::Approx(5e6 / 3100));
  CHECK(figures.staged_buckets == 77);
}

TEST_CASE("levels the server reported no pages for have no page figures") {
  SentLedger ledger;
  ledger.rounds = {10};
  const std::vector<uint64_t> pages = {1};
  const StoreFigures figures = store_figures(kHourStart_s, ledger, retention_of("10s:1d,5m:1y"),
                                             pages, std::nullopt, std::nullopt);
  CHECK(figures.levels[0].pages == 1);
  CHECK(!figures.levels[1].pages);
  CHECK(!figures.levels[1].page_bytes_per_bucket);
  CHECK(!figures.page_bytes_total);
  CHECK(!figures.store_bytes_per_bucket);
  CHECK(!figures.store_bytes_per_point);
}

TEST_CASE("stats lines give store pages level by level up to the first missing level") {
  const std::vector<std::string> lines = {
      "counters=5",           "page_writes=9",     "store_pages_level0=12", "store_pages_level1=3",
      "store_pages_level2=0", "staged_buckets=40", "store_pages_level4=8"};
  CHECK(store_pages_by_level(lines) == std::vector<uint64_t>{12, 3, 0});
  CHECK(stats_value(lines, "staged_buckets") == 40);
  CHECK(stats_value(lines, "counters") == 5);
  CHECK(!stats_value(lines, "page"));  // keys match whole
  CHECK(!stats_value(lines, "fake_time"));
  const std::vector<std::string> bad = {"counters=x", "staged_buckets=", "store_pages_level0=-1"};
  CHECK(!stats_value(bad, "counters"));
  CHECK(!stats_value(bad, "staged_buckets"));
  CHECK(store_pages_by_level(bad).empty());
}

TEST_CASE("a directory's allocated size counts written blocks, not a sparse file's holes") {
  char pattern[] = "/tmp/ringstat-dir-usage.XXXXXX";
  REQUIRE(mkdtemp(pattern) != nullptr);
  const std::filesystem::path dir(pattern);
  std::filesystem::create_directory(dir / "sub");
  const Result<uint64_t> empty = allocated_bytes_under(dir.string());
  REQUIRE(empty.ok());

  const int written = ::open((dir / "sub" / "written").c_str(), O_CREAT | O_WRONLY, 0600);
  REQUIRE(written >= 0);
  const std::vector<char> bytes(64 * 1024, 'x');
  REQUIRE(::write(written, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size()));
  REQUIRE(::fsync(written) == 0);
  ::close(written);
  const int sparse = ::open((dir / "sparse").c_str(), O_CREAT | O_WRONLY, 0600);
  REQUIRE(sparse >= 0);
  REQUIRE(::ftruncate(sparse, 64 << 20) == 0);
  ::close(sparse);

  const Result<uint64_t> used = allocated_bytes_under(dir.string());
  REQUIRE(used.ok());
  CHECK(used.value() >= empty.value() + bytes.size());
  CHECK(used.value() < empty.value() + bytes.size() + (1 << 20));  // the 64 MiB hole is free
  std::filesystem::remove_all(dir);
  CHECK(!allocated_bytes_under(dir.string()).ok());
}

TEST_CASE("the report carries written bytes per sample and the store figures") {
  RunReport run;
  run.sent_total = 1000;
  run.written = WrittenFigures{250'000, true};
  run.retention = "10s:10d";
  SentLedger ledger;
  ledger.rounds.assign(10, 100);
  const std::vector<uint64_t> pages = {20};
  run.store = store_figures(kHourStart_s, ledger, retention_of("10s:10d"), pages,
                            uint64_t{1'000'000}, uint64_t{5});
  const nlohmann::json json = nlohmann::json::parse(format_json(run));
  CHECK(json["written_bytes"] == 250'000);
  CHECK(json["written_bytes_per_sample"].get<double>() == doctest::Approx(250));
  CHECK(json["written_window"] == "first line to the end of the admin flush");
  CHECK(json["store"]["levels"][0]["buckets"] == 1000);
  CHECK(json["store"]["levels"][0]["page_bytes_per_bucket"].get<double>() ==
        doctest::Approx(81.92));
  CHECK(json["store"]["store_bytes_per_bucket"].get<double>() == doctest::Approx(1000));
  CHECK(json["store"]["staged_buckets"] == 5);

  RunReport bare;
  const nlohmann::json none = nlohmann::json::parse(format_json(bare));
  CHECK(none["written_bytes_per_sample"].is_null());
  CHECK(none["store"].is_null());
}

}  // namespace
}  // namespace ringstat
