#include "engine/ingest/counter_hash.h"

#include <doctest/doctest.h>

namespace ringstat {
namespace {

TEST_CASE("the counter name hash is XXH3-64 with seed 0, which stores depend on") {
  // Known answers of XXH3_64bits (xxHash's own sanity values); a different hash would move every
  // counter of an existing store to another shard (docs/format.md).
  CHECK(hash_counter_name("") == 0x2D06800538D394C2ULL);
  CHECK(hash_counter_name("web.latency") != hash_counter_name("web.latencz"));
}

TEST_CASE("shard_of_hash takes the high 32 bits, leaving the low ones to the counter table") {
  CHECK(shard_of_hash(0x0000'0005'FFFF'FFFFULL, 4) == 1);
  CHECK(shard_of_hash(0x0000'0007'0000'0000ULL, 4) == 3);
  CHECK(shard_of_hash(0xFFFF'FFFF'0000'0000ULL, 16) == 0xFFFF'FFFFu % 16);
  CHECK(shard_of_hash(0x0000'0000'FFFF'FFFFULL, 3) == 0);
  CHECK(shard_of_hash(0x1234'5678'9ABC'DEF0ULL, 1) == 0);
}

}  // namespace
}  // namespace ringstat
