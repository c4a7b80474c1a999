// CounterKind: gauge or event, fixed when a counter is created (docs/protocols.md "Counter kinds").
// Stored in pages, WAL records and checkpoints as one byte.
#pragma once

#include <cstdint>

namespace ringstat {

enum class CounterKind : uint8_t {
  kGauge = 0,  // every sample merges exactly into every level
  kEvent = 1,  // `*name`: the finest level stores a rate per second
};

constexpr bool is_valid_counter_kind(uint8_t byte) { return byte <= 1; }

}  // namespace ringstat
