#include "engine/ingest/agent_meta.h"

#include <doctest/doctest.h>

#include <string>

namespace ringstat {
namespace {

using Entries = AgentMeta::Entries;

TEST_CASE("a repeated meta key replaces its value in place") {
  AgentMeta meta;
  meta.set("host", "web1");
  meta.set("version", "1.2");
  meta.set("host", "web2");
  CHECK(meta.entries() == Entries{{"host", "web2"}, {"version", "1.2"}});
}

TEST_CASE("meta keys beyond kEntriesMax are dropped, known keys still update") {
  AgentMeta meta;
  for (size_t i = 0; i < AgentMeta::kEntriesMax; ++i) meta.set("k" + std::to_string(i), "v");
  REQUIRE(meta.entries().size() == AgentMeta::kEntriesMax);
  meta.set("one.too.many", "x");
  CHECK(meta.entries().size() == AgentMeta::kEntriesMax);
  CHECK(meta.entries().back().first == "k" + std::to_string(AgentMeta::kEntriesMax - 1));
  meta.set("k0", "changed");
  CHECK(meta.entries().front() == std::pair<std::string, std::string>{"k0", "changed"});
  CHECK(meta.entries().size() == AgentMeta::kEntriesMax);
}

TEST_CASE("a meta value is cut to kValueBytesMax bytes") {
  AgentMeta meta;
  const std::string exact(AgentMeta::kValueBytesMax, 'a');
  meta.set("exact", exact);
  meta.set("long", exact + "bcd");
  REQUIRE(meta.entries().size() == 2);
  CHECK(meta.entries()[0].second == exact);
  CHECK(meta.entries()[1].second == exact);
  meta.set("exact", "short");  // a cut value is replaced whole, not merged
  CHECK(meta.entries()[0].second == "short");
}

TEST_CASE("taking the meta entries leaves the agent empty") {
  AgentMeta meta;
  meta.set("host", "web1");
  const Entries taken = meta.take_entries();
  CHECK(taken == Entries{{"host", "web1"}});
  CHECK(meta.entries().empty());
  meta.set("host", "web2");
  CHECK(meta.entries() == Entries{{"host", "web2"}});
}

}  // namespace
}  // namespace ringstat
