#include "engine/ingest/retention.h"

#include <doctest/doctest.h>

#include <string>

namespace ringstat {
namespace {

constexpr uint64_t kDay_s = 86400;

Retention parsed(std::string_view spec) {
  const Result<Retention> result = parse_retention(spec);
  REQUIRE_MESSAGE(result.ok(), (result.ok() ? std::string() : result.error()));
  return result.value();
}

std::string error_of(std::string_view spec) {
  const Result<Retention> result = parse_retention(spec);
  REQUIRE_MESSAGE(!result.ok(), "accepted: ", spec);
  return result.error();
}

TEST_CASE("the default spec parses to 10 s for 10 d, 5 m for 374 d and 1 h for 2202 d") {
  // y is 365 d (docs/protocols.md section 3): 1y9d = 374 d, 6y12d = 2202 d.
  const Retention expected{{{10, 10 * kDay_s}, {300, 374 * kDay_s}, {3600, 2202 * kDay_s}}};
  CHECK(parsed(kDefaultRetentionSpec) == expected);
  CHECK(expected.levels[1].retention_s == 32313600);
  CHECK(expected.levels[2].retention_s == 190252800);
}

TEST_CASE("every unit has its number of seconds") {
  CHECK(parsed("1s:1s").levels[0] == RetentionLevel{1, 1});
  CHECK(parsed("1m:1m").levels[0] == RetentionLevel{60, 60});
  CHECK(parsed("1h:1h").levels[0] == RetentionLevel{3600, 3600});
  CHECK(parsed("1d:1d").levels[0] == RetentionLevel{86400, 86400});
  CHECK(parsed("1s:1y").levels[0] == RetentionLevel{1, 365 * kDay_s});
}

TEST_CASE("concatenated durations add up") {
  CHECK(parsed("10s:1y9d").levels[0].retention_s == 374 * kDay_s);
  CHECK(parsed("10s:2h30m").levels[0].retention_s == 9000);
  CHECK(parsed("1m30s:1d").levels[0].interval_s == 90);
  CHECK(parsed("10s:1y1d1h1m1s").levels[0].retention_s == 365 * kDay_s + 86400 + 3600 + 60 + 1);
  CHECK(parsed("10s:30m2h").levels[0].retention_s == 9000);
}

TEST_CASE("a single level is a valid spec") {
  CHECK(parsed("1m:7d") == Retention{{{60, 7 * kDay_s}}});
}

TEST_CASE("intervals must strictly increase") {
  CHECK(error_of("10s:1d,10s:2d") ==
        "retention level 2 ('10s:2d'): interval '10s' must be longer than the previous "
        "level's 10s");
  CHECK(error_of("1m:1d,10s:2d").find("must be longer than the previous level's 1m") !=
        std::string::npos);
}

TEST_CASE("each interval must be a multiple of the previous one") {
  CHECK(error_of("10s:1d,15s:2d") ==
        "retention level 2 ('15s:2d'): interval '15s' must be a multiple of the previous "
        "level's 10s");
  CHECK(parsed("10s:1d,30s:2d,1h:3d").levels.size() == 3);
}

TEST_CASE("retention must be at least the interval") {
  CHECK(parsed("1h:1h").levels[0] == RetentionLevel{3600, 3600});
  CHECK(error_of("1h:59m") ==
        "retention level 1 ('1h:59m'): retention '59m' is shorter than interval '1h'");
}

TEST_CASE("retention need not be a multiple of the interval") {
  CHECK(parsed("1h:90m").levels[0] == RetentionLevel{3600, 5400});
}

TEST_CASE("at most kRetentionLevelsMax levels are accepted") {
  std::string spec;
  uint64_t interval_s = 1;
  for (uint32_t i = 0; i < kRetentionLevelsMax; ++i) {
    if (!spec.empty()) spec += ',';
    spec += std::to_string(interval_s) + "s:1y";
    interval_s *= 2;
  }
  CHECK(parsed(spec).levels.size() == kRetentionLevelsMax);
  spec += ',';
  spec += std::to_string(interval_s);
  spec += "s:1y";
  CHECK(error_of(spec) == "retention level 9 ('256s:1y'): at most 8 levels");
}

TEST_CASE("empty parts and trailing commas are rejected") {
  CHECK(error_of("") == "retention spec is empty");
  CHECK(error_of("10s:1d,") ==
        "retention level 2 is empty (no empty parts, no leading or trailing comma)");
  CHECK(error_of(",10s:1d").find("retention level 1 is empty") == 0);
  CHECK(error_of("10s:1d,,1m:2d").find("retention level 2 is empty") == 0);
  CHECK(error_of(",").find("retention level 1 is empty") == 0);
}

TEST_CASE("istatd's name and lambda fields are rejected with a reason") {
  CHECK(error_of("10s:10d,5m:7d:ret-7d:0.9") ==
        "retention level 2 ('5m:7d:ret-7d:0.9'): expected interval:retention; istatd's "
        "interval:retention:name:lambda trailing levels are not supported");
  CHECK(error_of("10s:10d:10s").find("not supported") != std::string::npos);
}

TEST_CASE("a level needs both an interval and a retention") {
  CHECK(error_of("10s") == "retention level 1 ('10s'): expected interval:retention");
  CHECK(error_of("10s:").find("bad duration ''") != std::string::npos);
  CHECK(error_of(":1d").find("bad duration ''") != std::string::npos);
}

TEST_CASE("bad durations name the offending part") {
  CHECK(error_of("10s:10d,5m:xx") ==
        "retention level 2 ('5m:xx'): bad duration 'xx' (expected numbers with units s m h d "
        "y, e.g. 10s or 1y9d)");
  for (const char* spec :
       {"10:1d", "10s:1", "10x:1d", "10S:1d", "s:1d", "10s:1d2", "-10s:1d", "+10s:1d", "1.5m:1d",
        "10s: 1d", " 10s:1d", "10s:1d ", "1 0s:1d", "10s:1dd", "0x10s:1d"}) {
    CAPTURE(spec);
    CHECK(error_of(spec).find("bad duration") != std::string::npos);
  }
}

TEST_CASE("a zero interval is rejected") {
  CHECK(error_of("0s:1d") == "retention level 1 ('0s:1d'): interval must be at least 1s");
  CHECK(error_of("0m0s:1d").find("at least 1s") != std::string::npos);
}

TEST_CASE("huge durations are rejected without overflow") {
  CHECK(error_of("10s:99999999999999999999999s").find("is longer than 10000y") !=
        std::string::npos);
  CHECK(error_of("10s:18446744073709551615y").find("is longer than 10000y") != std::string::npos);
  CHECK(error_of("10s:10001y").find("is longer than 10000y") != std::string::npos);
  CHECK(error_of("10s:10000y1s").find("is longer than 10000y") != std::string::npos);
  CHECK(parsed("10s:10000y").levels[0].retention_s == 10000 * 365 * kDay_s);
}

TEST_CASE("an interval must fit in 32 bits of seconds") {
  CHECK(parsed("4294967295s:4294967295s").levels[0].interval_s == UINT32_MAX);
  CHECK(error_of("4294967296s:200y") ==
        "retention level 1 ('4294967296s:200y'): interval '4294967296s' is longer than "
        "4294967295s");
}

TEST_CASE("format_retention writes each duration in its largest exact unit") {
  CHECK(format_retention(parsed(kDefaultRetentionSpec)) == "10s:10d,5m:374d,1h:2202d");
  CHECK(format_retention(Retention{{{90, 5400}}}) == "90s:90m");
  CHECK(format_retention(Retention{{{7200, 90000}}}) == "2h:25h");
  CHECK(format_retention(Retention{{{61, 86401}}}) == "61s:86401s");
  CHECK(format_retention(Retention{}) == "");
}

TEST_CASE("format then parse round-trips") {
  for (const char* spec : {"10s:10d,5m:1y9d,1h:6y12d", "1s:1s", "1m30s:2h30m,3m:1y",
                           "1s:1d,2s:2d,4s:4d,8s:8d,16s:16d,32s:32d,64s:64d,128s:128d",
                           "4294967295s:10000y", "7s:61s,7m:25h,7h:400d"}) {
    CAPTURE(spec);
    const Retention retention = parsed(spec);
    const std::string text = format_retention(retention);
    CHECK(parsed(text) == retention);
    CHECK(format_retention(parsed(text)) == text);
  }
}

}  // namespace
}  // namespace ringstat
