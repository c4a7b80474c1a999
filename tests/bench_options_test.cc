// Tests of `ringstat-bench ingest`'s command line: defaults and the aliases that keep older
// scripts working, parsed by the same CLI11 set-up main uses.
#include <doctest/doctest.h>

#include <string>

#include "perf/bench/bench_options.h"
#include "perf/bench/ingest_flags.h"

namespace ringstat {
namespace {

constexpr int64_t kNow_s = 1'700'000'005;

// Parses `ingest <arguments>` and validates it; the error message when either step refuses.
std::optional<std::string> parse_ingest(const std::string& arguments, IngestRunOptions& options) {
  CLI::App app("test");
  CLI::App* ingest = app.add_subcommand("ingest");
  RawIngestFlags raw;
  add_ingest_flags(*ingest, raw);
  try {
    app.parse("ingest " + arguments, false);
  } catch (const CLI::ParseError& e) {
    return std::string(e.what());
  }
  return build_ingest_options(raw, kNow_s, options);
}

TEST_CASE("timestamp modes are steady and now, with explicit and none as their old names") {
  CHECK(parse_timestamp_mode("steady") == TimestampMode::kSteady);
  CHECK(parse_timestamp_mode("explicit") == TimestampMode::kSteady);
  CHECK(parse_timestamp_mode("now") == TimestampMode::kNow);
  CHECK(parse_timestamp_mode("none") == TimestampMode::kNow);
  CHECK(!parse_timestamp_mode("Steady"));
  CHECK(!parse_timestamp_mode(""));
  CHECK(timestamp_mode_name(TimestampMode::kSteady) == "steady");
  CHECK(timestamp_mode_name(TimestampMode::kNow) == "now");
}

TEST_CASE("without --timestamps the workload is steady: explicit times from t0, rounds until now") {
  IngestRunOptions options;
  REQUIRE_FALSE(parse_ingest("--target 127.0.0.1:2003", options));
  CHECK(options.ingest.plan.explicit_timestamps);
  CHECK(options.ingest.plan.t0 == default_t0(kNow_s));
  CHECK(options.ingest.rounds_max == rounds_until(default_t0(kNow_s), kNow_s));
}

TEST_CASE("--timestamps takes steady, now and the aliases explicit and none") {
  for (const char* steady : {"steady", "explicit"}) {
    IngestRunOptions options;
    REQUIRE_FALSE(parse_ingest(std::string("--target h:1 --timestamps ") + steady, options));
    CHECK(options.ingest.plan.explicit_timestamps);
  }
  for (const char* now : {"now", "none"}) {
    IngestRunOptions options;
    REQUIRE_FALSE(parse_ingest(std::string("--target h:1 --timestamps ") + now, options));
    CHECK_FALSE(options.ingest.plan.explicit_timestamps);
    CHECK(options.ingest.rounds_max == UINT32_MAX);  // no server clock to stay behind
  }
  IngestRunOptions options;
  CHECK(parse_ingest("--target h:1 --timestamps later", options));
}

TEST_CASE("a steady run whose t0 lies in the future is refused") {
  IngestRunOptions options;
  const std::string t0 = std::to_string(kNow_s + 10);
  CHECK(parse_ingest("--target h:1 --t0 " + t0, options) == "--t0 lies in the future");
  IngestRunOptions now_options;
  CHECK_FALSE(parse_ingest("--target h:1 --timestamps now --t0 " + t0, now_options));
}

}  // namespace
}  // namespace ringstat
