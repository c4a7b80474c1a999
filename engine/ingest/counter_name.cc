#include "engine/ingest/counter_name.h"

#include <algorithm>
#include <array>
#include <cstring>

#include "base/verify.h"
#include "engine/ingest/byte_scan.h"

namespace ringstat {
namespace {

// Each non-empty caret segment needs at least one byte plus the caret before it.
constexpr size_t kCaretSegmentsMax = kRawNameBytesMax / 2;

// Rule 3. Written without a table and without branches so the compiler vectorises it: this runs
// over every byte of every name of every sample.
constexpr char normal_byte(char raw) {
  const unsigned char byte = static_cast<unsigned char>(raw);
  const bool replaced = byte < 33 || byte > 126 || byte == '/' || byte == ':' || byte == '\\' ||
                        byte == '"' || byte == '\'';
  const bool upper = static_cast<unsigned char>(byte - 'A') < 26;
  const unsigned char lowered = static_cast<unsigned char>(byte + (upper ? 'a' - 'A' : 0));
  return static_cast<char>(replaced ? '_' : lowered);
}

// Normalisation maps byte to byte: lengths and '.' (hence path components) and '^' (hence caret
// segments) are the same before and after, which is why validation can work on the raw text.
static_assert(normal_byte('.') == '.' && normal_byte('^') == '^');

void normalize_into(std::string_view raw, char* out) {
  const char* const in = raw.data();
  const size_t size = raw.size();
  for (size_t i = 0; i < size; ++i) out[i] = normal_byte(in[i]);
}

// Compares the eight pairs starting at `cursor` at once: the dots of one word against the dots of
// the same word shifted by a byte. Byte order does not matter, only whether any pair matched.
bool has_double_dot(std::string_view part) {
  const char* cursor = part.data();
  const char* const end = cursor + part.size();
  while (end - cursor >= 9) {
    uint64_t first;
    uint64_t second;
    std::memcpy(&first, cursor, sizeof(first));
    std::memcpy(&second, cursor + 1, sizeof(second));
    if ((bytes_equal(first, '.') & bytes_equal(second, '.')) != 0) return true;
    cursor += 8;
  }
  for (; end - cursor >= 2; ++cursor) {
    if (cursor[0] == '.' && cursor[1] == '.') return true;
  }
  return false;
}

bool has_empty_component(std::string_view part) {
  return !part.empty() && (part.front() == '.' || part.back() == '.' || has_double_dot(part));
}

std::optional<RejectReason> check_single_name(std::string_view name) {
  if (name.empty()) return RejectReason::kEmptyName;
  if (name.size() > kNameBytesMax) return RejectReason::kNameTooLong;
  if (has_empty_component(name)) return RejectReason::kEmptyPathComponent;
  return std::nullopt;
}

struct CaretSegment {
  uint16_t offset;  // into the text after the first caret
  uint16_t length;  // > 0
};
static_assert(kRawNameBytesMax <= UINT16_MAX);

// Marks every segment whose normalised text equals an earlier segment's. Sorting indices keeps
// this O(k log k) even for a 4 KiB line of one-byte segments, where comparing every pair would
// cost millions of steps per line.
void mark_duplicates(const char* segment_text, std::span<const CaretSegment> segments,
                     std::span<bool> duplicate) {
  std::array<uint16_t, kCaretSegmentsMax> order;
  for (size_t i = 0; i < segments.size(); ++i) order[i] = static_cast<uint16_t>(i);
  const auto same_text = [&](uint16_t a, uint16_t b) {
    return segments[a].length == segments[b].length &&
           std::memcmp(segment_text + segments[a].offset, segment_text + segments[b].offset,
                       segments[a].length) == 0;
  };
  // Ties are broken by index, so the first of each run of equal texts is the earliest segment.
  std::sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(segments.size()),
            [&](uint16_t a, uint16_t b) {
              if (segments[a].length != segments[b].length) {
                return segments[a].length < segments[b].length;
              }
              const int by_text =
                  std::memcmp(segment_text + segments[a].offset, segment_text + segments[b].offset,
                              segments[a].length);
              return by_text != 0 ? by_text < 0 : a < b;
            });
  for (size_t i = 0; i < segments.size(); ++i) duplicate[i] = false;
  for (size_t i = 1; i < segments.size(); ++i) {
    if (same_text(order[i - 1], order[i])) duplicate[order[i]] = true;
  }
}

void visit_fan_out(std::string_view raw_name, size_t first_caret, CounterNameVisitor visitor) {
  VERIFY(raw_name.size() <= kRawNameBytesMax);
  const std::string_view base = raw_name.substr(0, first_caret);
  const std::string_view rest = raw_name.substr(first_caret + 1);

  std::array<char, kRawNameBytesMax> rest_normal;
  normalize_into(rest, rest_normal.data());
  std::array<CaretSegment, kCaretSegmentsMax> segments;
  size_t segment_count = 0;
  size_t start = 0;
  while (start <= rest.size()) {
    size_t end = rest.find('^', start);
    if (end == std::string_view::npos) end = rest.size();
    if (end > start) {
      VERIFY(segment_count < segments.size());
      segments[segment_count++] =
          CaretSegment{static_cast<uint16_t>(start), static_cast<uint16_t>(end - start)};
    }
    start = end + 1;
  }
  std::array<bool, kCaretSegmentsMax> duplicate;
  mark_duplicates(rest_normal.data(), std::span(segments.data(), segment_count),
                  std::span(duplicate.data(), segment_count));

  char name[kNameBytesMax];
  VERIFY(base.size() <= kNameBytesMax);
  normalize_into(base, name);
  const size_t prefix_bytes = base.empty() ? 0 : base.size() + 1;
  for (size_t i = 0; i < segment_count; ++i) {
    if (duplicate[i]) continue;
    const CaretSegment segment = segments[i];
    VERIFY(prefix_bytes + segment.length <= kNameBytesMax);
    if (!base.empty()) name[base.size()] = '.';
    std::memcpy(name + prefix_bytes, rest_normal.data() + segment.offset, segment.length);
    visitor.visit(visitor.context, std::string_view(name, prefix_bytes + segment.length));
  }
  if (raw_name.back() == '^') {
    VERIFY(!base.empty());
    visitor.visit(visitor.context, std::string_view(name, base.size()));
  }
}

}  // namespace

