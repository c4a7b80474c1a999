#include "engine/query/glob.h"

#include <doctest/doctest.h>

#include <random>
#include <string>
#include <vector>

namespace ringstat {
namespace {

// The rules written as the obvious memoised recursion, to check the automaton against.
bool reference_match(std::string_view pattern, std::string_view name) {
  std::vector<signed char> memo((pattern.size() + 1) * (name.size() + 1), -1);
  auto at = [&](size_t p, size_t n) -> signed char& { return memo[p * (name.size() + 1) + n]; };
  auto match = [&](auto&& self, size_t p, size_t n) -> bool {
    if (at(p, n) >= 0) return at(p, n) != 0;
    bool result = false;
    if (p == pattern.size()) {
      result = n == name.size();
    } else if (pattern[p] == '*') {
      for (size_t k = n; k <= name.size() && !result; ++k) result = self(self, p + 1, k);
    } else if (pattern[p] == '?') {
      for (size_t k = n + 1; k <= name.size() && name[k - 1] != '.' && !result; ++k) {
        result = self(self, p + 1, k);
      }
    } else {
      result = n < name.size() && name[n] == pattern[p] && self(self, p + 1, n + 1);
    }
    at(p, n) = result ? 1 : 0;
    return result;
  };
  return match(match, 0, 0);
}

TEST_CASE("istatd's verified examples") {
  CHECK(glob_match("a.*", "a.b.c"));
  CHECK(glob_match("a.?", "a.b"));
  CHECK_FALSE(glob_match("a.?", "a.b.c"));
  CHECK(glob_match("a.?.c", "a.b.c"));
  CHECK(glob_match("a?c", "abc"));
  CHECK_FALSE(glob_match("?.c", "a.b.c"));
}

TEST_CASE("literal patterns match only the whole name") {
  CHECK(glob_match("foo.bar", "foo.bar"));
  CHECK_FALSE(glob_match("foo.bar", "foo.bar.baz"));
  CHECK_FALSE(glob_match("foo.bar.baz", "foo.bar"));
  CHECK_FALSE(glob_match("foo", "xfoo"));
  CHECK(glob_match("", ""));
  CHECK_FALSE(glob_match("", "x"));
}

TEST_CASE("star matches any run including dots and the empty run") {
  CHECK(glob_match("*", "foo bar"));
  CHECK(glob_match("*", ""));
  CHECK(glob_match("foo*", "foo.bar"));
  CHECK(glob_match("foo*", "foo"));
  CHECK(glob_match("*bar", "foo.bar"));
  CHECK(glob_match("f*a*bar", "foo.bar.bar"));
  CHECK(glob_match("f*oo*foo.bar", "foo.foo.bar"));
  CHECK(glob_match("f***oo", "foo"));
  CHECK(glob_match("*", "*x"));
  CHECK_FALSE(glob_match("*.x", "a.y"));
}

TEST_CASE("star backtracks where istatd's greedy search gave up") {
  // istatd's str_pat_match answers false here; the rule says any run, so it matches.
  CHECK(glob_match("f*a*r", "foo.bar"));
  CHECK(glob_match("*a.b", "a.a.b"));
}

TEST_CASE("question mark needs at least one character and never a dot") {
  CHECK_FALSE(glob_match("?", ""));
  CHECK(glob_match("?", "x"));
  CHECK(glob_match("?", "xyz"));
  CHECK_FALSE(glob_match("?", "x.y"));
  CHECK_FALSE(glob_match("a?", "a"));
  CHECK_FALSE(glob_match("foo.bar.baz?", "foo.bar.baz"));
  CHECK_FALSE(glob_match("?.", "."));
  CHECK(glob_match("foo.b?.baz", "foo.bar.baz"));
  CHECK_FALSE(glob_match("foo.b?r?baz", "foo.bar.baz"));
  CHECK(glob_match("f?o", "foooo"));
  CHECK(glob_match("??", "ab"));
  CHECK_FALSE(glob_match("??", "a"));
}

TEST_CASE("question mark followed by star may cross dots through the star") {
  CHECK(glob_match("?*", "a.b.c"));
  CHECK(glob_match("*?", "a.b.c"));
  CHECK_FALSE(glob_match("?*", ".a"));
  CHECK_FALSE(glob_match("*?", "a."));
}

TEST_CASE("wildcard characters in names are matched literally by literals") {
  CHECK(glob_match("a.*", "a.*"));
  CHECK(glob_match("\\", "\\"));
}

TEST_CASE("literal prefix is everything before the first wildcard") {
  CHECK(glob_literal_prefix("web.*") == "web.");
  CHECK(glob_literal_prefix("web.?.x*") == "web.");
  CHECK(glob_literal_prefix("*") == "");
  CHECK(glob_literal_prefix("?x") == "");
  CHECK(glob_literal_prefix("plain.name") == "plain.name");
  CHECK(Glob::compile("cpu.*.idle")->literal_prefix() == "cpu.");
  CHECK(Glob::compile("cpu.*.idle")->pattern() == "cpu.*.idle");
}

TEST_CASE("patterns over the byte limit do not compile and match nothing") {
  const std::string longest(kGlobPatternBytesMax, '?');
  CHECK(Glob::compile(longest).has_value());
  CHECK_FALSE(Glob::compile(longest + "x").has_value());
  CHECK_FALSE(glob_match(std::string(kGlobPatternBytesMax + 1, '*'), "x"));
}

TEST_CASE("long patterns spanning several state words match like short ones") {
  std::string name;
  std::string pattern;
  for (int i = 0; i < 60; ++i) {
    name += "ab.";
    pattern += i % 3 == 0 ? "?." : "a*.";
  }
  name += "end";
  pattern += "e?";
  CHECK(glob_match(pattern, name));
  CHECK_FALSE(glob_match(pattern, name + ".x"));
  CHECK_FALSE(glob_match(pattern + "x", name));
  const std::string literal(300, 'q');
  CHECK(glob_match(literal, literal));
  CHECK_FALSE(glob_match(literal, literal.substr(1)));
}

TEST_CASE("backtracking-hostile patterns finish (the automaton never backtracks)") {
  std::string pattern;
  for (int i = 0; i < 40; ++i) pattern += "*a";
  pattern += "*b";
  const std::string name(255, 'a');
  CHECK_FALSE(glob_match(pattern, name));
  std::string huh;
  for (int i = 0; i < 40; ++i) huh += "?a";
  CHECK_FALSE(glob_match(huh + "?b", name));
}

TEST_CASE("matching prefix lengths report every matching dotted prefix and the name") {
  std::vector<size_t> lengths;
  Glob::compile("a*")->matching_prefix_lengths("a.b.c", lengths);
  CHECK(lengths == std::vector<size_t>{1, 3, 5});
  Glob::compile("?")->matching_prefix_lengths("ab.c", lengths);
  CHECK(lengths == std::vector<size_t>{2});
  Glob::compile("?.?")->matching_prefix_lengths("a.b.c", lengths);
  CHECK(lengths == std::vector<size_t>{3});
  Glob::compile("x.*")->matching_prefix_lengths("a.b.c", lengths);
  CHECK(lengths.empty());
}

TEST_CASE("the automaton agrees with the reference on random patterns (seeded)") {
  const uint32_t seed = std::random_device{}();
  INFO("seed " << seed);
  std::mt19937 random(seed);
  const char pattern_chars[] = {'a', 'b', '.', '*', '?'};
  const char name_chars[] = {'a', 'b', '.'};
  std::vector<size_t> lengths;
  for (int round = 0; round < 20000; ++round) {
    std::string pattern;
    const size_t pattern_size = random() % (round % 10 == 0 ? 90 : 8);
    for (size_t i = 0; i < pattern_size; ++i) pattern += pattern_chars[random() % 5];
    std::string name;
    const size_t name_size = random() % (round % 10 == 0 ? 40 : 12);
    for (size_t i = 0; i < name_size; ++i) name += name_chars[random() % 3];
    INFO("pattern '" << pattern << "' name '" << name << "'");
    const std::optional<Glob> glob = Glob::compile(pattern);
    REQUIRE(glob.has_value());
    REQUIRE(glob->matches(name) == reference_match(pattern, name));
    std::vector<size_t> expected;
    for (size_t i = 0; i <= name.size(); ++i) {
      if ((i == name.size() || name[i] == '.') && reference_match(pattern, name.substr(0, i))) {
        expected.push_back(i);
      }
    }
    glob->matching_prefix_lengths(name, lengths);
    REQUIRE(lengths == expected);
  }
}

}  // namespace
}  // namespace ringstat
