#include "engine/ingest/counter_name.h"

#include <doctest/doctest.h>

#include <array>
#include <optional>
#include <string>
#include <vector>

namespace ringstat {
namespace {

// Validates, then expands: what the shard does with a sample's raw name.
std::vector<std::string> expand(std::string_view raw,
                                NameSyntax syntax = NameSyntax::kCaretFanOut) {
  REQUIRE_FALSE(validate_counter_names(raw, syntax).has_value());
  std::vector<std::string> names;
  for_each_counter_name(raw, syntax, [&](std::string_view name) { names.emplace_back(name); });
  return names;
}

std::optional<RejectReason> check(std::string_view raw,
                                  NameSyntax syntax = NameSyntax::kCaretFanOut) {
  return validate_counter_names(raw, syntax);
}

using Names = std::vector<std::string>;

// Appends instead of `"lit" + std::string(...)`, for which GCC 12 reports a false -Wrestrict.
std::string cat(std::string_view a, std::string_view b) {
  std::string result(a);
  result += b;
  return result;
}

TEST_CASE("a name without carets is one normalised name") {
  CHECK(expand("web.latency") == Names{"web.latency"});
  CHECK(expand("a") == Names{"a"});
}

TEST_CASE("normalisation lower-cases and maps slash colon backslash and quotes to underscore") {
  CHECK(expand("Edge.Upper/Slash:Colon\"Q") == Names{"edge.upper_slash_colon_q"});
  CHECK(expand("a\\b'c") == Names{"a_b_c"});
  CHECK(expand("ABCXYZ.az09") == Names{"abcxyz.az09"});
}

TEST_CASE("normalisation maps every byte outside 33..126 to underscore") {
  for (int byte = 0; byte < 256; ++byte) {
    if (byte == '.' || byte == '^') continue;  // structure, tested separately
    const std::string raw = std::string("x") + static_cast<char>(byte) + "y";
    char expected = static_cast<char>(byte);
    if (byte < 33 || byte > 126 || byte == '/' || byte == ':' || byte == '\\' || byte == '"' ||
        byte == '\'') {
      expected = '_';
    } else if (byte >= 'A' && byte <= 'Z') {
      expected = static_cast<char>(byte - 'A' + 'a');
    }
    CAPTURE(byte);
    CHECK(expand(raw) == Names{std::string("x") + expected + "y"});
  }
}

TEST_CASE("NUL bytes in a name become underscores") {
  const std::string raw("a\0b\0", 4);
  CHECK(expand(raw) == Names{"a_b_"});
}

TEST_CASE("punctuation that the spec does not name is kept") {
  CHECK(expand("a-b_c*d#e@f;g!h~i") == Names{"a-b_c*d#e@f;g!h~i"});
}

TEST_CASE("caret fan-out appends each segment to the base") {
  CHECK(expand("base^a^b") == Names{"base.a", "base.b"});
  CHECK(expand("cpu.idle^host.a^class.b^type.c") ==
        Names{"cpu.idle.host.a", "cpu.idle.class.b", "cpu.idle.type.c"});
  CHECK(expand("cpu.idle^host.web1") == Names{"cpu.idle.host.web1"});
}

TEST_CASE("a trailing caret also records the base") {
  CHECK(expand("base^a^") == Names{"base.a", "base"});
  CHECK(expand("a^") == Names{"a"});
  CHECK(expand("a^^") == Names{"a"});
}

TEST_CASE("an empty base records the segments alone") {
  CHECK(expand("^a^b") == Names{"a", "b"});
  CHECK(expand("^a") == Names{"a"});
  CHECK(expand("^x.y^z") == Names{"x.y", "z"});
}

TEST_CASE("adjacent carets skip the empty segment and terminate") {
  CHECK(expand("a^^b") == Names{"a.b"});
  CHECK(expand("a^^^b^^c^^") == Names{"a.b", "a.c", "a"});
  CHECK(expand("^^a") == Names{"a"});
}

TEST_CASE("a name repeated in one expansion is recorded once") {
  CHECK(expand("a^b^b") == Names{"a.b"});
  CHECK(expand("a^b^c^b^c^b") == Names{"a.b", "a.c"});
  // Duplicates are found after normalisation.
  CHECK(expand("a^B^b") == Names{"a.b"});
  CHECK(expand("a^x/y^x:y^X'Y") == Names{"a.x_y"});
}

TEST_CASE("fan-out keeps first-appearance order for many segments") {
  std::string raw = "base";
  Names expected;
  for (int i = 0; i < 300; ++i) {
    raw += "^s" + std::to_string(i % 100);
    if (i < 100) expected.push_back("base.s" + std::to_string(i));
  }
  CHECK(expand(raw) == expected);
}

TEST_CASE("a line-sized name of one-byte segments expands without repeats") {
  std::string raw = "b";
  for (size_t i = 0; raw.size() + 2 <= kRawNameBytesMax; ++i) {
    raw += '^';
    raw += static_cast<char>('a' + i % 26);
  }
  CHECK(raw.size() <= kRawNameBytesMax);
  Names expected;
  for (char c = 'a'; c <= 'z'; ++c) expected.push_back(std::string("b.") + c);
  CHECK(expand(raw) == expected);
}

TEST_CASE("empty names are rejected, including a bare caret") {
  CHECK(check("") == RejectReason::kEmptyName);
  CHECK(check("^") == RejectReason::kEmptyName);
  CHECK(check("^^") == RejectReason::kEmptyName);
  CHECK(check("^^^") == RejectReason::kEmptyName);
  // The trailing caret records the (empty) base: one bad name rejects the line.
  CHECK(check("^a^") == RejectReason::kEmptyName);
  CHECK(check("", NameSyntax::kLiteral) == RejectReason::kEmptyName);
}

TEST_CASE("a name of exactly 255 bytes is accepted and 256 is rejected") {
  const std::string longest(kNameBytesMax, 'x');
  CHECK(expand(longest) == Names{longest});
  CHECK(check(std::string(kNameBytesMax + 1, 'x')) == RejectReason::kNameTooLong);
  CHECK(check(std::string(kNameBytesMax + 1, 'x'), NameSyntax::kLiteral) ==
        RejectReason::kNameTooLong);
}

TEST_CASE("the length limit applies to every expanded name") {
  const std::string base(200, 'b');
  const std::string fits(kNameBytesMax - base.size() - 1, 's');
  CHECK(expand(base + "^" + fits) == Names{base + "." + fits});
  CHECK(check(base + "^" + fits + "s") == RejectReason::kNameTooLong);
  CHECK(check(base + "^short^" + fits + "s") == RejectReason::kNameTooLong);
  // A long base alone (trailing caret) is checked too.
  CHECK(check(std::string(kNameBytesMax + 1, 'b') + "^") == RejectReason::kNameTooLong);
  CHECK(expand(std::string(kNameBytesMax, 'b') + "^") == Names{std::string(kNameBytesMax, 'b')});
  // The joining dot counts; an empty base adds none.
  CHECK(expand(cat("^", std::string(kNameBytesMax, 's'))) ==
        Names{std::string(kNameBytesMax, 's')});
}

TEST_CASE("a raw name longer than a line is rejected even when every expansion is short") {
  std::string raw = "a";
  while (raw.size() <= kRawNameBytesMax) raw += "^b";
  CHECK(check(raw) == RejectReason::kNameTooLong);
}

TEST_CASE("empty path components are rejected") {
  for (const char* raw : {".a", "a.", "a..b", ".", "..", "a.b.", "x^.a", "x^a.", "x^a..b", ".x^a",
                          "x.^a", "x..y^a", "x^a^.", "x.^", ".x^", "^.a", "^a."}) {
    CAPTURE(raw);
    CHECK(check(raw) == RejectReason::kEmptyPathComponent);
  }
  CHECK(check("a..b", NameSyntax::kLiteral) == RejectReason::kEmptyPathComponent);
}

TEST_CASE("a double dot is found at every offset of the eight-byte scan") {
  for (size_t size = 2; size <= 40; ++size) {
    for (size_t at = 0; at + 2 <= size; ++at) {
      std::string raw(size, 'a');
      raw[at] = '.';
      raw[at + 1] = '.';
      CAPTURE(size);
      CAPTURE(at);
      CHECK(check(raw) == RejectReason::kEmptyPathComponent);
    }
    // Dots that are never adjacent are fine, wherever the eight-byte words split them.
    std::string spaced(size, 'a');
    for (size_t at = 1; at + 1 < size; at += 2) spaced[at] = '.';
    CAPTURE(spaced);
    CHECK_FALSE(check(spaced).has_value());
  }
}

TEST_CASE("one bad expanded name rejects the whole name") {
  CHECK(check("ok^good^bad.") == RejectReason::kEmptyPathComponent);
  CHECK(check(cat("ok^good^", std::string(300, 'x'))) == RejectReason::kNameTooLong);
}

TEST_CASE("the first bad name in expansion order decides the reason") {
  // Segment problems come before the base of a trailing caret.
  CHECK(check("^a.^") == RejectReason::kEmptyPathComponent);
  // Per name, length is checked before empty components.
  CHECK(check(cat("x^.", std::string(300, 'a'))) == RejectReason::kNameTooLong);
}

TEST_CASE("literal syntax keeps the caret as an ordinary character") {
  CHECK(expand("a^b^c", NameSyntax::kLiteral) == Names{"a^b^c"});
  CHECK(expand("^", NameSyntax::kLiteral) == Names{"^"});
  CHECK(expand("a^^b", NameSyntax::kLiteral) == Names{"a^^b"});
  CHECK(expand("Servers.Web/1", NameSyntax::kLiteral) == Names{"servers.web_1"});
}

TEST_CASE("normalize_name copies the normalised bytes and refuses names over 255 bytes") {
  std::array<char, kNameBytesMax> buffer;
  CHECK(normalize_name("Web.Latency:P99", buffer) == "web.latency_p99");
  // No caret expansion and no validation: that is the query's literal name.
  CHECK(normalize_name("A^B..C", buffer) == "a^b..c");
  CHECK(normalize_name("", buffer) == "");
  CHECK(normalize_name(std::string(kNameBytesMax, 'Q'), buffer) == std::string(kNameBytesMax, 'q'));
  CHECK_FALSE(normalize_name(std::string(kNameBytesMax + 1, 'q'), buffer));
}

TEST_CASE("normalize_query_name ignores one leading event star") {
  std::array<char, kNameBytesMax> buffer;
  CHECK(normalize_query_name("*Web.Hits", buffer) == "web.hits");
  CHECK(normalize_query_name("web.hits", buffer) == "web.hits");
  CHECK(normalize_query_name("**a", buffer) == "*a");
  CHECK(normalize_query_name("*", buffer) == "");
  CHECK(normalize_query_name(cat("*", std::string(kNameBytesMax, 'a')), buffer) ==
        std::string(kNameBytesMax, 'a'));
}

TEST_CASE("a const visitor can be used") {
  int calls = 0;
  const auto visit = [&calls](std::string_view) { ++calls; };
  for_each_counter_name("a^b^c", NameSyntax::kCaretFanOut, visit);
  CHECK(calls == 2);
}

}  // namespace
}  // namespace ringstat