std::optional<RejectReason> validate_counter_names(std::string_view raw_name, NameSyntax syntax) {
  if (raw_name.size() > kRawNameBytesMax) return RejectReason::kNameTooLong;
  const size_t first_caret =
      syntax == NameSyntax::kLiteral ? std::string_view::npos : raw_name.find('^');
  if (first_caret == std::string_view::npos) return check_single_name(raw_name);

  const std::string_view base = raw_name.substr(0, first_caret);
  const std::string_view rest = raw_name.substr(first_caret + 1);
  const size_t prefix_bytes = base.empty() ? 0 : base.size() + 1;
  const bool base_has_empty_component = has_empty_component(base);
  size_t start = 0;
  while (start <= rest.size()) {
    size_t end = rest.find('^', start);
    if (end == std::string_view::npos) end = rest.size();
    const std::string_view segment = rest.substr(start, end - start);
    start = end + 1;
    // Empty segments are skipped (spec rule 1); istatd looped forever on them.
    if (segment.empty()) continue;
    if (prefix_bytes + segment.size() > kNameBytesMax) return RejectReason::kNameTooLong;
    // Both parts are non-empty, so the joining '.' can only create an empty component when the
    // base ends or the segment starts with '.', which has_empty_component catches.
    if (base_has_empty_component || has_empty_component(segment)) {
      return RejectReason::kEmptyPathComponent;
    }
  }
  if (raw_name.back() == '^') return check_single_name(base);
  return std::nullopt;
}

std::optional<std::string_view> normalize_name(std::string_view raw,
                                               std::span<char, kNameBytesMax> out) {
  if (raw.size() > kNameBytesMax) return std::nullopt;
  normalize_into(raw, out.data());
  return std::string_view(out.data(), raw.size());
}

std::optional<std::string_view> normalize_query_name(std::string_view raw,
                                                     std::span<char, kNameBytesMax> out) {
  if (!raw.empty() && raw.front() == '*') raw.remove_prefix(1);
  return normalize_name(raw, out);
}

void visit_counter_names(std::string_view raw_name, NameSyntax syntax, CounterNameVisitor visitor) {
  const size_t first_caret =
      syntax == NameSyntax::kLiteral ? std::string_view::npos : raw_name.find('^');
  if (first_caret != std::string_view::npos) {
    visit_fan_out(raw_name, first_caret, visitor);
    return;
  }
  VERIFY(!raw_name.empty());
  VERIFY(raw_name.size() <= kNameBytesMax);
  char name[kNameBytesMax];
  normalize_into(raw_name, name);
  visitor.visit(visitor.context, std::string_view(name, raw_name.size()));
}

}  // namespace ringstat
