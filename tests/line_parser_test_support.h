// Helpers shared by the istatd and Graphite line parser tests: parse a line that must be
// accepted, one that must be a sample, or ask why one is rejected. `Parse` is the parser under
// test (parse_istatd_line or parse_graphite_line).
#pragma once

#include <doctest/doctest.h>

#include <optional>
#include <string_view>

#include "engine/ingest/parsed_line.h"

namespace ringstat::testing {

template <LineResult (*Parse)(std::string_view)>
struct LineParserTest {
  static ParsedLine parsed(std::string_view line) {
    const LineResult result = Parse(line);
    REQUIRE_MESSAGE(result.ok(), "rejected: ", line);
    return result.line;
  }
  static SampleFields sample(std::string_view line) {
    const ParsedLine result = parsed(line);
    REQUIRE(result.kind == LineKind::kSample);
    return result.sample;
  }
  static std::optional<RejectReason> rejected(std::string_view line) { return Parse(line).reject; }
};

}  // namespace ringstat::testing
