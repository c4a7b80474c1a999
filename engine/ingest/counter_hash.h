// The hash of a normalised counter name and the shard it picks. Every layer uses this one hash:
// shard routing takes its high 32 bits, a shard's CounterTable its low bits, so it is computed
// once per sample (docs/architecture.md section 2). Pure functions; any thread.
#pragma once

#include <cstdint>
#include <string_view>

#include "base/verify.h"

namespace ringstat {

// XXH3, 64-bit, of the name's bytes. docs/format.md pins a counter's shard in an existing store
// to this hash, so it cannot change without a new store format.
uint64_t hash_counter_name(std::string_view name);

// The shard owning the counter whose name hashes to `hash`: the high 32 bits modulo the shard
// count, so the choice is independent of the table slot the low bits pick. The high half is
// narrowed before the modulo: the same value, but a 32-bit division, which costs a fraction of a
// 64-bit one on every sample.
inline uint32_t shard_of_hash(uint64_t hash, uint32_t shard_count) {
  VERIFY(shard_count > 0);
  return static_cast<uint32_t>(hash >> 32) % shard_count;
}

}  // namespace ringstat
