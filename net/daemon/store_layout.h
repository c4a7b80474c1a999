// StoreLayout: the directories of a store and its manifest. A store is split into a fixed number
// of shards when it is created (docs/format.md, "Store manifest"); every start reads that number
// back, so --threads can change between runs. Start-up only: blocking syscalls are fine here.
#pragma once

#include <cstdint>
#include <string>

#include "base/result.h"

namespace ringstat {

inline constexpr uint32_t kStoreShardsMax = 4096;

struct StoreLayout {
  std::string directory;
  uint32_t shard_count = 0;

  std::string shard_directory(uint32_t shard) const;
};

// Opens the store at `directory`, creating it (and its manifest, with `new_store_shards` shards)
// if it does not exist yet. Every shard directory exists afterwards.
Result<StoreLayout> open_store_layout(const std::string& directory, uint32_t new_store_shards);

}  // namespace ringstat
