#include <doctest/doctest.h>

#include <random>
#include <string>
#include <unordered_map>

#include "engine/store/counter_table.h"

namespace ringstat {
namespace {

TEST_CASE("counter table finds what it holds and nothing else") {
  CounterTable table(4);
  CHECK(table.insert("a.b", CounterTable::hash_name("a.b"), 0));
  CHECK(table.insert("a.c", CounterTable::hash_name("a.c"), 1));
  CHECK(table.find("a.b", CounterTable::hash_name("a.b")) == 0);
  CHECK(table.find("a.c", CounterTable::hash_name("a.c")) == 1);
  CHECK(table.find("a.d", CounterTable::hash_name("a.d")) == CounterTable::kNotFound);
  CHECK(table.name(1) == "a.c");
}

TEST_CASE("counter table refuses more than its limit") {
  CounterTable table(2);
  CHECK(table.insert("x", CounterTable::hash_name("x"), 0));
  CHECK(table.insert("y", CounterTable::hash_name("y"), 1));
  CHECK_FALSE(table.insert("z", CounterTable::hash_name("z"), 2));
  table.erase(0);
  CHECK(table.insert("z", CounterTable::hash_name("z"), 2));
}

TEST_CASE("backward-shift deletion keeps colliding probe chains intact") {
  // Equal low hash bits force one long chain; erase from its middle and every member stays found.
  CounterTable table(64);
  const uint64_t collide = 0x1234;
  for (uint32_t i = 0; i < 10; ++i) CHECK(table.insert("n" + std::to_string(i), collide, i));
  table.erase(3);
  table.erase(0);
  for (uint32_t i = 0; i < 10; ++i) {
    const uint32_t expected = (i == 3 || i == 0) ? CounterTable::kNotFound : i;
    CHECK(table.find("n" + std::to_string(i), collide) == expected);
  }
}

TEST_CASE("counter table agrees with a reference map under random inserts and erases") {
  std::mt19937 random(42);
  CounterTable table(500);
  std::unordered_map<std::string, uint32_t> reference;
  uint32_t next_id = 0;
  for (int step = 0; step < 20000; ++step) {
    const std::string name = "c" + std::to_string(random() % 700);
    const uint64_t hash = CounterTable::hash_name(name);
    auto it = reference.find(name);
    if (it != reference.end() && random() % 2 == 0) {
      table.erase(it->second);
      reference.erase(it);
    } else if (it == reference.end() && reference.size() < 500) {
      CHECK(table.insert(name, hash, next_id));
      reference[name] = next_id++;
    }
    const std::string probe = "c" + std::to_string(random() % 700);
    auto found = reference.find(probe);
    CHECK(table.find(probe, CounterTable::hash_name(probe)) ==
          (found == reference.end() ? CounterTable::kNotFound : found->second));
  }
  CHECK(table.size() == reference.size());
}

}  // namespace
}  // namespace ringstat
