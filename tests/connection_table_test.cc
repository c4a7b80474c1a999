// ConnectionTable and AgentRegistry: slot reuse never lets a late completion reach the next
// connection, the ingest budget holds, and GET /?a= lists open and recently closed agents.
#include <doctest/doctest.h>

#include "net/daemon/agent_registry.h"
#include "net/daemon/connection_table.h"

namespace ringstat {
namespace {

constexpr uint32_t kAllGenerations = ~uint32_t{0};

TEST_CASE("a freed slot's old generation no longer finds the connection that took it next") {
  ConnectionTable table(2);
  const uint32_t first = table.open(ListenerKind::kHttp, 10);
  const uint32_t generation = table[first].generation;
  CHECK(table.find(first, generation, kAllGenerations) == &table[first]);
  table.release(first);
  CHECK(table.find(first, generation, kAllGenerations) == nullptr);
  const uint32_t again = table.open(ListenerKind::kHttp, 11);
  CHECK(again == first);  // the free list is a stack: the same slot comes back
  CHECK(table.find(again, generation, kAllGenerations) == nullptr);
  CHECK(table.find(again, table[again].generation, kAllGenerations) == &table[again]);
  CHECK(table[again].fd == 11);
  CHECK(table.find(5, 0, kAllGenerations) == nullptr);  // out of range
}

TEST_CASE("slots run out, and ingest connections keep to their budget") {
  ConnectionTable table(3);
  table.set_ingest_budget(1);
  CHECK_FALSE(table.ingest_full());
  const uint32_t ingest = table.open(ListenerKind::kStatTcp, 1);
  CHECK(table.ingest_full());
  CHECK(table.ingest_open() == 1);
  table.open(ListenerKind::kAdmin, 2);  // not ingest: outside the budget
  table.open(ListenerKind::kHttp, 3);
  CHECK(table.full());
  CHECK(table.open_count() == 3);
  table.release(ingest);
  CHECK_FALSE(table.ingest_full());
  CHECK_FALSE(table.full());
}

TEST_CASE("each protocol keeps its own state, and a reused slot starts clean") {
  ConnectionTable table(1);
  const uint32_t slot = table.open(ListenerKind::kHttp, 1);
  table[slot].protocol.emplace<HttpExchangeState>();
  table[slot].http().input = "GET / HTTP/1.1\r\n";
  table[slot].output = "pending";
  table.release(slot);
  const uint32_t next = table.open(ListenerKind::kGraphiteTcp, 2);
  CHECK(table[next].is_tcp_ingest());
  CHECK(table[next].output.empty());
  CHECK(table[next].ingest().agent.entries().empty());
}

TEST_CASE("agents are listed while connected and for a day after they leave") {
  ConnectionTable table(4);
  table.set_ingest_budget(4);
  AgentRegistry agents;
  const int64_t now = 1'000'000;
  const uint32_t slot = table.open(ListenerKind::kStatTcp, 1);
  table[slot].peer = "127.0.0.1:5000";
  table[slot].connected_s = now - 100;
  table[slot].last_activity_s = now - 10;
  table[slot].ingest().agent.set("host", "web13");
  table.open(ListenerKind::kHttp, 2);  // not an agent

  auto listed = agents.list(table, now);
  REQUIRE(listed.size() == 1);
  CHECK(listed[0].online);
  CHECK(listed[0].idle_s == 10);
  CHECK(listed[0].meta == AgentMeta::Entries{{"host", "web13"}});

  agents.remember(table[slot], now);
  table.release(slot);
  listed = agents.list(table, now + 5);
  REQUIRE(listed.size() == 1);
  CHECK_FALSE(listed[0].online);
  CHECK(listed[0].peer == "127.0.0.1:5000");
  CHECK(listed[0].meta == AgentMeta::Entries{{"host", "web13"}});
  CHECK(agents.list(table, now - 10 + AgentRegistry::kMemory_s + 1).empty());
}

}  // namespace
}  // namespace ringstat
