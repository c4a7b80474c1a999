// Fuzz target: counter-name fan-out, validation and normalisation (engine/ingest/counter_name.h),
// checked against a plain reference written straight from docs/protocols.md section 1 "Names":
// the same verdict, the same names in the same order, each once.
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/verify.h"
#include "engine/ingest/counter_name.h"
#include "fuzz/fuzz_support.h"

using namespace ringstat;

namespace {

// Rule 3, byte by byte.
std::string reference_normalize(std::string_view raw) {
  std::string out;
  for (const char c : raw) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 33 || byte > 126 || std::string_view("/:\\\"'").find(c) != std::string_view::npos) {
      out.push_back('_');
    } else if (byte >= 'A' && byte <= 'Z') {
      out.push_back(static_cast<char>(byte - 'A' + 'a'));
    } else {
      out.push_back(c);
    }
  }
  return out;
}

// Rule 1: `base^a^b` -> base.a, base.b; empty segments skipped; a trailing caret adds the base.
std::vector<std::string> reference_expand(std::string_view raw, NameSyntax syntax) {
  const size_t first_caret =
      syntax == NameSyntax::kLiteral ? std::string_view::npos : raw.find('^');
  if (first_caret == std::string_view::npos) return {std::string(raw)};
  const std::string base(raw.substr(0, first_caret));
  std::vector<std::string> names;
  std::string segment;
  for (const char c : raw.substr(first_caret + 1)) {
    if (c != '^') {
      segment.push_back(c);
      continue;
    }
    if (!segment.empty()) names.push_back(base.empty() ? segment : base + "." + segment);
    segment.clear();
  }
  if (!segment.empty()) names.push_back(base.empty() ? segment : base + "." + segment);
  if (raw.back() == '^') names.push_back(base);
  return names;
}

// Rule 4, for each expanded name in order; the first problem wins.
std::optional<RejectReason> reference_validate(std::string_view raw, NameSyntax syntax) {
  if (raw.size() > kRawNameBytesMax) return RejectReason::kNameTooLong;
  for (const std::string& name : reference_expand(raw, syntax)) {
    if (name.empty()) return RejectReason::kEmptyName;
    if (name.size() > kNameBytesMax) return RejectReason::kNameTooLong;
    if (name.front() == '.' || name.back() == '.' || name.find("..") != std::string::npos) {
      return RejectReason::kEmptyPathComponent;
    }
  }
  return std::nullopt;
}

void check_normalize(std::string_view raw) {
  std::array<char, kNameBytesMax> out;
  const std::optional<std::string_view> normal = normalize_name(raw, out);
  if (raw.size() > kNameBytesMax) {
    VERIFY(!normal);
    return;
  }
  VERIFY(normal && *normal == reference_normalize(raw));
  std::array<char, kNameBytesMax> again;
  const std::optional<std::string_view> twice = normalize_name(*normal, again);
  VERIFY(twice && *twice == *normal);  // idempotent
  const std::optional<std::string_view> query = normalize_query_name(raw, again);
  const std::string_view unstarred = !raw.empty() && raw.front() == '*' ? raw.substr(1) : raw;
  VERIFY(query && *query == reference_normalize(unstarred));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  // Byte 0 picks the syntax, so both share one corpus.
  const NameSyntax syntax = data[0] % 2 == 0 ? NameSyntax::kCaretFanOut : NameSyntax::kLiteral;
  const std::string_view raw = fuzz::as_text(data + 1, size - 1);

  check_normalize(raw);
  const std::optional<RejectReason> verdict = validate_counter_names(raw, syntax);
  VERIFY(verdict == reference_validate(raw, syntax));
  if (verdict) return 0;

  std::vector<std::string> expected;
  for (const std::string& name : reference_expand(raw, syntax)) {
    const std::string normal = reference_normalize(name);
    bool seen = false;
    for (const std::string& earlier : expected) seen = seen || earlier == normal;
    if (!seen) expected.push_back(normal);
  }
  std::vector<std::string> visited;
  for_each_counter_name(raw, syntax, [&](std::string_view name) { visited.emplace_back(name); });
  VERIFY(visited == expected);
  return 0;
}
