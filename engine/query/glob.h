// Glob: the counter-name patterns of `GET /?q=` and `delete.pattern` (docs/http-api.md). `*`
// matches any run of characters including dots (possibly empty), `?` one or more characters
// without a dot, anything else itself; the whole name must match. A compiled Glob is an immutable
// bit-parallel automaton (linear in the name, never backtracking); single-threaded pure code, and
// safe to share read-only between threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ringstat {

// Longest pattern accepted. Counter names are at most 255 bytes, so longer patterns are only
// useful as an attack; the bound also bounds the automaton (two states per byte at most).
inline constexpr size_t kGlobPatternBytesMax = 1024;

class Glob {
 public:
  // nullopt when the pattern is longer than kGlobPatternBytesMax.
  static std::optional<Glob> compile(std::string_view pattern);

  const std::string& pattern() const { return pattern_; }

  // The bytes before the first wildcard: every matching name starts with them, so a caller can
  // skip (or binary-search past) names that do not before running the automaton.
  std::string_view literal_prefix() const {
    return std::string_view(pattern_).substr(0, literal_prefix_bytes_);
  }

  // The longest run of literal bytes in the pattern (the first of equal length): every matching
  // name contains it, so a substring search can rule names out before the automaton.
  std::string_view longest_literal() const {
    return std::string_view(pattern_).substr(longest_literal_offset_, longest_literal_bytes_);
  }

  bool matches(std::string_view name) const;

  // Fills `lengths` (cleared first) with the length of every dotted prefix of `name` that matches,
  // and of `name` itself if it matches, ascending, in one pass over the name. The listing uses it
  // so a name's parents cost no extra scan.
  void matching_prefix_lengths(std::string_view name, std::vector<size_t>& lengths) const;

 private:
  Glob() = default;

  // Runs the automaton over name; calls on_accept(length) before every '.' and at the end for
  // each prefix read so far that is accepted. Stops early once no state is left alive.
  template <class OnAccept>
  void run(std::string_view name, OnAccept&& on_accept) const;

  std::string pattern_;
  size_t literal_prefix_bytes_ = 0;
  size_t longest_literal_offset_ = 0;
  size_t longest_literal_bytes_ = 0;
  size_t words_ = 0;  // 64-bit words per state set
  size_t accept_word_ = 0;
  uint64_t accept_bit_ = 0;
  // State i = "the first i pattern tokens are matched". Per input byte c, advance_[c] marks the
  // states whose token consumes c and moves on, stay_[c] the star states whose loop accepts c;
  // skip_ marks star states (which may match nothing). No two stars are adjacent after compile,
  // so one shift of skip_ is a complete epsilon closure.
  std::vector<uint64_t> advance_;  // 256 * words_
  std::vector<uint64_t> stay_;     // 256 * words_
  std::vector<uint64_t> skip_;     // words_
  std::vector<uint64_t> initial_;  // words_: state 0 and its closure
};

// One-off match; compiles the pattern each call (use Glob to match many names). A pattern over
// kGlobPatternBytesMax matches nothing.
bool glob_match(std::string_view pattern, std::string_view name);

// The bytes of `pattern` before its first `*` or `?`.
std::string_view glob_literal_prefix(std::string_view pattern);

}  // namespace ringstat
