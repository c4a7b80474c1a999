// The golden store: a small store written by the engine and checked in under tests/golden/store,
// which every later version must recover to the same content. Shared by its generator
// (tests/make_golden_store.cc) and its test (tests/golden_store_test.cc).
#pragma once

#include "engine/store/shard_types.h"

namespace ringstat::golden {

inline constexpr int64_t kStoreTime = 1'795'240'800;

inline ShardConfig store_config() {
  ShardConfig config;
  config.retention = Retention{{{10, 864000}, {300, 32313600}, {3600, 190252800}}};
  config.counters_max = 64;
  config.wal_blocks = 8;
  config.checkpoint_wal_blocks = 4;
  config.staging_entries = 20000;
  config.io_buffers = 32;
  config.wal_reserved_buffers = 4;
  config.flush_jobs_max = 4;
  config.query_jobs_max = 4;
  config.page_grow_blocks = 8;
  config.flush_threshold = 4;
  return config;
}

}  // namespace ringstat::golden
