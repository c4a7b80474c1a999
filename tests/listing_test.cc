#include "engine/query/listing.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace ringstat {
namespace {

Listing list(const std::vector<NamedCounter>& counters, std::string_view pattern,
             size_t entries_max = kListingEntriesMax) {
  const std::optional<Glob> glob = Glob::compile(pattern);
  REQUIRE(glob.has_value());
  return list_counters(counters, *glob, entries_max);
}

constexpr CounterKind kGauge = CounterKind::kGauge;
constexpr CounterKind kEvent = CounterKind::kEvent;

TEST_CASE("spec example: web.* lists counters and prefixes with their types") {
  const std::vector<NamedCounter> counters = {
      {"web.requests.latency", kGauge}, {"web.batch", kGauge}, {"db.load", kGauge}};
  const Listing listing = list(counters, "web.*");
  const std::vector<ListingEntry> expected = {{"web.batch", ListingType::kGauge, true},
                                              {"web.requests", ListingType::kAggregate, false},
                                              {"web.requests.latency", ListingType::kGauge, true}};
  CHECK(listing.entries == expected);
  CHECK_FALSE(listing.truncated);
}

TEST_CASE("every dotted prefix is listed once, sorted, as an aggregate non-leaf") {
  const std::vector<NamedCounter> counters = {
      {"a.b.c", kGauge}, {"a.b.d", kGauge}, {"a.x", kGauge}};
  const Listing listing = list(counters, "*");
  const std::vector<ListingEntry> expected = {{"a", ListingType::kAggregate, false},
                                              {"a.b", ListingType::kAggregate, false},
                                              {"a.b.c", ListingType::kGauge, true},
                                              {"a.b.d", ListingType::kGauge, true},
                                              {"a.x", ListingType::kGauge, true}};
  CHECK(listing.entries == expected);
}

TEST_CASE("a counter with children keeps its own type and is not a leaf") {
  const std::vector<NamedCounter> counters = {{"web.requests", kEvent},
                                              {"web.requests.latency", kGauge}};
  const Listing listing = list(counters, "web.?");
  const std::vector<ListingEntry> expected = {{"web.requests", ListingType::kCounter, false}};
  CHECK(listing.entries == expected);
}

TEST_CASE("a counter with children is merged whichever order the names come in") {
  const std::vector<NamedCounter> counters = {
      {"a.b.c", kGauge}, {"z", kGauge}, {"a", kEvent}, {"a.b", kGauge}};
  const Listing listing = list(counters, "*");
  const std::vector<ListingEntry> expected = {{"a", ListingType::kCounter, false},
                                              {"a.b", ListingType::kGauge, false},
                                              {"a.b.c", ListingType::kGauge, true},
                                              {"z", ListingType::kGauge, true}};
  CHECK(listing.entries == expected);
}

TEST_CASE("event counters are type 1 and gauges type 0") {
  const std::vector<NamedCounter> counters = {{"hits", kEvent}, {"load", kGauge}};
  const Listing listing = list(counters, "*");
  REQUIRE(listing.entries.size() == 2);
  CHECK(listing.entries[0] == ListingEntry{"hits", ListingType::kCounter, true});
  CHECK(listing.entries[1] == ListingEntry{"load", ListingType::kGauge, true});
}

TEST_CASE("only names matching the pattern are listed, prefixes included") {
  const std::vector<NamedCounter> counters = {
      {"web.a.x", kGauge}, {"web.b", kGauge}, {"webby.c", kGauge}, {"db.web", kGauge}};
  const Listing listing = list(counters, "web.?");
  const std::vector<ListingEntry> expected = {{"web.a", ListingType::kAggregate, false},
                                              {"web.b", ListingType::kGauge, true}};
  CHECK(listing.entries == expected);
  CHECK(list(counters, "web").entries ==
        std::vector<ListingEntry>{{"web", ListingType::kAggregate, false}});
  CHECK(list(counters, "nothing.*").entries.empty());
}

TEST_CASE("a prefix shared by names far apart in the input is listed once") {
  const std::vector<NamedCounter> counters = {
      {"a.b.x", kGauge}, {"c.d", kGauge}, {"a.b.y", kGauge}, {"e", kGauge}, {"a.b.z", kGauge}};
  const Listing listing = list(counters, "a.?");
  CHECK(listing.entries == std::vector<ListingEntry>{{"a.b", ListingType::kAggregate, false}});
}

TEST_CASE("a counter given twice is listed once") {
  const std::vector<NamedCounter> counters = {{"x.y", kGauge}, {"x.y", kGauge}};
  CHECK(list(counters, "x.y").entries ==
        std::vector<ListingEntry>{{"x.y", ListingType::kGauge, true}});
}

TEST_CASE("sorting is bytewise, so '-' sorts before '.' and a prefix before its children") {
  const std::vector<NamedCounter> counters = {
      {"web.a", kGauge}, {"web-x", kGauge}, {"web", kGauge}, {"web0", kGauge}};
  const Listing listing = list(counters, "*");
  std::vector<std::string_view> names;
  for (const ListingEntry& entry : listing.entries) names.push_back(entry.name);
  CHECK(names == std::vector<std::string_view>{"web", "web-x", "web.a", "web0"});
  CHECK(listing.entries[0] == ListingEntry{"web", ListingType::kGauge, false});
}

TEST_CASE("the entry limit cuts the sorted list and says so") {
  const std::vector<NamedCounter> counters = {{"c", kGauge}, {"a", kGauge}, {"b", kGauge}};
  const Listing listing = list(counters, "*", 2);
  CHECK(listing.truncated);
  CHECK(listing.entries == std::vector<ListingEntry>{{"a", ListingType::kGauge, true},
                                                     {"b", ListingType::kGauge, true}});
  CHECK_FALSE(list(counters, "*", 3).truncated);
}

TEST_CASE("thousands of parents in shuffled order are each listed once") {
  std::vector<std::string> storage;
  for (int i = 0; i < 3000; ++i) {
    storage.push_back("p" + std::to_string(i) + ".x.leaf");
    storage.push_back("p" + std::to_string(i) + ".y");
  }
  std::mt19937 random(7);
  std::shuffle(storage.begin(), storage.end(), random);
  std::vector<NamedCounter> counters;
  for (const std::string& name : storage) counters.push_back({name, kGauge});

  const Listing roots = list(counters, "?");
  REQUIRE(roots.entries.size() == 3000);
  for (size_t i = 1; i < roots.entries.size(); ++i) {
    CHECK(roots.entries[i - 1].name < roots.entries[i].name);
  }
  CHECK(roots.entries[0] == ListingEntry{"p0", ListingType::kAggregate, false});

  const Listing middles = list(counters, "?.?");
  REQUIRE(middles.entries.size() == 6000);
  CHECK(middles.entries[0] == ListingEntry{"p0.x", ListingType::kAggregate, false});
  CHECK(middles.entries[1] == ListingEntry{"p0.y", ListingType::kGauge, true});
}

TEST_CASE("a pattern's longest literal rules names out without hiding matching parents") {
  const std::vector<NamedCounter> counters = {
      {"a.host12.cpu", kGauge}, {"b.host1.cpu", kGauge}, {"c.host12", kEvent}};
  const Listing listing = list(counters, "?.host12");
  const std::vector<ListingEntry> expected = {{"a.host12", ListingType::kAggregate, false},
                                              {"c.host12", ListingType::kCounter, true}};
  CHECK(listing.entries == expected);
}

TEST_CASE("listing agrees with a set-based reference on random names (seeded)") {
  const uint32_t seed = std::random_device{}();
  INFO("seed " << seed);
  std::mt19937 random(seed);
  const char* const parts[] = {"a", "b", "ab", "web"};
  const char* const patterns[] = {"*", "a.*", "?", "?.?", "a*", "*.b", "web.?.a", "b"};
  for (int round = 0; round < 300; ++round) {
    std::vector<std::string> storage;
    const size_t count = 1 + random() % 30;
    for (size_t i = 0; i < count; ++i) {
      std::string name = parts[random() % 4];
      const size_t depth = random() % 4;
      for (size_t d = 0; d < depth; ++d) name += std::string(".") + parts[random() % 4];
      storage.push_back(name);
    }
    std::vector<NamedCounter> counters;
    for (const std::string& name : storage) {
      counters.push_back({name, name.size() % 2 == 0 ? kGauge : kEvent});
    }
    const std::string_view pattern = patterns[random() % std::size(patterns)];
    INFO("pattern " << pattern);

    std::set<std::string> names(storage.begin(), storage.end());
    std::set<std::string> parents;
    for (const std::string& name : storage) {
      for (size_t dot = name.find('.'); dot != std::string::npos; dot = name.find('.', dot + 1)) {
        parents.insert(name.substr(0, dot));
      }
    }
    std::set<std::string> all = names;
    all.insert(parents.begin(), parents.end());
    std::vector<ListingEntry> expected;
    for (const std::string& name : all) {
      if (!glob_match(pattern, name)) continue;
      const bool is_counter = names.count(name) != 0;
      const ListingType type = !is_counter            ? ListingType::kAggregate
                               : name.size() % 2 == 0 ? ListingType::kGauge
                                                      : ListingType::kCounter;
      expected.push_back({name, type, is_counter && parents.count(name) == 0});
    }
    const Listing listing = list(counters, pattern);
    REQUIRE(listing.entries.size() == expected.size());
    for (size_t i = 0; i < expected.size(); ++i) {
      CHECK(listing.entries[i].name == expected[i].name);
      CHECK(listing.entries[i].type == expected[i].type);
      CHECK(listing.entries[i].is_leaf == expected[i].is_leaf);
    }
  }
}

}  // namespace
}  // namespace ringstat
