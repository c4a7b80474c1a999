#include "engine/query/glob.h"

#include <algorithm>
#include <array>

#include "base/verify.h"

namespace ringstat {
namespace {

enum class TokenKind : uint8_t {
  kLiteral,     // one given byte
  kAnyNonDot,   // one byte other than '.'
  kStarAll,     // any run, possibly empty
  kStarNonDot,  // any run without '.', possibly empty
};

struct Token {
  TokenKind kind = TokenKind::kLiteral;
  unsigned char byte = 0;
};

bool is_star(const Token& token) {
  return token.kind == TokenKind::kStarAll || token.kind == TokenKind::kStarNonDot;
}

// `?` becomes "one non-dot byte, then any run of them"; `*` next to another star absorbs it
// (a run of non-dots followed by any run is any run), so no two stars end up adjacent.
std::vector<Token> tokenize(std::string_view pattern) {
  std::vector<Token> tokens;
  tokens.reserve(pattern.size() * 2);
  for (const char c : pattern) {
    if (c == '*') {
      if (!tokens.empty() && is_star(tokens.back())) {
        tokens.back().kind = TokenKind::kStarAll;
      } else {
        tokens.push_back(Token{TokenKind::kStarAll, 0});
      }
    } else if (c == '?') {
      tokens.push_back(Token{TokenKind::kAnyNonDot, 0});
      tokens.push_back(Token{TokenKind::kStarNonDot, 0});
    } else {
      tokens.push_back(Token{TokenKind::kLiteral, static_cast<unsigned char>(c)});
    }
  }
  return tokens;
}

// Two tokens per pattern byte at most, plus the final state.
constexpr size_t kGlobWordsMax = (2 * kGlobPatternBytesMax + 1 + 63) / 64;

void set_bit(uint64_t* words, size_t bit) { words[bit / 64] |= uint64_t{1} << (bit % 64); }

}  // namespace

std::string_view glob_literal_prefix(std::string_view pattern) {
  return pattern.substr(0, std::min(pattern.find_first_of("*?"), pattern.size()));
}

std::optional<Glob> Glob::compile(std::string_view pattern) {
  if (pattern.size() > kGlobPatternBytesMax) return std::nullopt;
  const std::vector<Token> tokens = tokenize(pattern);
  Glob glob;
  glob.pattern_ = std::string(pattern);
  glob.literal_prefix_bytes_ = glob_literal_prefix(pattern).size();
  for (size_t run_start = 0; run_start < pattern.size();) {
    const size_t run_end = std::min(pattern.find_first_of("*?", run_start), pattern.size());
    if (run_end - run_start > glob.longest_literal_bytes_) {
      glob.longest_literal_offset_ = run_start;
      glob.longest_literal_bytes_ = run_end - run_start;
    }
    run_start = run_end + 1;
  }
  const size_t states = tokens.size() + 1;
  glob.words_ = (states + 63) / 64;
  VERIFY(glob.words_ <= kGlobWordsMax);
  glob.accept_word_ = tokens.size() / 64;
  glob.accept_bit_ = uint64_t{1} << (tokens.size() % 64);
  glob.advance_.assign(256 * glob.words_, 0);
  glob.stay_.assign(256 * glob.words_, 0);
  glob.skip_.assign(glob.words_, 0);
  glob.initial_.assign(glob.words_, 0);

  for (size_t i = 0; i < tokens.size(); ++i) {
    const Token& token = tokens[i];
    for (size_t byte = 0; byte < 256; ++byte) {
      uint64_t* advance = &glob.advance_[byte * glob.words_];
      uint64_t* stay = &glob.stay_[byte * glob.words_];
      const bool dot = byte == '.';
      switch (token.kind) {
        case TokenKind::kLiteral:
          if (byte == token.byte) set_bit(advance, i);
          break;
        case TokenKind::kAnyNonDot:
          if (!dot) set_bit(advance, i);
          break;
        case TokenKind::kStarAll:
          set_bit(stay, i);
          break;
        case TokenKind::kStarNonDot:
          if (!dot) set_bit(stay, i);
          break;
      }
    }
    if (is_star(token)) set_bit(glob.skip_.data(), i);
  }
  set_bit(glob.initial_.data(), 0);
  if (!tokens.empty() && is_star(tokens[0])) set_bit(glob.initial_.data(), 1);
  return glob;
}

template <class OnAccept>
void Glob::run(std::string_view name, OnAccept&& on_accept) const {
  if (words_ == 1) {
    // The common case (patterns up to 63 states) in registers. Everything the loop reads from
    // *this is copied to locals first: on_accept may write memory the compiler cannot tell apart.
    const uint64_t* const advance = advance_.data();
    const uint64_t* const stay = stay_.data();
    const uint64_t skip = skip_[0];
    const uint64_t accept = accept_bit_;
    const char* const bytes = name.data();
    const size_t size = name.size();
    uint64_t state = initial_[0];
    for (size_t i = 0; i < size; ++i) {
      const unsigned char byte = static_cast<unsigned char>(bytes[i]);
      if (byte == '.' && (state & accept) != 0) on_accept(i);
      state = ((state & advance[byte]) << 1) | (state & stay[byte]);
      state |= (state & skip) << 1;
      if (state == 0) return;
    }
    if ((state & accept) != 0) on_accept(size);
    return;
  }

  std::array<uint64_t, kGlobWordsMax> state{};
  std::array<uint64_t, kGlobWordsMax> next{};
  for (size_t w = 0; w < words_; ++w) state[w] = initial_[w];
  for (size_t i = 0; i < name.size(); ++i) {
    const unsigned char byte = static_cast<unsigned char>(name[i]);
    if (byte == '.' && (state[accept_word_] & accept_bit_) != 0) on_accept(i);
    const uint64_t* advance = &advance_[byte * words_];
    const uint64_t* stay = &stay_[byte * words_];
    uint64_t carry = 0;
    uint64_t alive = 0;
    for (size_t w = 0; w < words_; ++w) {
      const uint64_t moved = state[w] & advance[w];
      next[w] = (moved << 1) | carry | (state[w] & stay[w]);
      carry = moved >> 63;
    }
    carry = 0;
    for (size_t w = 0; w < words_; ++w) {
      const uint64_t skipped = next[w] & skip_[w];
      state[w] = next[w] | (skipped << 1) | carry;
      carry = skipped >> 63;
      alive |= state[w];
    }
    if (alive == 0) return;
  }
  if ((state[accept_word_] & accept_bit_) != 0) on_accept(name.size());
}

bool Glob::matches(std::string_view name) const {
  bool matched = false;
  run(name, [&](size_t length) { matched = length == name.size(); });
  return matched;
}

void Glob::matching_prefix_lengths(std::string_view name, std::vector<size_t>& lengths) const {
  lengths.clear();
  run(name, [&](size_t length) { lengths.push_back(length); });
}

bool glob_match(std::string_view pattern, std::string_view name) {
  const std::optional<Glob> glob = Glob::compile(pattern);
  return glob && glob->matches(name);
}

}  // namespace ringstat
